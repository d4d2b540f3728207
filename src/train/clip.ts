/**
 * Gradient clipping by global L2 norm (torch.nn.utils.clip_grad_norm_): if ‖g‖ over all parameters exceeds
 * maxNorm, every gradient is scaled by maxNorm/(‖g‖ + 1e-6). clipGradNorm returns the norm before
 * clipping, which the trainer also uses to catch NaN/Inf gradients early; clipToNorm applies the scale for
 * a norm measured elsewhere (the trainer's device path sums it on the GPU, train/step.ts).
 */
import { scaleInPlace } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";

/** Global L2 norm of the parameters' gradients (parameters without a gradient are skipped). */
export function gradNorm(params: readonly Tensor[]): number {
  let s = 0;
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.dataSync();
    for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  }
  return Math.sqrt(s);
}

/**
 * Scales every gradient by maxNorm/(norm + 1e-6) when `norm` (their global norm) is finite and above
 * maxNorm; otherwise leaves them. In place: each grad is a kept tensor owned by its parameter.
 */
export function clipToNorm(params: readonly Tensor[], norm: number, maxNorm: number): void {
  if (!(Number.isFinite(norm) && norm > maxNorm)) return;
  const f = maxNorm / (norm + 1e-6);
  for (const p of params) if (p.grad) scaleInPlace(p.grad, f);
}

export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  const norm = gradNorm(params);
  clipToNorm(params, norm, maxNorm);
  return norm;
}
