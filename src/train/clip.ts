/**
 * Gradient clipping by global L2 norm (torch.nn.utils.clip_grad_norm_): if ‖g‖ over all parameters exceeds
 * maxNorm, every gradient is scaled by maxNorm/(‖g‖ + 1e-6). Returns the norm before clipping, which the
 * trainer also uses to catch NaN/Inf gradients early.
 */
import { noGrad } from "../tensor/autograd.js";
import { run } from "../kernels/registry.js";
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

export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  const norm = gradNorm(params);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const f = maxNorm / (norm + 1e-6);
    noGrad(() => {
      for (const p of params) {
        if (!p.grad) continue;
        // in place: the grad is a kept tensor owned by the parameter
        run(p.grad.backend, "unary", { x: p.grad.buf, y: p.grad.buf }, { op: "scale", n: p.grad.size, p: f });
      }
    });
  }
  return norm;
}
