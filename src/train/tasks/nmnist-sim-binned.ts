/**
 * nmnist-sim binned as the paper-reproduction experiment bins it: MNIST digits through src/data's DVS
 * saccade simulator, every event put into one of T equal frames over the fixed 315 ms of the three
 * saccades (not over each recording's own span, as `nmnist-sim`'s ToFrame does) and sum-pooled by `pool`
 * (2 → [2, 17, 17], 578 inputs, channel layout [polarity, y, x]). Simulated in memory, ≈ 28 ms per digit.
 */
import { ConfigError } from "../../errors.js";
import { nmnistSim } from "../../data/sim/nmnist-sim.js";
import { FrameTask, type Frames, type SimSplit } from "./frames.js";

/** The three saccades of N-MNIST's recording path take 3 × 105 ms. */
const SPAN_US = 315_000;
const SENSOR = 34;

export interface NmnistSimBinnedOptions {
  sizes: Partial<Record<SimSplit, number>>;
  heldOut?: SimSplit;
  /** Frames over the 315 ms (default 30). */
  T?: number;
  /** Sum-pooling factor (default 2). */
  pool?: number;
}

export class NmnistSimBinnedTask extends FrameTask {
  readonly name = "nmnist-sim-binned";
  readonly classes = 10;
  readonly inputShape: number[];
  readonly description: string;

  constructor(o: NmnistSimBinnedOptions) {
    const T = o.T ?? 30;
    const pool = o.pool ?? 2;
    if (!(Number.isInteger(T) && T > 0 && Number.isInteger(pool) && pool > 0)) {
      throw new ConfigError(`nmnist-sim-binned: T and pool must be positive integers, got T=${T}, pool=${pool}`);
    }
    const P = Math.ceil(SENSOR / pool);
    const F = 2 * P * P;
    const splits: Partial<Record<SimSplit, Frames>> = {};
    for (const [split, n] of Object.entries(o.sizes) as [SimSplit, number][]) {
      if (!(Number.isInteger(n) && n > 0)) throw new ConfigError(`nmnist-sim-binned: the ${split} size must be a positive integer, got ${n}`);
      const x = new Float32Array(n * T * F);
      const labels = new Int32Array(n);
      nmnistSim({ split, count: n }).forEach((s, i) => {
        labels[i] = s.label;
        const ev = s.events;
        for (let k = 0; k < ev.t.length; k++) {
          const t = Math.min(T - 1, Math.floor((ev.t[k]! / SPAN_US) * T));
          const f = ev.p[k]! * P * P + Math.floor(ev.y[k]! / pool) * P + Math.floor(ev.x[k]! / pool);
          x[(i * T + t) * F + f]! += 1;
        }
      });
      splits[split] = { x, labels };
    }
    super(T, splits, o.heldOut);
    this.inputShape = [2, P, P];
    const n = Object.entries(o.sizes).map(([s, k]) => `${k} ${s}`).join(" / ");
    this.description = `nmnist-sim (src/data DVS simulation of MNIST saccades): 34×34×2 sum-pooled to ${P}×${P}×2, T=${T} frames over 315 ms; ${n} samples`;
  }
}
