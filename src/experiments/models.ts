/**
 * The experiments' networks as public model configs (built by buildModel into Sequentials), and their
 * shared initial weights: Gaussian with std gain/√fanIn drawn once per seed and copied into every engine's
 * model with loadStateDict, so EXODUS, SLAYER and BPTT start from bit-identical weights and only the
 * gradient rule differs.
 */
// the experiments run on the wasm backend: register it even when only this module is imported
import "../kernels/wasm/backend.js";
import type { DType } from "../kernels/contract.js";
import type { Sequential } from "../layers/sequential.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import type { Tensor } from "../tensor/tensor.js";
import { loadStateDict, stateDict } from "../train/checkpoint.js";
import type { LossSpec } from "../train/losses.js";
import { buildModel, type LayerSpec, type ModelConfig } from "../train/models/presets.js";
import type { StTensor } from "../train/safetensors.js";
import { Rng } from "../util/rng.js";
import { pair } from "../layers/conv2d.js";

export interface NeuronConfig {
  tauMem: number;
  threshold: number;
  gradScale: number;
  gradWidth: number;
  /** SingleSpike as in the authors' slayer-comparison code; MultiSpike otherwise. */
  singleSpike: boolean;
}

export const DEFAULT_NEURON: NeuronConfig = { tauMem: 20, threshold: 1, gradScale: 1, gradWidth: 0.5, singleSpike: true };

/** LIF without input normalisation and with a fixed τ, as in the paper's networks. */
export function lifSpec(n: NeuronConfig): LayerSpec {
  return {
    type: "lif", tauMem: n.tauMem, normInput: false, trainTau: false, spikeThreshold: n.threshold,
    spikeFn: n.singleSpike ? "single" : "multi", gradScale: n.gradScale, gradWidth: n.gradWidth,
  };
}

/** Linear(no bias)+LIF stack, sizes = [in, h1, …, out]; `readout` leaves the last Linear without a neuron. */
export function mlpConfig(sizes: number[], neuron: NeuronConfig, o: { readout: boolean; loss: LossSpec; inputShape?: number[] }): ModelConfig {
  const layers: LayerSpec[] = (o.inputShape?.length ?? 1) > 1 ? [{ type: "flatten" }] : [];
  sizes.slice(1).forEach((out, i) => {
    layers.push({ type: "linear", in: sizes[i]!, out, bias: false });
    if (!(o.readout && i === sizes.length - 2)) layers.push(lifSpec(neuron));
  });
  return { inputShape: o.inputShape ?? [sizes[0]!], classes: sizes.at(-1)!, layers, loss: o.loss };
}

/**
 * The paper's DVS Gesture conv net (docs/paper-reproduction.md §4), scaled: `layers` blocks of Conv3×3(pad 1, no bias) →
 * SumPool2 (while the map is larger than 4×4) → LIF, channels base·2^min(i,3), then Flatten → Linear → LIF.
 */
export function dvsConvConfig(o: { size: number; cIn: number; base: number; layers: number; classes: number }, neuron: NeuronConfig): ModelConfig {
  const layers: LayerSpec[] = [];
  let h = o.size;
  let c = o.cIn;
  for (let i = 0; i < o.layers; i++) {
    const out = o.base * 2 ** Math.min(i, 3);
    layers.push({ type: "conv2d", in: c, out, kernel: 3, padding: 1, bias: false });
    if (h > 4) {
      layers.push({ type: "sumpool2d", kernel: 2 });
      h = Math.floor(h / 2);
    }
    layers.push(lifSpec(neuron));
    c = out;
  }
  layers.push({ type: "flatten" }, { type: "linear", in: c * h * h, out: o.classes, bias: false }, lifSpec(neuron));
  return { inputShape: [o.cIn, o.size, o.size], classes: o.classes, layers, loss: { name: "ce-count" } };
}

/** Spiking neurons per sample and time step (for neuron-steps/s), from the config's shapes. */
export function neuronsPerStep(cfg: ModelConfig): number {
  let shape = [...cfg.inputShape];
  let n = 0;
  for (const l of cfg.layers) {
    if (l.type === "linear") shape = [l.out];
    else if (l.type === "conv2d") {
      const [kh, kw] = pair(l.kernel, 1), [ph, pw] = pair(l.padding, 0), [sh, sw] = pair(l.stride, 1);
      shape = [l.out, Math.floor((shape[1]! + 2 * ph - kh) / sh) + 1, Math.floor((shape[2]! + 2 * pw - kw) / sw) + 1];
    } else if (l.type === "sumpool2d" || l.type === "avgpool2d") {
      const [kh, kw] = pair(l.kernel, 1), [sh, sw] = pair(l.stride ?? l.kernel, 1);
      shape = [shape[0]!, Math.floor((shape[1]! - kh) / sh) + 1, Math.floor((shape[2]! - kw) / sw) + 1];
    } else if (l.type === "flatten") shape = [shape.reduce((a, b) => a * b, 1)];
    else if (l.type === "lif" || l.type === "iaf") n += shape.reduce((a, b) => a * b, 1);
  }
  return n;
}

/** The synaptic weights (Linear/Conv2d "k.weight"), input side first. */
export function synapticWeights(model: Sequential): [string, Tensor][] {
  return model.namedParameters().filter(([n, p]) => n.endsWith(".weight") && p.rank >= 2);
}

/** Gaussian weights with std gain/√fanIn from Rng(seed), drawn layer by layer; gain may be per layer. */
export function gaussianWeights(model: Sequential, seed: number, gain: number | number[]): Map<string, StTensor> {
  const rng = new Rng(seed);
  const out = new Map<string, StTensor>();
  synapticWeights(model).forEach(([name, p], i) => {
    const g = Array.isArray(gain) ? gain[i]! : gain;
    const std = g / Math.sqrt(p.size / p.shape[0]!);
    out.set(name, { dtype: "F32", shape: [...p.shape], data: Float32Array.from({ length: p.size }, () => rng.normal() * std) });
  });
  return out;
}

/** Builds `cfg` for `engine` and loads the shared weights (the neurons keep their own τ, θ and scale). */
export function buildWithWeights(cfg: ModelConfig, engine: GradientEngine, weights: ReadonlyMap<string, StTensor>, dtype?: DType): Sequential {
  const model = buildModel(cfg, { gradient: engine, seed: 0, dtype });
  const sd = stateDict(model);
  for (const [name, t] of weights) sd.set(name, t);
  loadStateDict(model, sd, "shared initial weights");
  return model;
}

/** Gaussian weights for `cfg` (see gaussianWeights) without keeping a model around. */
export function initWeights(cfg: ModelConfig, seed: number, gain: number | number[]): Map<string, StTensor> {
  const probe = buildModel(cfg, { gradient: "exodus", seed: 0 });
  const w = gaussianWeights(probe, seed, gain);
  disposeModel(probe);
  return w;
}

/**
 * Frees a model's parameters, gradients and buffers now rather than at garbage collection: the speed
 * bench builds a fresh model per run and the 32-bit wasm arena never shrinks.
 */
export function disposeModel(model: Sequential): void {
  model.resetStates();
  for (const [, t] of [...model.namedParameters(), ...model.namedBuffers()]) t.dispose();
}
