/** Reductions (sum, mean, max over axes) and sumTo, which folds broadcast gradients back to a shape. */
import { ShapeError } from "../../errors.js";
import { record, RepeatedGrad, type Grad } from "../autograd.js";
import { fmt, normAxis, sameShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { emptyLike, kernel } from "./core.js";

type RedOp = "sum" | "max" | "min" | "mean";

/** Reduces one axis (keeps rank with size 1 when keepdims). */
function reduceAxisRaw(x: Tensor, axis: number, op: RedOp, keepdims: boolean): Tensor {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const mid = x.shape[axis]!;
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const shape = keepdims ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
  const y = emptyLike(x, shape);
  kernel(x.backend, "reduce", { x: x.buf, y: y.buf }, { op, outer, mid, inner });
  return y;
}

function axesOf(x: Tensor, axis: number | readonly number[] | undefined, op: string): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = typeof axis === "number" ? [axis] : [...axis];
  return [...new Set(list.map((a) => normAxis(a, x.rank, op)))].sort((a, b) => a - b);
}

function reduceRaw(x: Tensor, axes: number[], op: RedOp, keepdims: boolean): Tensor {
  let cur = x;
  // reduce from the last axis so earlier indices stay valid; keep dims until the end
  for (let k = axes.length - 1; k >= 0; k--) {
    const next = reduceAxisRaw(cur, axes[k]!, op, true);
    if (cur !== x) cur.dispose();
    cur = next;
  }
  if (cur === x) {
    return x.shareAs(x.shape);
  }
  if (!keepdims) {
    const shape = cur.shape.filter((_, i) => !axes.includes(i));
    const r = cur.shareAs(shape);
    cur.dispose();
    return r;
  }
  return cur;
}

/**
 * `a` (viewed as aShape) broadcast to a new tensor of `shape` (viewed as yShape), in one pass: a + a scalar 0,
 * the binary kernel's way of expanding (BinaryAttrs).
 */
function broadcastTo(a: Tensor, aShape: number[], shape: readonly number[], yShape: number[]): Tensor {
  const zero = emptyLike(a, [1]);
  kernel(a.backend, "fill", { y: zero.buf }, { n: 1, value: 0 });
  const y = emptyLike(a, shape);
  kernel(a.backend, "binary", { a: a.buf, b: zero.buf, y: y.buf }, { op: "add", aShape, bShape: [1], yShape });
  zero.dispose();
  return y;
}

/** Broadcast g (shape of y) back over the reduced axes to x's shape. */
function expandBack(g: Tensor, xShape: readonly number[], axes: number[]): Tensor {
  return broadcastTo(g, xShape.map((d, i) => (axes.includes(i) ? 1 : d)), xShape, [...xShape]);
}

/** The full tensor a RepeatedGrad stands for: base repeated over the leading elements. */
export function expandRepeated(g: RepeatedGrad): Tensor {
  const L = g.base.size;
  const size = g.shape.reduce((a, b) => a * b, 1);
  return broadcastTo(g.base, [L], g.shape, [size / L, L]);
}

/**
 * sum's and mean's gradient g (y's shape) spread back to x's shape. Reducing the leading axes 0..k−1 leaves
 * a gradient that repeats with period ∏ x.shape[k..]: handed on lazily (RepeatedGrad), never written out.
 */
function spread(g: Tensor, xShape: readonly number[], axes: number[]): Grad {
  const leading = axes.length > 0 && axes.every((a, i) => a === i);
  if (leading && g.size > 0) return new RepeatedGrad(g.shareAs([g.size]), xShape);
  return expandBack(g, xShape, axes);
}

export function sum(x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor {
  const axes = axesOf(x, axis, "sum");
  const y = reduceRaw(x, axes, "sum", keepdims);
  record("sum", [x], [y], ([g]) => [spread(g!, x.shape, axes)]);
  return y;
}

export function mean(x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor {
  const axes = axesOf(x, axis, "mean");
  const count = axes.reduce((a, i) => a * x.shape[i]!, 1);
  const y = reduceRaw(x, axes, "mean", keepdims);
  record("mean", [x], [y], ([g]) => {
    // scale the small gradient, then spread it (lazily where the axes allow)
    const s = emptyLike(g!);
    kernel(g!.backend, "unary", { x: g!.buf, y: s.buf }, { op: "scale", n: s.size, p: 1 / count });
    const e = spread(s, x.shape, axes);
    if (e !== s) s.dispose();
    return [e];
  });
  return y;
}

/** Max over one axis; the gradient goes to every position equal to the max (ties share it fully). */
export function max(x: Tensor, axis: number, keepdims = false): Tensor {
  const ax = normAxis(axis, x.rank, "max");
  const yk = reduceAxisRaw(x, ax, "max", true);
  const y = keepdims ? yk : yk.shareAs(x.shape.filter((_, i) => i !== ax));
  if (!keepdims) yk.dispose();
  record("max", [x], [y], ([g]) => {
    const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
    const ymax = y.shareAs(kept);
    const mask = emptyLike(x);
    kernel(x.backend, "binary", { a: x.buf, b: ymax.buf, y: mask.buf }, { op: "eq", aShape: [...x.shape], bShape: kept, yShape: [...x.shape] });
    const gk = g!.shareAs(kept);
    const out = emptyLike(x);
    kernel(x.backend, "binary", { a: mask.buf, b: gk.buf, y: out.buf }, { op: "mul", aShape: [...x.shape], bShape: kept, yShape: [...x.shape] });
    ymax.dispose();
    gk.dispose();
    mask.dispose();
    return [out];
  });
  return y;
}

/** Sums a broadcast gradient back to `shape` (numpy broadcasting rules). Not recorded. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new ShapeError(`sumTo: cannot reduce ${fmt(g.shape)} to the larger shape ${fmt(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
  }
  const r = reduceRaw(g, axes, "sum", true);
  const out = r.shareAs(shape);
  r.dispose();
  return out;
}
