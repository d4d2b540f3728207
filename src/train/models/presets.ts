/**
 * Model configs as plain JSON (what `--config model.json` reads and what a run directory stores beside the
 * checkpoint) and the named presets. buildModel turns a config into a Sequential whose parameter names
 * ("0.weight", "1.tauMem", …) match a PyTorch nn.Sequential of the same layers.
 */
import { ConfigError } from "../../errors.js";
import type { DType } from "../../kernels/contract.js";
import { Conv2d, type Pair } from "../../layers/conv2d.js";
import { Dropout } from "../../layers/dropout.js";
import { Flatten } from "../../layers/flatten.js";
import { Linear } from "../../layers/linear.js";
import type { Module } from "../../layers/module.js";
import { AvgPool2d, SumPool2d } from "../../layers/pool.js";
import { Sequential } from "../../layers/sequential.js";
import type { GradientEngine } from "../../neurons/dynamics.js";
import { buildNeuron, isNeuronSpec, NEURON_TYPES, type NeuronLayerSpec } from "../../neurons/table.js";
import { Rng } from "../../util/rng.js";
import type { LossSpec } from "../losses.js";

export type { NeuronSpec } from "../../neurons/table.js";

/** The non-neuron layers; neuron entries (lif, iaf, expleak) come from the neuron table (neurons/table.ts). */
export type LayerSpec =
  | { type: "linear"; in: number; out: number; bias?: boolean; weightNorm?: boolean }
  | { type: "conv2d"; in: number; out: number; kernel: Pair; stride?: Pair; padding?: Pair; bias?: boolean; weightNorm?: boolean }
  | { type: "sumpool2d" | "avgpool2d"; kernel: Pair; stride?: Pair }
  | { type: "flatten" }
  | { type: "dropout"; p: number }
  | NeuronLayerSpec;

const LAYER_TYPES = ["linear", "conv2d", "sumpool2d", "avgpool2d", "flatten", "dropout"];

export interface ModelConfig {
  /** Per-step input shape (without T and B), e.g. [784] or [2, 34, 34]. */
  inputShape: number[];
  classes: number;
  layers: LayerSpec[];
  /** The loss this model is meant to train with (the readout decides: spikes → ce-count, ExpLeak → ce-max). */
  loss: LossSpec;
}

export interface BuildOptions {
  gradient: GradientEngine;
  seed: number;
  dtype?: DType;
}

/** Builds the network; initial weights come from Rng(seed) in layer order (same seed → same weights). */
export function buildModel(cfg: ModelConfig, o: BuildOptions): Sequential {
  if (!Array.isArray(cfg.layers) || cfg.layers.length === 0) throw new ConfigError("model config: 'layers' must be a non-empty array");
  const rng = new Rng(o.seed);
  const dtype = o.dtype ?? "float32";
  const mods: Module[] = cfg.layers.map((l, i): Module => {
    const name = `layer ${i} (${l.type})`;
    if (isNeuronSpec(l)) return buildNeuron(l, { gradient: o.gradient, name, dtype });
    switch (l.type) {
      case "linear":
        return new Linear(l.in, l.out, { bias: l.bias, weightNorm: l.weightNorm, rng, dtype });
      case "conv2d":
        return new Conv2d(l.in, l.out, l.kernel, { stride: l.stride, padding: l.padding, bias: l.bias, weightNorm: l.weightNorm, rng, dtype });
      case "sumpool2d":
        return new SumPool2d(l.kernel, l.stride);
      case "avgpool2d":
        return new AvgPool2d(l.kernel, l.stride);
      case "flatten":
        return new Flatten();
      case "dropout":
        return new Dropout(l.p, { rng: rng.fork() });
      default:
        throw new ConfigError(`model config: layer ${i} has unknown type '${(l as { type: string }).type}'; use ${[...LAYER_TYPES, ...NEURON_TYPES].slice(0, -1).join(", ")} or ${NEURON_TYPES[NEURON_TYPES.length - 1]}`);
    }
  });
  return new Sequential(...mods);
}

/** Task facts a preset needs. */
export interface TaskShape {
  inputShape: number[];
  classes: number;
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Presets:
 * - mlp: [flatten] → Linear(in→256) → LIF → Linear(256→C) → LIF; CE on counts. The main job's default.
 * - mlp-readout: … → LIF → Linear(256→C) → ExpLeak readout; CE on max over time (the paper's SHD setup).
 * - shd: in → 128 LIF → 128 LIF → 128 LIF → Linear→C readout, no bias, τ=30 (the paper's SHD net; docs/paper-reproduction.md §4).
 * - nmnist-paper: Conv(2→12,5,pad1)-LIF-SumPool2-Conv(12→64,5)-LIF-SumPool2-Linear(→C)-LIF, θ=0.1 … τ=50 (the paper's; docs/paper-reproduction.md §4).
 * - conv: Conv(C→12,5,s2,p2)-LIF-Conv(12→32,3,s2,p1)-LIF-Linear(→classes)-LIF on image inputs; CE on counts.
 *   Generalises far better than the MLP from 8,000 digits (the main job's default).
 * - dvs-gesture: the EXODUS paper's DVS Gesture net (docs/paper-reproduction.md §4): 6 × [Conv3×3 pad 1, no bias, weight norm → LIF θ=0.25 τ=50,
 *   single spike → dropout 0.2 → AvgPool2 while the map is larger than 4×4], channels 8·2^i for the first 4 layers then
 *   constant, dropout 0.7, Linear(C·4·4 → classes) → LIF; CE on spike counts. `hidden` sets the base width (8).
 * - tiny: in → 16 LIF → C LIF (tests).
 */
export const PRESETS = ["mlp", "mlp-readout", "conv", "shd", "nmnist-paper", "dvs-gesture", "tiny"] as const;
export type PresetName = (typeof PRESETS)[number];

export function presetConfig(name: string, task: TaskShape, opts: { hidden?: number; tauMem?: number } = {}): ModelConfig {
  const inF = numel(task.inputShape);
  const C = task.classes;
  const flat: LayerSpec[] = task.inputShape.length > 1 ? [{ type: "flatten" }] : [];
  const H = opts.hidden ?? 256;
  const tau = opts.tauMem ?? 10;
  // normInput off (as in the paper's networks): with the (1 − α) input scaling a PyTorch-initialised
  // 784→256 layer barely fires at τ = 10 and the MLP underfits MNIST (measured: 87 % vs 93 % after 2 epochs)
  const lif = { type: "lif", tauMem: tau, normInput: false } as const;
  switch (name) {
    case "mlp":
      return {
        inputShape: task.inputShape, classes: C, loss: { name: "ce-count", scale: 1 },
        layers: [...flat, { type: "linear", in: inF, out: H }, lif, { type: "linear", in: H, out: C }, lif],
      };
    case "mlp-readout":
      return {
        inputShape: task.inputShape, classes: C, loss: { name: "ce-max" },
        layers: [...flat, { type: "linear", in: inF, out: H }, lif, { type: "linear", in: H, out: C }, { type: "expleak", tauMem: tau }],
      };
    case "shd": {
      const lif = { type: "lif", tauMem: 30, normInput: false, spikeFn: "single" } as const;
      return {
        inputShape: task.inputShape, classes: C, loss: { name: "ce-max" },
        layers: [...flat, { type: "linear", in: inF, out: 128, bias: false }, lif, { type: "linear", in: 128, out: 128, bias: false }, lif,
          { type: "linear", in: 128, out: 128, bias: false }, lif, { type: "linear", in: 128, out: C, bias: false }, { type: "expleak", tauMem: 30 }],
      };
    }
    case "nmnist-paper": {
      if (task.inputShape.length !== 3) throw new ConfigError(`preset nmnist-paper needs an image input [C, H, W], the task gives [${task.inputShape}]`);
      const [c, h, w] = task.inputShape as [number, number, number];
      const h1 = Math.floor((h + 2 - 5 + 1) / 2), w1 = Math.floor((w + 2 - 5 + 1) / 2);
      const h2 = Math.floor((h1 - 5 + 1) / 2), w2 = Math.floor((w1 - 5 + 1) / 2);
      const lif = { type: "lif", tauMem: 50, normInput: false, spikeThreshold: 0.1, spikeFn: "single" } as const;
      return {
        inputShape: task.inputShape, classes: C, loss: { name: "ce-count" },
        layers: [
          { type: "conv2d", in: c, out: 12, kernel: 5, padding: 1, bias: false }, lif, { type: "sumpool2d", kernel: 2 },
          { type: "conv2d", in: 12, out: 64, kernel: 5, bias: false }, lif, { type: "sumpool2d", kernel: 2 },
          { type: "flatten" }, { type: "linear", in: 64 * h2 * w2, out: C, bias: false }, lif,
        ],
      };
    }
    case "conv": {
      if (task.inputShape.length !== 3) throw new ConfigError(`preset conv needs an image input [C, H, W], the task gives [${task.inputShape}]`);
      const [c, h, w] = task.inputShape as [number, number, number];
      const c1 = opts.hidden ?? 12;
      const h1 = Math.floor((h - 1) / 2) + 1, w1 = Math.floor((w - 1) / 2) + 1;
      const h2 = Math.floor((h1 - 1) / 2) + 1, w2 = Math.floor((w1 - 1) / 2) + 1;
      return {
        inputShape: task.inputShape, classes: C, loss: { name: "ce-count" },
        layers: [
          { type: "conv2d", in: c, out: c1, kernel: 5, stride: 2, padding: 2 }, lif,
          { type: "conv2d", in: c1, out: 32, kernel: 3, stride: 2, padding: 1 }, lif,
          { type: "flatten" }, { type: "linear", in: 32 * h2 * w2, out: C }, lif,
        ],
      };
    }
    case "dvs-gesture": {
      if (task.inputShape.length !== 3) throw new ConfigError(`preset dvs-gesture needs an image input [C, H, W], the task gives [${task.inputShape}]`);
      let [c, h, w] = task.inputShape as [number, number, number];
      const base = opts.hidden ?? 8;
      const lif = { type: "lif", tauMem: opts.tauMem ?? 50, normInput: false, spikeThreshold: 0.25, spikeFn: "single" } as const;
      const layers: LayerSpec[] = [];
      for (let i = 0; i < 6; i++) {
        const out = base * 2 ** Math.min(i, 3);
        layers.push({ type: "conv2d", in: c, out, kernel: 3, padding: 1, bias: false, weightNorm: true }, lif, { type: "dropout", p: 0.2 });
        if (h > 4 && w > 4) {
          layers.push({ type: "avgpool2d", kernel: 2 });
          h = Math.floor(h / 2);
          w = Math.floor(w / 2);
        }
        c = out;
      }
      layers.push({ type: "flatten" }, { type: "dropout", p: 0.7 }, { type: "linear", in: c * h * w, out: C, bias: false }, lif);
      return { inputShape: task.inputShape, classes: C, loss: { name: "ce-count" }, layers };
    }
    case "tiny":
      return {
        inputShape: task.inputShape, classes: C, loss: { name: "ce-count" },
        layers: [...flat, { type: "linear", in: inF, out: opts.hidden ?? 16 }, { ...lif, tauMem: opts.tauMem ?? 5, spikeThreshold: 0.5 }, { type: "linear", in: opts.hidden ?? 16, out: C }, { ...lif, tauMem: opts.tauMem ?? 5, spikeThreshold: 0.5 }],
      };
    default:
      throw new ConfigError(`unknown model preset '${name}'; use one of ${PRESETS.join(", ")} or --config model.json`);
  }
}
