/**
 * Where the paper-reproduction commands write their artefacts (docs/results/<name>.{json,md,svg} by
 * default) — one helper so `bench`, `experiment stability` and `experiment accuracy` stay consistent.
 * Each file is written to a temporary name and renamed, so an interrupted run leaves the previous result.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/write-file-atomic.js";

export function writeArtifacts(dir: string, name: string, files: { json: unknown; md: string; svg: string }): string[] {
  mkdirSync(dir, { recursive: true });
  const paths = [join(dir, `${name}.json`), join(dir, `${name}.md`), join(dir, `${name}.svg`)];
  writeFileAtomic(paths[0]!, JSON.stringify(files.json, null, 1) + "\n");
  writeFileAtomic(paths[1]!, files.md + "\n");
  writeFileAtomic(paths[2]!, files.svg + "\n");
  return paths;
}
