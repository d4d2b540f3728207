/**
 * `order-burst` as a Task: the temporal task of docs/datasets.md "Simulators" from src/data/sim (task seed 1, the
 * generator's defaults: T = 150 steps of 1 ms, 32 channels, gap 20–60 steps, classes AB/BA/AA'/BB').
 * AB and BA have equal per-channel counts, so a time-blind classifier cannot separate them.
 */
import { ConfigError } from "../../errors.js";
import { ORDER_BURST_CLASSES, orderBurst } from "../../data/sim/order-burst.js";
import { FrameTask, type Frames, type SimSplit } from "./frames.js";

export interface OrderBurstTaskOptions {
  /** Samples per simulator split; a split left out is not generated. */
  sizes: Partial<Record<SimSplit, number>>;
  /** Simulator split answering as the Task's test split (default test). */
  heldOut?: SimSplit;
  taskSeed?: number;
}

function generate(split: SimSplit, n: number, taskSeed: number): { frames: Frames; T: number; C: number } {
  if (!(Number.isInteger(n) && n > 0)) throw new ConfigError(`order-burst: the ${split} size must be a positive integer, got ${n}`);
  const b = orderBurst({ taskSeed, split, count: n });
  const [T, N, C] = b.shape as [number, number, number];
  // the generator writes time-major [T, N, C]; FrameTask stores sample-major
  const x = new Float32Array(N * T * C);
  for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) x.set(b.x.subarray((t * N + i) * C, (t * N + i + 1) * C), (i * T + t) * C);
  return { frames: { x, labels: b.labels }, T, C };
}

export class OrderBurstTask extends FrameTask {
  readonly name = "order-burst";
  readonly classes = ORDER_BURST_CLASSES.length;
  readonly inputShape: number[];
  readonly description: string;

  constructor(o: OrderBurstTaskOptions) {
    const seed = o.taskSeed ?? 1;
    const splits: Partial<Record<SimSplit, Frames>> = {};
    let T = 0;
    let C = 0;
    for (const [s, n] of Object.entries(o.sizes) as [SimSplit, number][]) {
      const g = generate(s, n, seed);
      splits[s] = g.frames;
      T = g.T;
      C = g.C;
    }
    if (T === 0) throw new ConfigError("order-burst: give at least one split size, e.g. { sizes: { train: 3000, test: 1024 } }");
    super(T, splits, o.heldOut);
    this.inputShape = [C];
    const n = Object.entries(o.sizes).map(([s, k]) => `${k} ${s}`).join(" / ");
    this.description = `order-burst (src/data, task seed ${seed}): ${C} ch, T=${T}, classes ${ORDER_BURST_CLASSES.join("/")}, gap 20–60 steps; ${n} samples`;
  }
}
