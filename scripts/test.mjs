#!/usr/bin/env node
// Runs the test suites with Node's built-in runner (TypeScript through tsx).
// Default: every *.test.ts under test/ and src/. `--slow` runs only *.slow.test.ts (kept out of the
// default suite so CI stays well under 10 minutes). Extra arguments are file filters (substring match).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const slow = args.includes("--slow");
const filters = args.filter((a) => !a.startsWith("--"));

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    if (e === "node_modules" || e.startsWith(".")) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

let files = [...walk("test", []), ...walk("src", [])].sort();
files = files.filter((f) => (slow ? f.endsWith(".slow.test.ts") : !f.endsWith(".slow.test.ts")));
if (filters.length) files = files.filter((f) => filters.some((q) => f.includes(q)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...files], {
  stdio: "inherit",
});
process.exit(r.status ?? 1);
