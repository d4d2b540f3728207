/** The README's example runs as written (with the package name mapped to the source) and learns. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

test("README example: runs and its loss falls", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const m = readme.match(/```ts\n([\s\S]*?)```/);
  assert.ok(m, "README has a ts example");
  const code = m[1]!.replace('from "exodus-snn"', `from ${JSON.stringify(root + "src/index.ts")}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const losses = r.stdout.trim().split("\n").map((l) => Number(l.split(" ")[1]));
  assert.equal(losses.length, 20);
  assert.ok(losses.every(Number.isFinite));
  const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
  const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
  assert.ok(last < first * 0.5, `loss should fall: first ${first}, last ${last} (${losses.map((l) => l.toFixed(3)).join(" ")})`);
});
