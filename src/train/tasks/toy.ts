/** A tiny synthetic task for tests and smoke runs (trains in seconds on the ref backend). */
import { Rng } from "../../util/rng.js";
import type { Split, Task, TaskOptions } from "./types.js";

/** 3 classes × 12 channels; class k fires channels 4k..4k+3 often, the rest rarely, with per-sample jitter. */
export class ToyTask implements Task {
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

