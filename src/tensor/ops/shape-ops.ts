/** Differentiable shape ops: reshape, permute/transpose, first-axis select / narrow / stack / concat. */
import { ShapeError } from "../../errors.js";
import { record, recordRepeated, RepeatedGrad } from "../autograd.js";
import { fmt, normAxis, numel } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { empty, emptyLike, kernel, sameDevice } from "./core.js";

/** Same memory, new shape; one dimension may be −1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = s.reduce((a, d, i) => (i === neg ? a : a * d), 1);
    s[neg] = rest === 0 ? 0 : x.size / rest;
  }
  if (numel(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`reshape: cannot view ${fmt(x.shape)} (${x.size} elements) as ${fmt(shape)}`);
  }
  const y = x.shareAs(s);
  y.spikes = x.spikes; // a view of spikes is spikes
  // A RepeatedGrad's pattern is over flat indices, which a reshape keeps: it passes through lazily.
  recordRepeated("reshape", [x], [y], ([g]) =>
    [g instanceof RepeatedGrad ? new RepeatedGrad(g.base.shareAs(g.base.shape), x.shape) : g!.shareAs(x.shape)]);
  return y;
}

export function flattenFrom(x: Tensor, start: number): Tensor {
  return reshape(x, [...x.shape.slice(0, start), -1]);
}

function permuteRaw(x: Tensor, perm: number[]): Tensor {
  const y = emptyLike(x, perm.map((p) => x.shape[p]!));
  kernel(x.backend, "permute", { x: x.buf, y: y.buf }, { shape: [...x.shape], perm });
  return y;
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => normAxis(a, x.rank, "permute"));
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw new ShapeError(`permute: ${JSON.stringify(perm)} is not a permutation of ${x.rank} axes`);
  }
  const y = permuteRaw(x, p);
  const inv = new Array<number>(p.length);
  p.forEach((v, i) => (inv[v] = i));
  record("permute", [x], [y], ([g]) => [permuteRaw(g!, inv)]);
  return y;
}

/** Swaps the last two axes. */
export function transpose(x: Tensor): Tensor {
  const p = x.shape.map((_, i) => i);
  const r = x.rank;
  [p[r - 2], p[r - 1]] = [p[r - 1]!, p[r - 2]!];
  return permute(x, p);
}

/** x[start : start+len] along the first axis (a copy). */
export function narrow0(x: Tensor, start: number, len: number): Tensor {
  const n0 = x.shape[0]!;
  if (start < 0 || len < 0 || start + len > n0) throw new ShapeError(`narrow0: [${start}, ${start + len}) is outside 0..${n0}`);
  const inner = x.size / n0;
  const y = emptyLike(x, [len, ...x.shape.slice(1)]);
  kernel(x.backend, "copy", { x: x.buf, y: y.buf }, { n: len * inner, srcOffset: start * inner, dstOffset: 0 });
  record("narrow0", [x], [y], ([g]) => {
    const gx = emptyLike(x);
    kernel(x.backend, "fill", { y: gx.buf }, { n: gx.size, value: 0 });
    kernel(x.backend, "copy", { x: g!.buf, y: gx.buf }, { n: len * inner, srcOffset: 0, dstOffset: start * inner });
    return [gx];
  });
  return y;
}

/** x[i] along the first axis (drops that axis). */
export function select0(x: Tensor, i: number): Tensor {
  const n = narrow0(x, i, 1);
  return reshape(n, x.shape.slice(1));
}

/**
 * Splits x:[n, ...] into n tensors [...] (torch.unbind). One node for all pieces, so the backward writes
 * every piece's gradient into one buffer instead of n full-size zero tensors (what n select0 calls cost).
 */
export function unstack0(x: Tensor): Tensor[] {
  const n0 = x.shape[0]!;
  const rest = x.shape.slice(1);
  const inner = x.size / n0;
  const outs: Tensor[] = [];
  for (let i = 0; i < n0; i++) {
    const y = emptyLike(x, rest);
    kernel(x.backend, "copy", { x: x.buf, y: y.buf }, { n: inner, srcOffset: i * inner, dstOffset: 0 });
    outs.push(y);
  }
  record("unstack0", [x], outs, (gs) => {
    const gx = emptyLike(x);
    kernel(x.backend, "fill", { y: gx.buf }, { n: gx.size, value: 0 });
    gs.forEach((g, i) => {
      if (g) kernel(x.backend, "copy", { x: g.buf, y: gx.buf }, { n: inner, srcOffset: 0, dstOffset: i * inner });
    });
    return [gx];
  });
  return outs;
}

/** Concatenates along the first axis. */
export function concat0(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new ShapeError("concat0: needs at least one tensor");
  sameDevice("concat0", ...xs);
  const rest = xs[0]!.shape.slice(1);
  for (const x of xs) {
    if (x.rank !== rest.length + 1 || x.shape.slice(1).some((d, i) => d !== rest[i])) {
      throw new ShapeError(`concat0: shapes ${xs.map((t) => fmt(t.shape)).join(", ")} differ beyond the first axis`);
    }
  }
  const total = xs.reduce((a, x) => a + x.shape[0]!, 0);
  const y = empty([total, ...rest], xs[0]!.dtype, xs[0]!.backend);
  let off = 0;
  const offs: number[] = [];
  for (const x of xs) {
    offs.push(off);
    kernel(x.backend, "copy", { x: x.buf, y: y.buf }, { n: x.size, srcOffset: 0, dstOffset: off });
    off += x.size;
  }
  record("concat0", xs, [y], ([g]) =>
    xs.map((x, k) => {
      if (!x.requiresGrad) return null;
      const gx = emptyLike(x);
      kernel(x.backend, "copy", { x: g!.buf, y: gx.buf }, { n: x.size, srcOffset: offs[k]!, dstOffset: 0 });
      return gx;
    }),
  );
  return y;
}

/** Stacks equal-shaped tensors along a new first axis. */
export function stack0(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new ShapeError("stack0: needs at least one tensor");
  return concat0(xs.map((x) => reshape(x, [1, ...x.shape])));
}

