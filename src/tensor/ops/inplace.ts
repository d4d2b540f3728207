/**
 * In-place ops: they overwrite a tensor's memory instead of returning a new tensor, for the state a training
 * loop owns across steps (parameters, their gradients, optimizer moments). They record no autograd node and
 * no gradient flows through them, so use them outside any graph that still needs the old values (after
 * backward, as an optimizer does). A tensor that shares memory with another (reshape, shareAs) changes in
 * both. Each is one kernel on the tensors' own backend, the same kernel the op-returning versions run, so a
 * result is bit for bit what the kernel gives.
 */
import type { AdamAttrs, SgdAttrs } from "../../kernels/contract.js";
import { ShapeError } from "../../errors.js";
import type { Tensor } from "../tensor.js";
import { kernel, sameDevice } from "./core.js";

/** Adam/AdamW hyper-parameters of one update (the kernel's attributes without the length). */
export type AdamHyper = Omit<AdamAttrs, "n">;
/** SGD hyper-parameters of one update; `first` makes the momentum buffer start at the gradient (PyTorch). */
export type SgdHyper = Omit<SgdAttrs, "n">;

function sameSize(op: string, names: readonly string[], ts: readonly Tensor[]): void {
  sameDevice(op, ...ts);
  const n = ts[0]!.size;
  ts.forEach((t, i) => {
    if (t.size !== n) {
      throw new ShapeError(`${op}: '${names[i]}' has ${t.size} elements but '${names[0]}' has ${n}; pass tensors of one size (the state of one parameter)`);
    }
  });
}

/** t ← s·t. */
export function scaleInPlace(t: Tensor, s: number): void {
  kernel(t.backend, "unary", { x: t.buf, y: t.buf }, { op: "scale", n: t.size, p: s });
}

/** t ← value everywhere (e.g. 0). */
export function fillInPlace(t: Tensor, value: number): void {
  kernel(t.backend, "fill", { y: t.buf }, { n: t.size, value });
}

/** t ← 0. */
export function zeroInPlace(t: Tensor): void {
  fillInPlace(t, 0);
}

/** t ← host values (row-major, exactly t.size of them), e.g. optimizer state read from a checkpoint. */
export function assignInPlace(t: Tensor, values: ArrayLike<number>): void {
  if (values.length !== t.size) {
    throw new ShapeError(`assignInPlace: ${values.length} values for a tensor of ${t.size} elements [${t.shape.join(",")}]; pass exactly one value per element`);
  }
  t.backend.upload(t.buf, values);
}

/**
 * One Adam (AdamW with `decoupled`) update of `param` from `grad`, moments `m` and `v` updated in place:
 * PyTorch's torch.optim.Adam/AdamW equations with bias correction at the 1-based `step`.
 */
export function applyAdam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: AdamHyper): void {
  sameSize("applyAdam", ["param", "grad", "m", "v"], [param, grad, m, v]);
  kernel(param.backend, "adamUpdate", { p: param.buf, g: grad.buf, m: m.buf, v: v.buf }, { ...hyper, n: param.size });
}

/**
 * One SGD update of `param` from `grad` (momentum, dampening, Nesterov, weight decay as torch.optim.SGD);
 * `momentumBuf` is updated in place and ignored when momentum is 0.
 */
export function applySgd(param: Tensor, grad: Tensor, momentumBuf: Tensor, hyper: SgdHyper): void {
  sameSize("applySgd", ["param", "grad", "momentumBuf"], [param, grad, momentumBuf]);
  kernel(param.backend, "sgdUpdate", { p: param.buf, g: grad.buf, buf: momentumBuf.buf }, { ...hyper, n: param.size });
}
