/** The gradcheck command as a user runs it: JSON contract, battery exit status, bad cases exit 2. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, encoding: "utf8" });
const dir = mkdtempSync(join(tmpdir(), "gradcheck-"));

test("--case prints exactly one JSON object with the documented fields", () => {
  const f = join(dir, "case.json");
  writeFileSync(f, JSON.stringify({
    dtype: "float32", alpha: [0.9, 0.8], threshold: 1, membraneSubtract: 0.7, vInit: [0.2, -0.1], minVMem: -0.5, maxSpikes: 2,
    surrogate: { type: "MultiGaussian", mu: 0, sigma: 0.5, h: 0.15, s: 6, gradScale: 1 },
    x: [[1.2, 0.3, -0.9, 2.5], [0.1, 1.9, 0.4, -2]], gradSpikes: [[1, -1, 0.5, 2], [0, 1, 1, -1]], gradV: [[0.1, 0, 0, 0.2], [0, 0, 0.3, 0]],
  }));
  const r = cli(["gradcheck", "--case", f]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  const out = JSON.parse(lines[0]!);
  for (const eng of ["exodus", "bptt", "slayer"]) {
    const g = out[eng];
    for (const k of ["spikes", "v", "dx"]) {
      assert.equal(g[k].length, 2);
      assert.equal(g[k][0].length, 4);
    }
    assert.equal(g.dv0.length, 2);
    assert.equal(g.dalpha.length, 2);
    assert.equal(g.dthreshold.length, 2, "dthreshold: one value per neuron (threshold given as one number)");
  }
  assert.deepEqual(out.exodus.spikes, out.bptt.spikes);
});

test("--case with \"reset\": \"zero\": EXODUS = BPTT, and the zero reset differs from the subtractive one", () => {
  const base = {
    dtype: "float64", alpha: 0.9, threshold: 1, maxSpikes: 1, surrogate: { type: "SingleExponential", gradWidth: 0.5, gradScale: 1 },
    x: [[1.5, 0.4, 0.9, 1.3, 0.2, 1.1]], gradSpikes: [[1, -1, 0.5, 2, 1, -0.5]],
  };
  const outs = ["zero", "subtract"].map((reset) => {
    const f = join(dir, `case-${reset}.json`);
    writeFileSync(f, JSON.stringify({ ...base, reset }));
    const r = cli(["gradcheck", "--case", f]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  });
  const [zero, subtract] = outs;
  for (const k of ["dx", "dv0", "dthreshold"]) {
    const a = zero.exodus[k].flat() as number[];
    const b = zero.bptt[k].flat() as number[];
    assert.ok(a.every((v, i) => Math.abs(v - b[i]!) <= 1e-9 * Math.max(1, ...b.map(Math.abs))), `${k}: EXODUS ${a} vs BPTT ${b}`);
  }
  assert.notDeepEqual(zero.exodus.v, subtract.exodus.v, "the reset must change the membrane trajectory");
});

test("malformed cases exit 2 with a message, no stack trace", () => {
  const bad: [unknown, string][] = [
    [{ dtype: "float16" }, "dtype"],
    [{ dtype: "float64", alpha: 0.9, threshold: 1, surrogate: { type: "Heaviside" }, x: [[1, 2]], gradSpikes: [[1]] }, "gradSpikes"],
    [{ dtype: "float64", alpha: 0.9, threshold: 1, minVMem: 2, surrogate: { type: "Heaviside" }, x: [[1]], gradSpikes: [[1]] }, "minVMem"],
    [{ dtype: "float64", alpha: 0.9, threshold: 1, surrogate: { type: "Sigmoid" }, x: [[1]], gradSpikes: [[1]] }, "surrogate"],
    [{ dtype: "float64", alpha: 0.9, threshold: 1, reset: "zero", surrogate: { type: "Heaviside" }, x: [[1]], gradSpikes: [[1]] }, "maxSpikes"],
    [{ dtype: "float64", alpha: 0.9, threshold: 1, reset: "hard", surrogate: { type: "Heaviside" }, x: [[1]], gradSpikes: [[1]] }, "reset"],
  ];
  for (const [c, word] of bad) {
    const f = join(dir, `bad-${word}.json`);
    writeFileSync(f, JSON.stringify(c));
    const r = cli(["gradcheck", "--case", f]);
    assert.equal(r.status, 2, `${word}: ${r.stderr}`);
    assert.ok(r.stderr.includes(word), `stderr should mention ${word}: ${r.stderr}`);
    assert.ok(!r.stderr.includes("    at "), "no stack trace");
  }
  const nf = cli(["gradcheck", "--case", join(dir, "missing.json")]);
  assert.equal(nf.status, 2);
  writeFileSync(join(dir, "notjson.json"), "{ nope");
  assert.equal(cli(["gradcheck", "--case", join(dir, "notjson.json")]).status, 2);
});

test("the battery passes and prints the table", () => {
  const r = cli(["gradcheck", "--seed", "5"]);
  assert.equal(r.status, 0, r.stdout.slice(-2000));
  assert.match(r.stdout, /140 passed, 0 failed/);
});

test("--device wasm: a float32 case on the wasm kernels agrees with the float64 ref BPTT within float32 tolerance", () => {
  const f = join(dir, "device.json");
  const c = {
    alpha: [0.9, 0.8, 0.85], threshold: 1, membraneSubtract: 0.7, vInit: [0.2, -0.1, 0], minVMem: -0.5, maxSpikes: 2,
    surrogate: { type: "SingleExponential", gradWidth: 0.5, gradScale: 1 },
    x: [[1.2, 0.3, -0.9, 2.5, 0.7], [0.1, 1.9, 0.4, -2, 1.1], [0.6, 0.6, 0.6, 0.6, 0.6]],
    gradSpikes: [[1, -1, 0.5, 2, 0], [0, 1, 1, -1, 0.5], [0.3, 0.3, -0.2, 1, 1]], gradV: [[0.1, 0, 0, 0.2, 0], [0, 0, 0.3, 0, 0], [0, 0.1, 0, 0, 0.2]],
  };
  writeFileSync(f, JSON.stringify({ ...c, dtype: "float64" }));
  const ref = cli(["gradcheck", "--case", f]);
  assert.equal(ref.status, 0, ref.stderr);
  writeFileSync(f, JSON.stringify({ ...c, dtype: "float32" }));
  const wasm = cli(["gradcheck", "--case", f, "--device", "wasm"]);
  assert.equal(wasm.status, 0, wasm.stderr);
  const want = JSON.parse(ref.stdout).bptt;
  const got = JSON.parse(wasm.stdout);
  for (const eng of ["exodus", "bptt"]) {
    assert.deepEqual(got[eng].spikes, want.spikes, eng);
    for (const k of ["dx", "dv0", "dalpha"]) {
      const a = [got[eng][k]].flat(2) as number[], b = [want[k]].flat(2) as number[];
      const scale = Math.max(...b.map(Math.abs), 1e-12);
      for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4 * scale, `${eng}.${k}[${i}]: ${a[i]} vs ${b[i]}`);
    }
  }
});

test("--device: a float64 case on wasm and an unknown device exit 2 naming the fix", () => {
  const f = join(dir, "device64.json");
  writeFileSync(f, JSON.stringify({ dtype: "float64", alpha: 0.9, threshold: 1, surrogate: { type: "Heaviside", window: 1 }, x: [[1, 2]], gradSpikes: [[1, 1]] }));
  const r = cli(["gradcheck", "--case", f, "--device", "wasm"]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /float32 only.*"dtype": "float32".*--device ref/);
  const u = cli(["gradcheck", "--device", "tpu"]);
  assert.equal(u.status, 2, u.stderr);
  assert.match(u.stderr, /--device must be ref, wasm or webgpu/);
});
