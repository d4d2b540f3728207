/** ref elementwise kernels: unary, binary (numpy broadcasting), fill, copy, permute, spikeFn, surrogateGrad. */
import type { ArrayKernels, UnaryOp } from "../contract.js";
import { surrogateValue } from "../surrogate-math.js";
import { binaryFn, broadcastStrides } from "../broadcast.js";
import { rounder } from "./util.js";

export function unaryFn(op: UnaryOp, p: number): (x: number) => number {
  switch (op) {
    case "neg": return (x) => -x;
    case "exp": return Math.exp;
    case "log": return Math.log;
    case "abs": return Math.abs;
    case "sqrt": return Math.sqrt;
    case "relu": return (x) => (x > 0 ? x : 0);
    case "sigmoid": return (x) => 1 / (1 + Math.exp(-x));
    case "tanh": return Math.tanh;
    case "square": return (x) => x * x;
    case "sign": return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case "reciprocal": return (x) => 1 / x;
    case "scale": return (x) => p * x;
    case "addScalar": return (x) => x + p;
    case "powScalar": return (x) => Math.pow(x, p);
    case "clampMin": return (x) => (x < p ? p : x);
    case "clampMax": return (x) => (x > p ? p : x);
    case "gtScalar": return (x) => (x > p ? 1 : 0);
    case "geScalar": return (x) => (x >= p ? 1 : 0);
    case "isNonFinite": return (x) => (Number.isFinite(x) ? 0 : 1);
  }
}

export const elementwise: Pick<
  ArrayKernels,
  "unary" | "binary" | "fill" | "copy" | "permute" | "spikeFn" | "surrogateGrad"
> = {
  unary({ x, y }, { op, n, p }) {
    const f = unaryFn(op, p ?? 0);
    for (let i = 0; i < n; i++) y[i] = f(x[i]!);
  },

  binary({ a, b, y }, { op, aShape, bShape, yShape }) {
    const f = binaryFn(op);
    const n = yShape.reduce((s, d) => s * d, 1);
    if (a.length === n && b.length === n) {
      for (let i = 0; i < n; i++) y[i] = f(a[i]!, b[i]!);
      return;
    }
    if (b.length === 1 && a.length === n) {
      const bv = b[0]!;
      for (let i = 0; i < n; i++) y[i] = f(a[i]!, bv);
      return;
    }
    if (a.length === 1 && b.length === n) {
      const av = a[0]!;
      for (let i = 0; i < n; i++) y[i] = f(av, b[i]!);
      return;
    }
    const r = yShape.length;
    const sa = broadcastStrides(aShape, yShape);
    const sb = broadcastStrides(bShape, yShape);
    const idx = new Array<number>(r).fill(0);
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < n; i++) {
      y[i] = f(a[ia]!, b[ib]!);
      // odometer increment
      for (let d = r - 1; d >= 0; d--) {
        idx[d]!++;
        ia += sa[d]!;
        ib += sb[d]!;
        if (idx[d]! < yShape[d]!) break;
        ia -= sa[d]! * yShape[d]!;
        ib -= sb[d]! * yShape[d]!;
        idx[d] = 0;
      }
    }
  },

  fill({ y }, { n, value }) {
    y.fill(value, 0, n);
  },

  copy({ x, y }, { n, srcOffset, dstOffset }) {
    y.set(x.subarray(srcOffset, srcOffset + n), dstOffset);
  },

  permute({ x, y }, { shape, perm }) {
    const r = shape.length;
    const inStrides = new Array<number>(r);
    let acc = 1;
    for (let i = r - 1; i >= 0; i--) {
      inStrides[i] = acc;
      acc *= shape[i]!;
    }
    const outShape = perm.map((p) => shape[p]!);
    const st = perm.map((p) => inStrides[p]!);
    const idx = new Array<number>(r).fill(0);
    let src = 0;
    for (let i = 0; i < acc; i++) {
      y[i] = x[src]!;
      for (let d = r - 1; d >= 0; d--) {
        idx[d]!++;
        src += st[d]!;
        if (idx[d]! < outShape[d]!) break;
        src -= st[d]! * outShape[d]!;
        idx[d] = 0;
      }
    }
  },

  spikeFn({ v, theta, s }, { n, P, maxSpikes }) {
    const R = rounder(s);
    for (let i = 0; i < n; i++) {
      const th = theta[i % P]!;
      const vi = v[i]!;
      let k = vi >= th ? Math.trunc(R(vi / th)) : 0;
      if (maxSpikes > 0 && k > maxSpikes) k = maxSpikes;
      s[i] = k;
    }
  },

  surrogateGrad({ v, theta, g, dv }, { n, P, surrogate }) {
    for (let i = 0; i < n; i++) dv[i] = surrogateValue(surrogate, v[i]!, theta[i % P]!) * g[i]!;
  },
};
