/** The user-facing backward entry points (wires autograd to the ops it needs). */
import { backward as backwardImpl } from "./autograd.js";
import { add, clone, expandRepeated, onesLike, zerosLike } from "./ops/index.js";
import type { Tensor } from "./tensor.js";

/** Back-propagates from a scalar (or from `root` with an explicit upstream gradient). */
export function backward(root: Tensor, grad: Tensor | null = null): void {
  backwardImpl(root, grad, { add, onesLike, clone, expand: expandRepeated });
}

/**
 * Gradients of `root` w.r.t. `wrt` without touching their .grad (returns new tensors; .grad restored).
 * A tensor the root does not depend on gets zeros.
 */
export function grad(root: Tensor, wrt: readonly Tensor[], gradRoot: Tensor | null = null): Tensor[] {
  const saved = wrt.map((t) => t.grad);
  for (const t of wrt) t.grad = null;
  backward(root, gradRoot);
  const out = wrt.map((t) => {
    return t.grad ?? zerosLike(t);
  });
  wrt.forEach((t, i) => (t.grad = saved[i]!));
  return out;
}
