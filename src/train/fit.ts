/**
 * A small synchronous training loop for a Sequential on a Task: shuffled mini-batches (the batch order
 * comes from Rng(seed) alone, so runs that differ only in the gradient engine see the same batches), one
 * tidy scope per step, a NumericalError on a non-finite loss, and an accuracy pass. It reads values with
 * dataSync, so it runs on the CPU backends (wasm, ref); the Trainer is the asynchronous, checkpointing
 * version for `exodus-snn train` and webgpu.
 */
import { ConfigError, NumericalError } from "../errors.js";
import type { DType } from "../kernels/contract.js";
import type { Sequential } from "../layers/sequential.js";
import { noGrad } from "../tensor/autograd.js";
import { backward } from "../tensor/grad.js";
import { tidy } from "../tensor/memory.js";
import { tensor } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Rng } from "../util/rng.js";
import { computeLoss, scoresOf, type LossSpec } from "./losses.js";
import type { Optimizer } from "./optim.js";
import { encodeNow, type Split, type Task } from "./tasks/types.js";

export interface FitOptions {
  optimizer: Optimizer;
  loss: LossSpec;
  epochs: number;
  batchSize: number;
  /** Seeds the batch order (one Rng, reshuffled every epoch) and, through a second stream, the encoder. */
  seed: number;
  /** Train on full batches only, leaving out the last partial one (default true: equal-sized steps). */
  dropLast?: boolean;
  dtype?: DType;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

function batchTensor(task: Task, split: Split, idx: readonly number[], rng: Rng, dtype: DType): Tensor {
  return tensor(encodeNow(task, split, idx, rng), [task.T, idx.length, ...task.inputShape], { dtype });
}

/** Trains `model` in place; returns the mean training loss of every epoch. */
export function fitSteps(model: Sequential, task: Task, o: FitOptions): number[] {
  if (!(Number.isInteger(o.batchSize) && o.batchSize > 0)) throw new ConfigError(`fitSteps: batch size must be a positive integer, got ${o.batchSize}`);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0)) throw new ConfigError(`fitSteps: epochs must be a non-negative integer, got ${o.epochs}`);
  const n = task.size("train");
  const dropLast = o.dropLast ?? true;
  if (dropLast && n < o.batchSize) throw new ConfigError(`fitSteps: ${n} training samples make no full batch of ${o.batchSize}; lower the batch size or pass dropLast: false`);
  const dtype = o.dtype ?? "float32";
  const order = Array.from({ length: n }, (_, i) => i);
  const shuffle = new Rng(o.seed);
  // a separate stream: encoders that draw (rate codes) must not shift the batch order
  const enc = new Rng((o.seed ^ 0x5bd1e995) >>> 0);
  const losses: number[] = [];
  model.train();
  for (let e = 0; e < o.epochs; e++) {
    shuffle.shuffle(order);
    let sum = 0;
    let steps = 0;
    for (let b = 0; dropLast ? b + o.batchSize <= n : b < n; b += o.batchSize) {
      const idx = order.slice(b, b + o.batchSize);
      model.resetStates();
      o.optimizer.zeroGrad();
      tidy(() => {
        const y = model.forward(batchTensor(task, "train", idx, enc, dtype));
        const loss = computeLoss(o.loss, y, idx.map((i) => task.label("train", i)));
        const lv = loss.item();
        if (!Number.isFinite(lv)) throw new NumericalError(`fitSteps: epoch ${e + 1}, step ${steps + 1}: the loss is ${lv}; lower the learning rate`);
        backward(loss);
        sum += lv;
      });
      o.optimizer.step();
      steps++;
    }
    losses.push(sum / steps);
    o.onEpoch?.(e, sum / steps);
  }
  o.optimizer.zeroGrad();
  model.resetStates();
  return losses;
}

/**
 * Fraction of `split` classified correctly, ranking classes by the loss's scores (spike counts, or the
 * readout's max over time); a tie for the top score counts as wrong, as in the Trainer.
 */
export function accuracyOf(model: Sequential, task: Task, split: Split, loss: LossSpec, o: { batchSize?: number; seed?: number; dtype?: DType } = {}): number {
  const n = task.size(split);
  const bs = o.batchSize ?? 64;
  const enc = new Rng(o.seed ?? 0);
  const C = task.classes;
  let ok = 0;
  model.eval();
  for (let s = 0; s < n; s += bs) {
    const idx = Array.from({ length: Math.min(bs, n - s) }, (_, i) => s + i);
    model.resetStates();
    tidy(() =>
      noGrad(() => {
        const d = scoresOf(loss, model.forward(batchTensor(task, split, idx, enc, o.dtype ?? "float32"))).dataSync();
        idx.forEach((i, b) => {
          let arg = 0;
          for (let k = 1; k < C; k++) if (d[b * C + k]! > d[b * C + arg]!) arg = k;
          let top = 0;
          for (let k = 0; k < C; k++) if (d[b * C + k] === d[b * C + arg]) top++;
          if (arg === task.label(split, i) && top === 1) ok++;
        });
      }),
    );
  }
  model.resetStates();
  model.train();
  return ok / n;
}
