/**
 * A Task over samples already held as dense frames (sample-major [n, T, F] Float32), with the three splits
 * of the src/data simulators (train / val / test). The Task interface knows two splits, so a FrameTask
 * answers its "test" split from one held-out split (`test` by default); `evaluatingOn("val")` gives a view
 * of the same arrays that evaluates on validation data, so model selection never touches the test split and
 * the training data is generated once.
 */
import { ConfigError, ShapeError } from "../../errors.js";
import type { Split as SimSplit } from "../../data/sim/mnist-digits.js";
import type { Rng } from "../../util/rng.js";
import type { Split, Task } from "./index.js";

export type { SimSplit };

export interface Frames {
  /** Sample-major: x[(i·T + t)·F + f]; int16 for event counts (half the memory of float32 for a whole dataset). */
  x: Float32Array | Int16Array;
  labels: Int32Array;
}

export abstract class FrameTask implements Task {
  abstract readonly name: string;
  abstract readonly inputShape: number[];
  abstract readonly classes: number;
  abstract readonly description: string;

  protected constructor(
    readonly T: number,
    private readonly splits: Partial<Record<SimSplit, Frames>>,
    /** The simulator split behind the Task's "test" split. */
    readonly heldOut: SimSplit = "test",
  ) {}

  private get F(): number {
    return this.inputShape.reduce((a, b) => a * b, 1);
  }

  private frames(split: Split): Frames {
    const s = split === "train" ? "train" : this.heldOut;
    const f = this.splits[s];
    if (!f) throw new ConfigError(`task ${this.name}: no '${s}' samples were loaded; give a size for '${s}' when constructing the task`);
    return f;
  }

  size(split: Split): number {
    return this.frames(split).labels.length;
  }

  label(split: Split, i: number): number {
    return this.frames(split).labels[i]!;
  }

  /** Time-major [T, B, ...inputShape] of samples idx (the frames are fixed: `rng` is not used). */
  encode(split: Split, idx: readonly number[], _rng: Rng): Float32Array {
    const { x, labels } = this.frames(split);
    const { T, F } = this;
    const B = idx.length;
    const out = new Float32Array(T * B * F);
    for (let b = 0; b < B; b++) {
      const s = idx[b]!;
      if (!(s >= 0 && s < labels.length)) throw new ShapeError(`task ${this.name}: sample ${s} out of range [0, ${labels.length})`);
      for (let t = 0; t < T; t++) out.set(x.subarray((s * T + t) * F, (s * T + t + 1) * F), (t * B + b) * F);
    }
    return out;
  }

  /** The same samples, with `split` answering as the Task's test split. */
  evaluatingOn(split: SimSplit): Task {
    const base = this;
    const view = Object.create(base) as FrameTask;
    Object.defineProperty(view, "heldOut", { value: split });
    return view satisfies Task;
  }
}
