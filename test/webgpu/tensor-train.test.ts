/**
 * Tensor-level check on webgpu: a short EXODUS training run of Linear → LIF with a spike-count
 * cross-entropy and Adam, through the public tensor/autograd/optimizer code, gives the same loss curve on
 * the webgpu backend as on wasm (same data, same initial weights). Only the losses are read back.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import "../../src/kernels/wasm/backend.js";
import "../../src/kernels/webgpu/backend.js";
import type { BackendName } from "../../src/kernels/contract.js";
import { setBackend } from "../../src/kernels/registry.js";
import { LIF } from "../../src/neurons/lif.js";
import { backward } from "../../src/tensor/grad.js";
import { tidyAsync, keep } from "../../src/tensor/memory.js";
import { linear, reshape, tensor } from "../../src/tensor/ops/index.js";
import { countCrossEntropy } from "../../src/train/losses.js";
import { Adam } from "../../src/train/optim.js";
import { backend, need, randn, rng } from "./helpers.js";

after(async () => (await backend())?.dispose());

const T = 30, B = 4, FIN = 24, H = 10, STEPS = 5;

async function run(name: BackendName, engine: "exodus" | "slayer" | "bptt"): Promise<number[]> {
  await setBackend(name);
  const r = rng(9);
  const xData = randn(r, T * B * FIN, 1, 0.3);
  const labels = Array.from({ length: B }, (_, i) => (3 * i) % H);
  const w = keep(tensor(randn(r, H * FIN, 0.4), [H, FIN], { requiresGrad: true }));
  const lif = new LIF({ tauMem: 10, gradient: engine, normInput: false });
  const opt = new Adam([w], { lr: 0.02 });
  const curve: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const loss = await tidyAsync(async () => {
      lif.resetStates();
      const x = tensor(xData, [T * B, FIN]);
      const y = reshape(linear(x, w, null), [T, B, H]);
      const l = countCrossEntropy(lif.forward(y), labels);
      opt.zeroGrad();
      backward(l);
      opt.step();
      return (await l.data())[0]!;
    });
    curve.push(loss);
  }
  w.dispose();
  opt.dispose();
  return curve;
}

for (const engine of ["exodus", "slayer", "bptt"] as const) {
  test(`tensor-level ${engine} training (Linear → LIF → count CE → Adam): webgpu loss curve = wasm`, async (t) => {
    const b = await need(t);
    if (!b) return;
    const gpu = await run("webgpu", engine);
    const cpu = await run("wasm", engine);
    console.log(`# ${engine} loss wasm   ${cpu.map((x) => x.toFixed(6)).join(" ")}\n# ${engine} loss webgpu ${gpu.map((x) => x.toFixed(6)).join(" ")}`);
    for (let i = 0; i < STEPS; i++) {
      assert.ok(Math.abs(gpu[i]! - cpu[i]!) <= 1e-3 * Math.abs(cpu[i]!) + 1e-5, `step ${i + 1}: webgpu ${gpu[i]} vs wasm ${cpu[i]}`);
    }
  });
}
