/** EXODUS_CHECK=1 names the first kernel whose buffers hold NaN/Inf. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const script = `
import { setBackendSync } from "./src/kernels/registry.ts";
import { tensor, log, mul } from "./src/tensor/ops/index.ts";
setBackendSync("ref");
const x = tensor([1, 0, 2]);
mul(log(x), x);
console.log("no error");
`;

test("check mode names the kernel that produced a non-finite value", () => {
  const on = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8", env: { ...process.env, EXODUS_CHECK: "1" } });
  assert.notEqual(on.status, 0);
  assert.match(on.stderr, /NumericalError.*kernel 'unary'.*-Infinity/s);
  const off = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8", env: { ...process.env, EXODUS_CHECK: "" } });
  assert.equal(off.status, 0, off.stderr);
  assert.match(off.stdout, /no error/);
});
