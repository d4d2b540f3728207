/**
 * Losses for time-major network outputs y [T, B, C]:
 * - countCrossEntropy: softmax cross-entropy on spike counts Σ_t y (the paper's N-MNIST/DVS setup),
 * - maxOverTimeCrossEntropy: cross-entropy on max_t y of a non-spiking readout (the paper's SHD setup),
 * - countMse: mean squared error between counts and a target count per class (correct/incorrect).
 * Each returns a scalar mean over the batch; `logitsOf` gives the per-sample scores used for accuracy.
 */
import { ConfigError, ShapeError } from "../errors.js";
import { max, mean, mulScalar, softmaxCrossEntropy, square, sub, sum, tensor } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";

export type LossName = "ce-count" | "ce-max" | "mse-count";
export const LOSS_NAMES: readonly LossName[] = ["ce-count", "ce-max", "mse-count"];

function checkOut(y: Tensor, labels: ArrayLike<number>, what: string): void {
  if (y.rank !== 3) throw new ShapeError(`${what}: network output must be [T, B, classes], got [${y.shape.join(", ")}]`);
  if (labels.length !== y.shape[1]) throw new ShapeError(`${what}: ${labels.length} labels for a batch of ${y.shape[1]}`);
}

/** Σ_t y: [B, C]. */
export function spikeCounts(y: Tensor): Tensor {
  return sum(y, 0);
}

/** Cross-entropy on spike counts (optionally scaled: counts act as logits, so a scale sets their temperature). */
export function countCrossEntropy(y: Tensor, labels: ArrayLike<number>, scale = 1): Tensor {
  checkOut(y, labels, "countCrossEntropy");
  const c = spikeCounts(y);
  return softmaxCrossEntropy(scale === 1 ? c : mulScalar(c, scale), labels);
}

/** Cross-entropy on max over time of a readout. */
export function maxOverTimeCrossEntropy(y: Tensor, labels: ArrayLike<number>): Tensor {
  checkOut(y, labels, "maxOverTimeCrossEntropy");
  return softmaxCrossEntropy(max(y, 0), labels);
}

/**
 * MSE between spike counts and targets: `correct` spikes for the label's neuron, `incorrect` for the rest
 * (snnTorch's mse_count_loss with rates given as counts).
 */
export function countMse(y: Tensor, labels: ArrayLike<number>, target: { correct: number; incorrect: number }): Tensor {
  checkOut(y, labels, "countMse");
  const [, B, C] = y.shape as [number, number, number];
  const t = new Float64Array(B * C).fill(target.incorrect);
  for (let b = 0; b < B; b++) t[b * C + labels[b]!] = target.correct;
  return mean(square(sub(spikeCounts(y), tensor(t, [B, C], { dtype: y.dtype, backend: y.backend }))));
}

export interface LossSpec {
  name: LossName;
  /** ce-count: multiplier on counts before softmax. */
  scale?: number;
  /** mse-count targets (counts over the whole sequence). */
  correct?: number;
  incorrect?: number;
}

export function computeLoss(spec: LossSpec, y: Tensor, labels: ArrayLike<number>): Tensor {
  switch (spec.name) {
    case "ce-count":
      return countCrossEntropy(y, labels, spec.scale ?? 1);
    case "ce-max":
      return maxOverTimeCrossEntropy(y, labels);
    case "mse-count":
      return countMse(y, labels, { correct: spec.correct ?? y.shape[0]! * 0.8, incorrect: spec.incorrect ?? y.shape[0]! * 0.1 });
    default:
      throw new ConfigError(`unknown loss '${(spec as { name: string }).name}'; use one of ${LOSS_NAMES.join(", ")}`);
  }
}

/** Per-sample class scores [B, C] that the loss ranks by (counts, or max over time for ce-max). */
export function scoresOf(spec: LossSpec, y: Tensor): Tensor {
  return spec.name === "ce-max" ? max(y, 0) : spikeCounts(y);
}
