/**
 * The small spiking networks the paper-reproduction experiments share: Linear+LIF stacks and a
 * Conv+SumPool+LIF stack (the DVS Gesture shape), built from raw ops so one set of initial weights can be
 * instantiated under EXODUS, SLAYER and BPTT side by side. Kept private to src/experiments on purpose:
 * the experiments must not change when the public layer API evolves.
 */
// the experiments run on the wasm backend: register it even when only this module is imported
import "../kernels/wasm/backend.js";
import { LIF } from "../neurons/lif.js";
import { SingleSpike } from "../neurons/spikes.js";
import { SingleExponential } from "../neurons/surrogates.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import { conv2d, linear, reshape, sumPool2d, tensor } from "../tensor/ops/index.js";
import { keep } from "../tensor/memory.js";
import type { Tensor } from "../tensor/tensor.js";
import type { BackendName, DType } from "../kernels/contract.js";
import { Rng } from "../util/rng.js";

export type LayerSpec =
  | { kind: "linear"; inF: number; outF: number; spiking: boolean }
  | { kind: "conv"; cIn: number; cOut: number; k: number; pad: number; pool: number; h: number; w: number };

export interface NeuronConfig {
  tauMem: number;
  threshold: number;
  gradScale: number;
  gradWidth: number;
  /** SingleSpike as in the authors' slayer-comparison code; MultiSpike otherwise. */
  singleSpike: boolean;
}

export const DEFAULT_NEURON: NeuronConfig = { tauMem: 20, threshold: 1, gradScale: 1, gradWidth: 0.5, singleSpike: true };

/** Initial weights as plain arrays, so every engine starts from bit-identical values. */
export interface WeightSet {
  specs: LayerSpec[];
  data: Float32Array[];
}

function fanIn(s: LayerSpec): number {
  return s.kind === "linear" ? s.inF : s.cIn * s.k * s.k;
}

function shapeOf(s: LayerSpec): number[] {
  return s.kind === "linear" ? [s.outF, s.inF] : [s.cOut, s.cIn, s.k, s.k];
}

/** Gaussian init with std gain/√fanIn (gain > 1 keeps spikes alive through deep stacks with θ = 1). */
export function initWeights(specs: LayerSpec[], seed: number, gain: number | number[]): WeightSet {
  const rng = new Rng(seed);
  const data = specs.map((s, i) => {
    const n = shapeOf(s).reduce((a, b) => a * b, 1);
    const g = Array.isArray(gain) ? gain[i]! : gain;
    const std = g / Math.sqrt(fanIn(s));
    return Float32Array.from({ length: n }, () => rng.normal() * std);
  });
  return { specs, data };
}

/** A feed-forward spiking net on time-major input [T, B, ...]; the last layer may be a non-spiking readout. */
export class SpikingNet {
  readonly weights: Tensor[];
  readonly neurons: (LIF | null)[];

  constructor(
    readonly ws: WeightSet,
    readonly engine: GradientEngine,
    neuron: NeuronConfig,
    opts: { dtype?: DType; backend?: BackendName } = {},
  ) {
    const dtype = opts.dtype ?? "float32";
    this.weights = ws.specs.map((s, i) => {
      const w = keep(tensor(ws.data[i]!, shapeOf(s), { dtype, backend: opts.backend }));
      w.requiresGrad = true;
      return w;
    });
    this.neurons = ws.specs.map((s) =>
      s.kind === "linear" && !s.spiking
        ? null
        : new LIF({
            tauMem: neuron.tauMem,
            spikeThreshold: neuron.threshold,
            normInput: false,
            trainTau: false,
            gradient: engine,
            spikeFn: neuron.singleSpike ? SingleSpike : undefined,
            surrogate: new SingleExponential({ gradScale: neuron.gradScale, gradWidth: neuron.gradWidth }),
            dtype,
            backend: opts.backend,
          }),
    );
  }

  resetStates(): void {
    for (const n of this.neurons) n?.resetStates();
  }

  /** Returns every layer's output (spikes, or the readout's membrane-free linear output) in time-major layout. */
  forwardAll(x: Tensor): Tensor[] {
    const T = x.shape[0]!;
    const B = x.shape[1]!;
    const outs: Tensor[] = [];
    let h = x;
    this.ws.specs.forEach((s, i) => {
      const w = this.weights[i]!;
      // inputs after the first layer are spikes: the backend's spike-sparse gemm path applies
      const sparse = i > 0;
      let z: Tensor;
      if (s.kind === "linear") {
        z = reshape(linear(reshape(h, [T * B, s.inF]), w, null, { aSparse: sparse }), [T, B, s.outF]);
      } else {
        // time folded into the batch: one conv for all T·B frames (what makes the fused engines pay off)
        const c = conv2d(reshape(h, [T * B, s.cIn, s.h, s.w]), w, null, { padding: s.pad });
        const p = s.pool > 1 ? sumPool2d(c, s.pool) : c;
        z = reshape(p, [T, B, ...p.shape.slice(1)]);
      }
      const n = this.neurons[i];
      h = n ? n.forward(z) : z;
      outs.push(h);
    });
    return outs;
  }

  forward(x: Tensor): Tensor {
    return this.forwardAll(x).at(-1)!;
  }

  /** Number of spiking neurons × B × T visited per forward (for neuron-steps/s). */
  neuronSteps(T: number, B: number): number {
    let n = 0;
    this.ws.specs.forEach((s, i) => {
      if (!this.neurons[i]) return;
      if (s.kind === "linear") n += s.outF;
      else {
        const oh = Math.floor((s.h + 2 * s.pad - s.k + 1) / s.pool);
        const ow = Math.floor((s.w + 2 * s.pad - s.k + 1) / s.pool);
        n += s.cOut * oh * ow;
      }
    });
    return n * T * B;
  }

  zeroGrad(): void {
    for (const w of this.weights) {
      if (w.grad) {
        w.grad.dispose();
        w.grad = null;
      }
    }
  }

  /** Gradients as plain arrays (zeros when a layer got none). */
  grads(): Float64Array[] {
    return this.weights.map((w) => (w.grad ? Float64Array.from(w.grad.dataSync()) : new Float64Array(w.size)));
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
    for (const n of this.neurons) n?.resetStates();
  }
}

/** Conv stack of the paper's DVS Gesture net (spec §6.2), scaled: `layers` conv3×3 blocks, SumPool2 while > 4×4, Linear readout. */
export function dvsConvSpecs(opts: { size: number; cIn: number; base: number; layers: number; classes: number }): LayerSpec[] {
  const specs: LayerSpec[] = [];
  let h = opts.size;
  let c = opts.cIn;
  for (let i = 0; i < opts.layers; i++) {
    const cOut = opts.base * 2 ** Math.min(i, 3);
    const pool = h > 4 ? 2 : 1;
    specs.push({ kind: "conv", cIn: c, cOut, k: 3, pad: 1, pool, h, w: h });
    h = Math.floor(h / pool);
    c = cOut;
  }
  specs.push({ kind: "linear", inF: c * h * h, outF: opts.classes, spiking: true });
  return specs;
}

/** Linear+LIF stack: sizes = [in, h1, ..., out]; `readout` makes the last layer non-spiking. */
export function mlpSpecs(sizes: number[], readout: boolean): LayerSpec[] {
  return sizes.slice(1).map((outF, i) => ({ kind: "linear" as const, inF: sizes[i]!, outF, spiking: !(readout && i === sizes.length - 2) }));
}

/** Frobenius norm. */
export function l2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/** Max normwise relative difference max|a−b| / max|b|. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-30;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
}

export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
  return { mean: m, sd: Math.sqrt(v) };
}
