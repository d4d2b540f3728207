/**
 * Elementwise differentiable ops with numpy broadcasting. Each forward sits next to its VJP; broadcast
 * gradients are summed back to the input shape by sumTo (reduce.ts).
 */
import type { BinaryOp, UnaryOp } from "../../kernels/contract.js";
import { record } from "../autograd.js";
import { broadcastShapes, sameShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { emptyLike, kernel, sameDevice } from "./core.js";
import { sumTo } from "./reduce.js";

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  sameDevice(op, a, b);
  const shape = sameShape(a.shape, b.shape) ? [...a.shape] : broadcastShapes(a.shape, b.shape, op);
  const y = emptyLike(a, shape);
  kernel(a.backend, "binary", { a: a.buf, b: b.buf, y: y.buf }, { op, aShape: [...a.shape], bShape: [...b.shape], yShape: shape });
  return y;
}

export function unaryRaw(op: UnaryOp, x: Tensor, p?: number): Tensor {
  const y = emptyLike(x);
  kernel(x.backend, "unary", { x: x.buf, y: y.buf }, p === undefined ? { op, n: x.size } : { op, n: x.size, p });
  return y;
}

export function add(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw("add", a, b);
  record("add", [a, b], [y], ([g]) => [sumTo(g!, a.shape), sumTo(g!, b.shape)]);
  return y;
}

export function sub(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw("sub", a, b);
  record("sub", [a, b], [y], ([g]) => [sumTo(g!, a.shape), sumTo(unaryRaw("neg", g!), b.shape)]);
  return y;
}

export function mul(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw("mul", a, b);
  record("mul", [a, b], [y], ([g]) => [
    a.requiresGrad ? sumTo(binaryRaw("mul", g!, b), a.shape) : null,
    b.requiresGrad ? sumTo(binaryRaw("mul", g!, a), b.shape) : null,
  ]);
  return y;
}

export function div(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw("div", a, b);
  record("div", [a, b], [y], ([g]) => [
    a.requiresGrad ? sumTo(binaryRaw("div", g!, b), a.shape) : null,
    // d(a/b)/db = −a/b² = −y/b
    b.requiresGrad ? sumTo(unaryRaw("neg", binaryRaw("div", binaryRaw("mul", g!, y), b)), b.shape) : null,
  ]);
  return y;
}

/** max(a, b); ties send the gradient to a (as `a >= b`). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw("max", a, b);
  record("maximum", [a, b], [y], ([g]) => {
    const m = binaryRaw("ge", a, b);
    return [
      a.requiresGrad ? sumTo(binaryRaw("mul", g!, m), a.shape) : null,
      b.requiresGrad ? sumTo(binaryRaw("mul", g!, unaryRaw("addScalar", unaryRaw("neg", m), 1)), b.shape) : null,
    ];
  });
  return y;
}

/**
 * Clip from below, v = max(u, lo), with the gradient 1[u > lo] to u and none to lo: the EXODUS clip order
 * (docs/gradients.md §1: the gate nc_t), so BPTT equals EXODUS with clipping too (§3); used by the BPTT engine.
 */
export function clampMinBy(u: Tensor, lo: Tensor): Tensor {
  const y = binaryRaw("max", u, lo);
  record("clampMinBy", [u], [y], ([g]) => [binaryRaw("mul", g!, binaryRaw("gt", u, lo))]);
  return y;
}

/** Comparisons give 0/1 tensors and no gradient. */
export const gt = (a: Tensor, b: Tensor): Tensor => binaryRaw("gt", a, b);
export const ge = (a: Tensor, b: Tensor): Tensor => binaryRaw("ge", a, b);
export const eq = (a: Tensor, b: Tensor): Tensor => binaryRaw("eq", a, b);

export function neg(x: Tensor): Tensor {
  const y = unaryRaw("neg", x);
  record("neg", [x], [y], ([g]) => [unaryRaw("neg", g!)]);
  return y;
}

export function mulScalar(x: Tensor, s: number): Tensor {
  const y = unaryRaw("scale", x, s);
  record("mulScalar", [x], [y], ([g]) => [unaryRaw("scale", g!, s)]);
  return y;
}

export function addScalar(x: Tensor, s: number): Tensor {
  const y = unaryRaw("addScalar", x, s);
  record("addScalar", [x], [y], ([g]) => [g!]);
  return y;
}

export function exp(x: Tensor): Tensor {
  const y = unaryRaw("exp", x);
  record("exp", [x], [y], ([g]) => [binaryRaw("mul", g!, y)]);
  return y;
}

export function log(x: Tensor): Tensor {
  const y = unaryRaw("log", x);
  record("log", [x], [y], ([g]) => [binaryRaw("div", g!, x)]);
  return y;
}

export function sqrt(x: Tensor): Tensor {
  const y = unaryRaw("sqrt", x);
  record("sqrt", [x], [y], ([g]) => [unaryRaw("scale", binaryRaw("div", g!, y), 0.5)]);
  return y;
}

export function square(x: Tensor): Tensor {
  const y = unaryRaw("square", x);
  record("square", [x], [y], ([g]) => [unaryRaw("scale", binaryRaw("mul", g!, x), 2)]);
  return y;
}

export function abs(x: Tensor): Tensor {
  const y = unaryRaw("abs", x);
  record("abs", [x], [y], ([g]) => [binaryRaw("mul", g!, unaryRaw("sign", x))]);
  return y;
}

export function relu(x: Tensor): Tensor {
  const y = unaryRaw("relu", x);
  record("relu", [x], [y], ([g]) => [binaryRaw("mul", g!, unaryRaw("gtScalar", x, 0))]);
  return y;
}

export function sigmoid(x: Tensor): Tensor {
  const y = unaryRaw("sigmoid", x);
  // σ' = y(1 − y)
  record("sigmoid", [x], [y], ([g]) => [binaryRaw("mul", g!, binaryRaw("mul", y, unaryRaw("addScalar", unaryRaw("neg", y), 1)))]);
  return y;
}

export function tanh(x: Tensor): Tensor {
  const y = unaryRaw("tanh", x);
  record("tanh", [x], [y], ([g]) => [binaryRaw("mul", g!, unaryRaw("addScalar", unaryRaw("neg", unaryRaw("square", y)), 1))]);
  return y;
}

export function powScalar(x: Tensor, p: number): Tensor {
  const y = unaryRaw("powScalar", x, p);
  record("powScalar", [x], [y], ([g]) => [binaryRaw("mul", g!, unaryRaw("scale", unaryRaw("powScalar", x, p - 1), p))]);
  return y;
}

/** 1 − x, common enough (norm_input's (1 − α)) to name. */
export function oneMinus(x: Tensor): Tensor {
  return addScalar(neg(x), 1);
}

export { binaryRaw };
