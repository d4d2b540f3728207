/**
 * `exodus-snn nir …` as a user runs it (in process, through main()): import writes a run directory that
 * eval and train --resume accept, export writes a file that imports back to the same weights, inspect
 * prints the graph, and a recurrent file exits 2 with the reason.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";
import { setBackendSync } from "../../src/kernels/registry.js";
import { Linear } from "../../src/layers/linear.js";
import { Sequential } from "../../src/layers/sequential.js";
import { LIF } from "../../src/neurons/lif.js";
import { toNIR } from "../../src/nir/export.js";
import { loadSafetensors } from "../../src/train/safetensors.js";
import { Rng } from "../../src/util/rng.js";

const dir = mkdtempSync(join(tmpdir(), "nir-cli-"));
const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/nir/${f}`, import.meta.url));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = process.stdout.write.bind(process.stdout), e = process.stderr.write.bind(process.stderr);
  let stdout = "", stderr = "";
  process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
    process.exitCode = undefined;
  }
}

const lastJson = (s: string) => JSON.parse(s.trim().split("\n").pop()!) as Record<string, unknown>;

test("nir import → eval → train --resume → export → import keeps the weights; inspect; a recurrent file exits 2", async () => {
  setBackendSync("ref");
  // the toy task's shape (12 inputs, 3 classes), so import picks it and eval runs
  const m = new Sequential(new Linear(12, 8, { rng: new Rng(4) }), new LIF({ tauMem: 5, normInput: false, spikeThreshold: 0.5 }), new Linear(8, 3, { rng: new Rng(5) }), new LIF({ tauMem: 5, normInput: false, spikeThreshold: 0.5 }));
  const f = join(dir, "toy.nir");
  writeFileSync(f, await toNIR(m, { inputShape: [12], dt: 1e-3 }));
  const imp = await run(["nir", "import", f, "--out", join(dir, "run")]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.equal(lastJson(imp.stdout)["task"], "toy");
  const ev = await run(["eval", "--checkpoint", join(dir, "run"), "--device", "ref", "--limit-test", "8"]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(typeof lastJson(ev.stdout)["test_accuracy"], "number");
  const tr = await run(["train", "--resume", "--out", join(dir, "run"), "--epochs", "1", "--limit-train", "16", "--limit-test", "8", "--no-progress"]);
  assert.equal(tr.code, 0, tr.stderr);
  const out = join(dir, "back.nir");
  const ex = await run(["nir", "export", "--checkpoint", join(dir, "run"), "--out", out]);
  assert.equal(ex.code, 0, ex.stderr);
  assert.ok(existsSync(out));
  const imp2 = await run(["nir", "import", out, "--out", join(dir, "run2")]);
  assert.equal(imp2.code, 0, imp2.stderr);
  const a = loadSafetensors(join(dir, "run", "checkpoint", "model.safetensors")).tensors;
  const b = loadSafetensors(join(dir, "run2", "checkpoint", "model.safetensors")).tensors;
  for (const k of ["0.weight", "0.bias", "2.weight", "2.bias"]) assert.deepEqual(Array.from(b.get(k)!.data), Array.from(a.get(k)!.data), k);

  // one test only: the runner's own report goes to stdout too, and must not land in a capture window
  const ins = await run(["nir", "inspect", fixture("cnn_sinabs.nir")]);
  assert.equal(ins.code, 0, ins.stderr);
  assert.match(ins.stdout, /version 0\.2\.0/);
  assert.match(ins.stdout, /0: Conv2d .*weight\[16,2,5,5\] f32/);
  assert.match(ins.stdout, /input → 0/);
  // shapes by the conv/pool formula: 34 → (34 + 2 − 5)/2 + 1 = 16 → 16 → pool 8 → 8 → pool 4; 8·4·4 = 128
  assert.match(ins.stdout, /0 Conv2d \[16,16,16\] → 1 IF \[16,16,16\] → 2 Conv2d \[16,16,16\] → 3 IF \[16,16,16\] → 4 SumPool2d \[16,8,8\] → 5 Conv2d \[8,8,8\] → 6 IF \[8,8,8\] → 7 SumPool2d \[8,4,4\] → 8 Flatten \[128\]/);
  const bad = await run(["nir", "import", fixture("braille_noDelay_bias_zero.nir"), "--out", join(dir, "braille")]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /recurrent/);
  assert.ok(!existsSync(join(dir, "braille", "config.json")), "no run directory is left behind");
});
