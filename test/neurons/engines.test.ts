/**
 * EXODUS equals BPTT-through-autograd (spec §3.4) at the layer level: identical spikes, and gradients of
 * input, initial state and τ/α equal to 1e-9 (float64) / 1e-4 (float32) over a grid of configurations,
 * across three chained chunks with the state carried. SLAYER must differ whenever a neuron resets.
 * The grid runs once with the subtractive reset and once with the zero reset (docs/gradients.md §5), and
 * with trained thresholds (§6) on both.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setBackendSync } from "../../src/kernels/registry.js";
import { tidy } from "../../src/tensor/memory.js";
import { add, mul, sum, tensor } from "../../src/tensor/ops/index.js";
import { backward } from "../../src/tensor/grad.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { LIF, type LIFOptions } from "../../src/neurons/lif.js";
import { IAF } from "../../src/neurons/iaf.js";
import { ExpLeak } from "../../src/neurons/exp-leak.js";
import type { SpikingOptions } from "../../src/neurons/spiking-layer.js";
import { MembraneReset, MembraneSubtract } from "../../src/neurons/reset.js";
import { MaxSpike, MultiSpike, SingleSpike } from "../../src/neurons/spikes.js";
import { Gaussian, Heaviside, MultiGaussian, PeriodicExponential, SingleExponential } from "../../src/neurons/surrogates.js";
import type { GradientEngine } from "../../src/neurons/dynamics.js";
import type { Module } from "../../src/layers/module.js";
import { randArray, relDiff, Rng, testSeed } from "../helpers.js";

const seed = testSeed("engines");

interface RunOut {
  spikes: number[];
  grads: Record<string, number[]>;
  clipped: number;
}

/** Three chained chunks through one layer; loss = Σ w_k·out_k + Σ u·v_final; grads of inputs, v0, params. */
function runChunks(
  make: (g: GradientEngine) => Module & { vMem?: Tensor | null },
  engine: GradientEngine,
  dtype: "float64" | "float32",
  chunks: number[][],
  weights: number[][],
  shape: number[],
  v0: number[] | null,
  minV: number | null,
): RunOut {
  return tidy(() => {
    const layer = make(engine);
    const xs = chunks.map((c) => tensor(c, shape, { dtype, requiresGrad: true }));
    let v0t: Tensor | null = null;
    if (v0 && "setState" in layer) {
      v0t = tensor(v0, [v0.length], { dtype, requiresGrad: true });
      (layer as unknown as { setState(s: { vMem: Tensor }): void }).setState({ vMem: v0t });
    }
    let loss: Tensor | null = null;
    const spikes: number[] = [];
    let clipped = 0;
    xs.forEach((x, k) => {
      const y = layer.forward(x);
      spikes.push(...y.dataSync());
      const lastV = (layer as { lastV?: Tensor | null }).lastV;
      if (minV !== null && lastV) clipped += Array.from(lastV.dataSync()).filter((v) => v === Math.fround(minV) || v === minV).length;
      const term = sum(mul(y, tensor(weights[k]!, shape, { dtype })));
      loss = loss ? add(loss, term) : term;
    });
    const vEnd = (layer as { vMem?: Tensor | null }).vMem;
    if (vEnd) loss = add(loss!, sum(mul(vEnd, tensor(randArray(new Rng(7), vEnd.size), vEnd.shape, { dtype }))));
    backward(loss!);
    const grads: Record<string, number[]> = {};
    xs.forEach((x, k) => (grads[`x${k}`] = Array.from(x.grad!.dataSync())));
    if (v0t) grads.v0 = Array.from(v0t.grad!.dataSync());
    for (const [n, p] of layer.namedParameters()) if (p.grad) grads[n] = Array.from(p.grad.dataSync());
    return { spikes, grads, clipped };
  });
}

interface GridCase {
  name: string;
  make: (g: GradientEngine, dtype: "float64" | "float32") => Module;
  F: number;
  v0: boolean;
  minV: number | null;
  scale: number;
  /** input strongly negative in the first half of each chunk, strongly positive in the second (so it both clips and spikes) */
  split?: boolean;
  /** zero reset: assert that spikes (hence resets) happen before the last step of a chunk */
  resets?: boolean;
  /** the threshold is trained: assert its gradient is there and nonzero */
  thetaGrad?: boolean;
}

const surrogates = [
  new SingleExponential(),
  new PeriodicExponential(),
  new Heaviside({ window: 0.5 }),
  new Gaussian({ sigma: 0.4 }),
  new MultiGaussian(),
];
const spikeFns = [MultiSpike, SingleSpike, MaxSpike(2)];

const grid: GridCase[] = [];
surrogates.forEach((sur, i) => {
  const sf = spikeFns[i % 3]!;
  grid.push({
    name: `LIF τ=20 ${sur} ${sf}`,
    make: (g, dtype) => new LIF({ tauMem: 20, gradient: g, surrogate: sur, spikeFn: sf, dtype }),
    F: 3, v0: false, minV: null, scale: 8,
  });
});
grid.push(
  {
    name: "LIF per-neuron τ, θ, m ≠ θ, v0 ≠ 0, minVMem active",
    make: (g, dtype) => new LIF({
      tauMem: [5, 12, 30], spikeThreshold: [0.8, 1, 1.3], reset: new MembraneSubtract([0.5, 0.9, 1.6]),
      minVMem: -0.3, gradient: g, dtype, spikeFn: MaxSpike(3), surrogate: new PeriodicExponential(),
    }),
    F: 3, v0: true, minV: -0.3, scale: 6,
  },
  {
    name: "LIF with synapse (tauSyn, decayEarly) and trainAlphas",
    make: (g, dtype) => new LIF({ tauMem: 15, tauSyn: [8, 20], trainAlphas: true, gradient: g, dtype, minVMem: -0.02 } as LIFOptions),
    F: 2, v0: true, minV: -0.02, scale: 10, split: true,
  },
  {
    name: "LIF normInput off, decayEarly off synapse",
    make: (g, dtype) => new LIF({ tauMem: 10, tauSyn: 5, decayEarly: false, normInput: false, gradient: g, dtype }),
    F: 4, v0: false, minV: null, scale: 1.2,
  },
  {
    name: "IAF m ≠ θ, minVMem",
    make: (g, dtype) => new IAF({ spikeThreshold: 1, reset: new MembraneSubtract(0.7), minVMem: -1, gradient: g, dtype, surrogate: new SingleExponential({ gradWidth: 0.3 }) } as SpikingOptions),
    // split: a negative first half drives v down to minVMem in every seed (uniform inputs sometimes never did)
    F: 3, v0: true, minV: -1, scale: 1, split: true,
  },
  {
    name: "ExpLeak (normInput, decayEarly)",
    make: (g, dtype) => new ExpLeak({ tauMem: [4, 9], normInput: true, decayEarly: true, gradient: g, dtype }),
    F: 2, v0: false, minV: null, scale: 1,
  },
);

// The same grid with the zero reset (SingleSpike is required): every spiking case re-made with
// MembraneReset(0), the options otherwise unchanged.
const zero = new MembraneReset(0);
surrogates.forEach((sur) => {
  grid.push({
    name: `zero reset: LIF τ=20 ${sur}`,
    make: (g, dtype) => new LIF({ tauMem: 20, gradient: g, surrogate: sur, spikeFn: SingleSpike, reset: zero, dtype }),
    F: 3, v0: false, minV: null, scale: 8, resets: true,
  });
});
grid.push(
  {
    name: "zero reset: LIF per-neuron τ, θ, v0 ≠ 0, minVMem active",
    make: (g, dtype) => new LIF({
      tauMem: [5, 12, 30], spikeThreshold: [0.8, 1, 1.3], reset: zero, minVMem: -0.3, gradient: g, dtype,
      spikeFn: SingleSpike, surrogate: new PeriodicExponential(),
    }),
    F: 3, v0: true, minV: -0.3, scale: 6, resets: true,
  },
  {
    name: "zero reset: LIF with synapse (tauSyn, decayEarly) and trainAlphas",
    make: (g, dtype) => new LIF({ tauMem: 15, tauSyn: [8, 20], trainAlphas: true, gradient: g, dtype, minVMem: -0.02, spikeFn: SingleSpike, reset: zero }),
    F: 2, v0: true, minV: -0.02, scale: 10, split: true, resets: true,
  },
  {
    name: "zero reset: LIF normInput off, decayEarly off synapse",
    make: (g, dtype) => new LIF({ tauMem: 10, tauSyn: 5, decayEarly: false, normInput: false, gradient: g, dtype, spikeFn: SingleSpike, reset: zero }),
    F: 4, v0: false, minV: null, scale: 1.2, resets: true,
  },
  {
    name: "zero reset: IAF minVMem",
    make: (g, dtype) => new IAF({ spikeThreshold: 1, reset: zero, spikeFn: SingleSpike, minVMem: -1, gradient: g, dtype, surrogate: new SingleExponential({ gradWidth: 0.3 }) }),
    F: 3, v0: true, minV: -1, scale: 1, split: true, resets: true,
  },
  // Trained thresholds (docs/gradients.md §6): θ's gradient is compared like every other parameter's.
  {
    name: "trainThreshold per neuron, subtract with m = θ (θ in the reset too), minVMem",
    make: (g, dtype) => new LIF({ tauMem: [5, 12, 30], spikeThreshold: [0.8, 1, 1.3], trainThreshold: true, minVMem: -0.3, spikeFn: MaxSpike(2), gradient: g, dtype, surrogate: new Gaussian({ sigma: 0.4 }) }),
    F: 3, v0: true, minV: -0.3, scale: 6, thetaGrad: true,
  },
  {
    name: "trainThreshold shared, subtract with m ≠ θ, MultiSpike",
    make: (g, dtype) => new LIF({ tauMem: [5, 12, 30], spikeThreshold: 1.1, trainThreshold: "shared", reset: new MembraneSubtract(0.6), gradient: g, dtype }),
    F: 3, v0: true, minV: null, scale: 8, thetaGrad: true,
  },
  {
    name: "trainThreshold per neuron, zero reset, synapse",
    make: (g, dtype) => new LIF({ tauMem: 15, tauSyn: [8, 20], spikeThreshold: [0.9, 1.2], trainThreshold: "perNeuron", reset: zero, spikeFn: SingleSpike, gradient: g, dtype, surrogate: new MultiGaussian() }),
    F: 2, v0: true, minV: null, scale: 10, resets: true, thetaGrad: true,
  },
  {
    name: "trainThreshold shared, IAF zero reset, minVMem",
    make: (g, dtype) => new IAF({ spikeThreshold: 1, trainThreshold: "shared", reset: zero, spikeFn: SingleSpike, minVMem: -1, gradient: g, dtype }),
    F: 3, v0: true, minV: -1, scale: 1, split: true, resets: true, thetaGrad: true,
  },
);

const T = 25;
const B = 2;

for (const dtype of ["float64", "float32"] as const) {
  const tol = dtype === "float64" ? 1e-9 : 1e-4;
  for (const gc of grid) {
    test(`EXODUS == BPTT (${dtype}): ${gc.name}`, () => {
      setBackendSync("ref");
      const rng = new Rng(seed + grid.indexOf(gc));
      const shape = [T, B, gc.F];
      const n = T * B * gc.F;
      const half = (n / 2) | 0; // time-major: the first half of the array is the first half of the time steps
      const chunks = [0, 1, 2].map(() =>
        gc.split
          ? [...randArray(rng, half, -gc.scale, 0), ...randArray(rng, n - half, 0, gc.scale)]
          : randArray(rng, n, -0.6 * gc.scale, gc.scale),
      );
      const weights = [0, 1, 2].map(() => randArray(rng, n, -1, 1));
      const v0 = gc.v0 ? randArray(rng, B * gc.F, -0.2, 0.8) : null;
      const ex = runChunks((g) => gc.make(g, dtype) as Module, "exodus", dtype, chunks, weights, shape, v0, gc.minV);
      const bp = runChunks((g) => gc.make(g, dtype) as Module, "bptt", dtype, chunks, weights, shape, v0, gc.minV);
      assert.deepEqual(ex.spikes, bp.spikes, "forward outputs must be identical");
      if (!gc.name.startsWith("ExpLeak")) assert.ok(ex.spikes.some((s) => s > 0), "the case must spike");
      if (gc.minV !== null) assert.ok(ex.clipped > 0, "the case must actually clip at minVMem");
      if (gc.resets) {
        // a spike before a chunk's last step resets the membrane inside the scan (and all spikes are 0/1)
        const per = n / T;
        const early = ex.spikes.filter((sp, i) => sp > 0 && (i % n) < n - per).length;
        assert.ok(early > 0, "the zero-reset case must reset inside a chunk");
        assert.ok(ex.spikes.every((sp) => sp === 0 || sp === 1), "SingleSpike");
      }
      if (gc.thetaGrad) {
        assert.ok(bp.grads.spikeThreshold, "BPTT must give the threshold a gradient");
        assert.ok(bp.grads.spikeThreshold.some((g) => g !== 0), "the threshold gradient must be nonzero");
      }
      assert.deepEqual(Object.keys(ex.grads).sort(), Object.keys(bp.grads).sort());
      for (const k of Object.keys(bp.grads)) {
        const r = relDiff(ex.grads[k]!, bp.grads[k]!);
        // A shared constant's gradient (one value) is a single float32 sum over all T·B·F terms, added in another
        // order by the fused scan than by the tape; with cancellation that alone reached 1.06e-4 (EXODUS_SEED=310354,
        // before and after the zero-reset work). Float64 keeps the 1e-9 equality for every gradient.
        const t = dtype === "float32" && bp.grads[k]!.length === 1 ? 3 * tol : tol;
        assert.ok(r <= t, `${k}: EXODUS vs BPTT relative difference ${r.toExponential(3)} > ${t}`);
      }
    });
  }
}

test("SLAYER differs from BPTT whenever a neuron resets, and equals it when none does", () => {
  setBackendSync("ref");
  const rng = new Rng(seed);
  const shape = [T, 1, 3];
  const n = T * 3;
  const weights = [randArray(rng, n)];
  const mk = (g: GradientEngine) => new LIF({ tauMem: 10, gradient: g, dtype: "float64", surrogate: new Heaviside({ window: 0.3 }) });
  // resets happen: gradients differ
  const strong = [randArray(rng, n, 0, 12)];
  const sl = runChunks(mk, "slayer", "float64", strong, weights, shape, null, null);
  const bp = runChunks(mk, "bptt", "float64", strong, weights, shape, null, null);
  assert.ok(sl.spikes.some((s) => s > 0));
  assert.ok(relDiff(sl.grads.x0!, bp.grads.x0!) > 1e-3, "SLAYER must differ from BPTT when neurons reset");
  // never near threshold (σ = 0 with a narrow Heaviside window): the reset term vanishes, SLAYER = BPTT
  const weak = [randArray(rng, n, -0.2, 0.2)];
  const sl2 = runChunks(mk, "slayer", "float64", weak, weights, shape, null, null);
  const bp2 = runChunks(mk, "bptt", "float64", weak, weights, shape, null, null);
  assert.ok(sl2.spikes.every((s) => s === 0));
  assert.ok(relDiff(sl2.grads.x0!, bp2.grads.x0!) < 1e-12);
});
