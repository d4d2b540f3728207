/**
 * The default CPU path (wasm, float32) against the oracle: a LIF layer on wasm gives the same spikes as on
 * ref float32 (same op order, no FMA in the scans), and its EXODUS gradients equal BPTT's on ref to 1e-4.
 * Memory of a repeated training-like step on wasm stops growing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import "../../src/kernels/wasm/backend.js";
import { getBackend, setBackendSync } from "../../src/kernels/registry.js";
import { tidy } from "../../src/tensor/memory.js";
import { add, linear, mul, randn, reshape, sum, tensor } from "../../src/tensor/ops/index.js";
import { backward } from "../../src/tensor/grad.js";
import { LIF, type LIFOptions } from "../../src/neurons/lif.js";
import { MembraneReset } from "../../src/neurons/reset.js";
import { SingleSpike } from "../../src/neurons/spikes.js";
import type { GradientEngine } from "../../src/neurons/dynamics.js";
import type { BackendName } from "../../src/kernels/contract.js";
import { randArray, relDiff, Rng, testSeed } from "../helpers.js";

const seed = testSeed("wasm-engines");

function run(backend: BackendName, engine: GradientEngine, x: number[], w: number[], shape: number[], extra: Partial<LIFOptions> = {}) {
  setBackendSync(backend);
  return tidy(() => {
    const lif = new LIF({ tauMem: [8, 15, 30, 60, 12], tauSyn: 6, minVMem: -0.5, spikeThreshold: [1, 0.8, 1.2, 1, 0.9], gradient: engine, ...extra });
    const xt = tensor(x, shape, { requiresGrad: true });
    const chunks = [xt, tensor(x.map((v) => 0.7 * v), shape, { requiresGrad: true })];
    let loss = null as ReturnType<typeof sum> | null;
    const spikes: number[] = [];
    for (const c of chunks) {
      const y = lif.forward(c);
      spikes.push(...y.dataSync());
      const l = sum(mul(y, tensor(w, shape)));
      loss = loss ? add(loss, l) : l;
    }
    backward(loss!);
    const th = lif.parameter("spikeThreshold");
    return {
      spikes, dx: [...chunks[0]!.grad!.dataSync(), ...chunks[1]!.grad!.dataSync()], dtau: Array.from(lif.parameter("tauMem")!.grad!.dataSync()),
      dtheta: th?.grad ? Array.from(th.grad.dataSync()) : [],
    };
  });
}

test("LIF on wasm: spikes identical to ref float32, EXODUS grads = BPTT(ref) to 1e-4", () => {
  const rng = new Rng(seed);
  const shape = [40, 3, 5];
  const n = 40 * 15;
  const x = randArray(rng, n, -2, 8);
  const w = randArray(rng, n);
  const wasmEx = run("wasm", "exodus", x, w, shape);
  const refEx = run("ref", "exodus", x, w, shape);
  const refBp = run("ref", "bptt", x, w, shape);
  const wasmBp = run("wasm", "bptt", x, w, shape);
  assert.ok(wasmEx.spikes.some((s) => s > 0));
  assert.deepEqual(wasmEx.spikes, refEx.spikes);
  assert.deepEqual(wasmEx.spikes, refBp.spikes);
  assert.deepEqual(wasmBp.spikes, refBp.spikes);
  for (const [name, a] of [["wasm exodus", wasmEx], ["wasm bptt", wasmBp]] as const) {
    assert.ok(relDiff(a.dx, refBp.dx) <= 1e-4, `${name} dx vs ref BPTT: ${relDiff(a.dx, refBp.dx)}`);
    assert.ok(relDiff(a.dtau, refBp.dtau) <= 1e-4, `${name} dτ vs ref BPTT: ${relDiff(a.dtau, refBp.dtau)}`);
  }
});

for (const [label, extra] of [
  ["zero reset", { reset: new MembraneReset(0), spikeFn: SingleSpike }],
  ["trained θ per neuron, m = θ", { trainThreshold: true }],
  ["trained θ shared, zero reset", { spikeThreshold: 0.9, trainThreshold: "shared", reset: new MembraneReset(0), spikeFn: SingleSpike }],
] as [string, Partial<LIFOptions>][]) {
  test(`LIF on wasm, ${label}: spikes identical to ref float32, EXODUS grads (incl. dθ) = BPTT(ref) to 1e-4`, () => {
    const rng = new Rng(seed + 1);
    const shape = [40, 3, 5];
    const n = 40 * 15;
    const x = randArray(rng, n, -2, 8);
    const w = randArray(rng, n);
    const wasmEx = run("wasm", "exodus", x, w, shape, extra);
    const refBp = run("ref", "bptt", x, w, shape, extra);
    assert.ok(wasmEx.spikes.some((s) => s > 0));
    assert.deepEqual(wasmEx.spikes, refBp.spikes);
    for (const k of ["dx", "dtau", "dtheta"] as const) {
      assert.ok(relDiff(wasmEx[k], refBp[k]) <= 1e-4, `${k}: wasm exodus vs ref BPTT ${relDiff(wasmEx[k], refBp[k])}`);
    }
    assert.equal(wasmEx.dtheta.length, extra.trainThreshold ? (extra.trainThreshold === "shared" ? 1 : 5) : 0);
  });
}

test("memory does not grow over 100 training-like steps on wasm", () => {
  setBackendSync("wasm");
  const be = getBackend("wasm");
  const rng = new Rng(seed);
  const w = randn([32, 20], rng, 0.3);
  w.requiresGrad = true;
  const lif = new LIF({ tauMem: 10 });
  const x = tensor(randArray(rng, 30 * 4 * 20, 0, 1), [30, 4, 20]);
  const reserved: number[] = [];
  const inUse: number[] = [];
  for (let step = 0; step < 100; step++) {
    tidy(() => {
      lif.resetStates();
      const h = reshape(linear(reshape(x, [120, 20]), w), [30, 4, 32]);
      const loss = sum(lif.forward(h));
      backward(loss);
      w.grad!.dispose();
      w.grad = null;
    });
    const st = be.memoryStats();
    reserved.push(st.bytesReserved);
    inUse.push(st.bytesInUse);
  }
  assert.equal(reserved[99], reserved[10], `reserved bytes grew: ${reserved[10]} → ${reserved[99]}`);
  assert.equal(inUse[99], inUse[10], `bytes in use grew: ${inUse[10]} → ${inUse[99]}`);
});
