/**
 * The package as a user installs it (slow suite: packs, installs, trains): `npm pack` of this checkout, `npm i`
 * of the tarball into an empty folder, then `npx exodus-snn train --task mnist-rate` trains on the digits that
 * ship inside the package (assets/mnist) and prints its result line. Needs `npm run build` first (dist/).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../data/helpers.js";

test("npm pack → npm i → npx exodus-snn train --task mnist-rate trains from the installed package", () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-pkg-"));
  try {
    const run = (cmd: string, args: string[], cwd: string) => {
      const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 240_000 });
      assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    run("npm", ["pack", "--pack-destination", dir, "--silent"], repoRoot);
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
    const app = join(dir, "app");
    run("mkdir", ["-p", app], dir);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
    run("npm", ["i", "--no-audit", "--no-fund", "--prefer-offline", join(dir, tgz)], app);
    const out = run("npx", ["exodus-snn", "train", "--task", "mnist-rate", "--epochs", "1", "--limit-train", "1024", "--limit-test", "512", "--no-progress", "--out", join(app, "run")], app);
    const result = JSON.parse(out.trim().split("\n").pop()!) as { test_accuracy: number; task: string };
    assert.equal(result.task, "mnist-rate");
    assert.ok(result.test_accuracy > 0.6, `one epoch on 1,024 digits should pass 60 %, got ${result.test_accuracy}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
