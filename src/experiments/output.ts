/**
 * Where the paper-reproduction commands write their artefacts (docs/results/<name>.{json,md,svg} by
 * default) — one helper so `bench`, `experiment stability` and `experiment accuracy` stay consistent.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function writeArtifacts(dir: string, name: string, files: { json: unknown; md: string; svg: string }): string[] {
  mkdirSync(dir, { recursive: true });
  const paths = [join(dir, `${name}.json`), join(dir, `${name}.md`), join(dir, `${name}.svg`)];
  writeFileSync(paths[0]!, JSON.stringify(files.json, null, 1) + "\n");
  writeFileSync(paths[1]!, files.md + "\n");
  writeFileSync(paths[2]!, files.svg + "\n");
  return paths;
}
