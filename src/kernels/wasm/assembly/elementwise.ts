// Elementwise kernels for the wasm backend: unary ops, binary ops over same-shape / scalar / row / column
// broadcast layouts (../plan.ts picks the layout; general broadcasting falls back to ref),
// reductions, softmax cross-entropy, and the BPTT path's spike function and surrogate gradient (docs/gradients.md
// §1, §9). Op codes follow UNARY_OPS / BINARY_OPS / REDUCE_OPS in ../abi.ts. Transcendentals go through f64 Math
// like the ref, so results match it to the last bit or ulp.
import { param4, surrK1, surrK2, surrogate4 } from "./simd";
import { spikeOf } from "./scan";

// @ts-ignore: decorator
@inline function unaryScalar(op: i32, x: f32, p: f64): f32 {
  const d = <f64>x;
  switch (op) {
    case 1: return <f32>Math.exp(d);
    case 2: return <f32>Math.log(d);
    case 7: return <f32>(1.0 / (1.0 + Math.exp(-d)));
    case 8: return <f32>Math.tanh(d);
    case 14: return <f32>Math.pow(d, p);
    default: return 0;
  }
}

/** y[0..n) = value. (In JS, TypedArray.fill on a shared memory stores element by element.) */
export function fillF32(y: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), value);
}

/** dst[0..n) = src[0..n) (memmove semantics). */
export function copyF32(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** y = op(x). Ops 1, 2, 7, 8, 14 (exp, log, sigmoid, tanh, powScalar) are scalar f64; the rest SIMD. */
export function unary(x: usize, y: usize, n: i32, op: i32, p: f64): void {
  const pf = <f32>p;
  const pv = f32x4.splat(pf);
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  if (op == 1 || op == 2 || op == 7 || op == 8 || op == 14) {
    for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), unaryScalar(op, load<f32>(x + (<usize>i << 2)), p));
    return;
  }
  let i = 0;
  // Vector body; the tail runs the same vector op on a splatted lane 0.
  while (i < n) {
    const tail = i + 4 > n;
    const o = <usize>i << 2;
    const v = tail ? v128.load32_splat(x + o) : v128.load(x + o);
    let r: v128;
    switch (op) {
      case 0: r = f32x4.neg(v); break;
      case 3: r = f32x4.abs(v); break;
      case 4: r = f32x4.sqrt(v); break;
      case 5: r = v128.and(v, f32x4.gt(v, zero)); break;
      case 6: r = f32x4.mul(v, v); break;
      case 9: r = v128.or(v128.and(one, f32x4.gt(v, zero)), v128.and(f32x4.neg(one), f32x4.lt(v, zero))); break;
      case 10: r = f32x4.div(one, v); break;
      case 11: r = f32x4.mul(pv, v); break;
      case 12: r = f32x4.add(v, pv); break;
      case 13: r = v128.bitselect(pv, v, f32x4.lt(v, pv)); break;
      case 15: r = v128.bitselect(pv, v, f32x4.gt(v, pv)); break;
      case 16: r = v128.and(one, f32x4.gt(v, pv)); break;
      case 17: r = v128.and(one, f32x4.ge(v, pv)); break;
      default: { const d = f32x4.sub(v, v); r = v128.and(one, f32x4.ne(d, d)); } // isNonFinite
    }
    if (tail) { store<f32>(y + o, f32x4.extract_lane(r, 0)); i++; }
    else { v128.store(y + o, r); i += 4; }
  }
}

// @ts-ignore: decorator
@inline function binOp(op: i32, a: v128, b: v128): v128 {
  const one = f32x4.splat(1);
  switch (op) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.sub(a, b);
    case 2: return f32x4.mul(a, b);
    case 3: return f32x4.div(a, b);
    case 4: return v128.bitselect(a, b, f32x4.ge(a, b)); // ref: a >= b ? a : b
    case 5: return v128.bitselect(a, b, f32x4.le(a, b));
    case 6: return v128.and(one, f32x4.gt(a, b));
    case 7: return v128.and(one, f32x4.ge(a, b));
    case 8: return v128.and(one, f32x4.eq(a, b));
    default: {
      // pow: scalar f64 per lane, as the ref
      let r = f32x4.splat(<f32>Math.pow(<f64>f32x4.extract_lane(a, 0), <f64>f32x4.extract_lane(b, 0)));
      r = f32x4.replace_lane(r, 1, <f32>Math.pow(<f64>f32x4.extract_lane(a, 1), <f64>f32x4.extract_lane(b, 1)));
      r = f32x4.replace_lane(r, 2, <f32>Math.pow(<f64>f32x4.extract_lane(a, 2), <f64>f32x4.extract_lane(b, 2)));
      return f32x4.replace_lane(r, 3, <f32>Math.pow(<f64>f32x4.extract_lane(a, 3), <f64>f32x4.extract_lane(b, 3)));
    }
  }
}

// y[i] = a[i·sa] op b[i·sb] for i < n, where sa, sb ∈ {0, 1} (0 = scalar broadcast).
function binRun(a: usize, sa: i32, b: usize, sb: i32, y: usize, n: i32, op: i32): void {
  let i = 0;
  const as = sa ? v128.splat<f32>(0) : v128.load32_splat(a);
  const bs = sb ? v128.splat<f32>(0) : v128.load32_splat(b);
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const av = sa ? v128.load(a + o) : as;
    const bv = sb ? v128.load(b + o) : bs;
    v128.store(y + o, binOp(op, av, bv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const av = sa ? v128.load32_splat(a + o) : as;
    const bv = sb ? v128.load32_splat(b + o) : bs;
    store<f32>(y + o, f32x4.extract_lane(binOp(op, av, bv), 0));
  }
}

/**
 * y = a op b for one of the layouts: 0 same shape; 1 b scalar; 2 a scalar; 3 b repeats with period L (a row
 * vector over the trailing dims); 4 a repeats with period L; 5 b is a column: b[(i / L) % lb]; 6 a column.
 */
export function binary(a: usize, b: usize, y: usize, n: i32, op: i32, layout: i32, L: i32, lb: i32): void {
  switch (layout) {
    case 0: binRun(a, 1, b, 1, y, n, op); return;
    case 1: binRun(a, 1, b, 0, y, n, op); return;
    case 2: binRun(a, 0, b, 1, y, n, op); return;
    case 3: case 4: {
      for (let r = 0; r < n; r += L) {
        const o = <usize>r << 2;
        if (layout == 3) binRun(a + o, 1, b, 1, y + o, L, op);
        else binRun(a, 1, b + o, 1, y + o, L, op);
      }
      return;
    }
    default: {
      let row = 0;
      for (let r = 0; r < n; r += L, row++) {
        const o = <usize>r << 2;
        const q = <usize>(row % lb) << 2;
        if (layout == 5) binRun(a + o, 1, b + q, 0, y + o, L, op);
        else binRun(a + q, 0, b + o, 1, y + o, L, op);
      }
    }
  }
}

/** x viewed [outer, mid, inner]; y[o, i] = op over m. op 0 sum, 1 max, 2 min, 3 mean. Sums in f64. */
export function reduce(x: usize, y: usize, outer: i32, mid: i32, inner: i32, op: i32): void {
  const midS = <usize>mid * <usize>inner;
  for (let o = 0; o < outer; o++) {
    const xo = x + ((<usize>o * midS) << 2);
    const yo = y + ((<usize>o * <usize>inner) << 2);
    if (op == 0 || op == 3) {
      if (inner == 1) {
        // contiguous: four f64x2 accumulators, so the f64 adds' latency (one chain per accumulator) does not
        // bound the loop below memory speed (two chains: ≈ 31 GB/s on 2 threads, a loss's sum over 131 MB)
        let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
        let m = 0;
        for (; m + 8 <= mid; m += 8) {
          const v = v128.load(xo + (<usize>m << 2)), w = v128.load(xo + (<usize>m << 2), 16);
          s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
          s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
          s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
          s3 = f64x2.add(s3, f64x2.promote_low_f32x4(i8x16.shuffle(w, w, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
        }
        s0 = f64x2.add(s0, s2);
        s1 = f64x2.add(s1, s3);
        for (; m + 4 <= mid; m += 4) {
          const v = v128.load(xo + (<usize>m << 2));
          s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
          s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
        }
        let acc = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 1);
        for (; m < mid; m++) acc += <f64>load<f32>(xo + (<usize>m << 2));
        store<f32>(yo, <f32>(op == 3 ? acc / <f64>mid : acc));
      } else {
        let i = 0;
        for (; i + 4 <= inner; i += 4) {
          let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
          let p = xo + (<usize>i << 2);
          const stp = <usize>inner << 2;
          for (let m = 0; m < mid; m++, p += stp) {
            const v = v128.load(p);
            s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
            s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
          }
          if (op == 3) { const d = f64x2.splat(<f64>mid); s0 = f64x2.div(s0, d); s1 = f64x2.div(s1, d); }
          const lo = f32x4.demote_f64x2_zero(s0), hi = f32x4.demote_f64x2_zero(s1);
          v128.store(yo + (<usize>i << 2), i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
        }
        for (; i < inner; i++) {
          let acc: f64 = 0;
          for (let m = 0; m < mid; m++) acc += <f64>load<f32>(xo + ((<usize>m * <usize>inner + <usize>i) << 2));
          store<f32>(yo + (<usize>i << 2), <f32>(op == 3 ? acc / <f64>mid : acc));
        }
      }
    } else {
      // max/min with the ref's NaN rule: a NaN wins and sticks
      for (let i = 0; i < inner; i++) {
        let acc: f32 = op == 1 ? -Infinity : Infinity;
        let p = xo + (<usize>i << 2);
        const stp = <usize>inner << 2;
        for (let m = 0; m < mid; m++, p += stp) {
          const v = load<f32>(p);
          if (op == 1 ? v > acc || v != v : v < acc || v != v) acc = v;
        }
        store<f32>(yo + (<usize>i << 2), acc);
      }
    }
  }
}

/** loss[r] = log Σ exp(l − max) + max − l[label]; dlogits = softmax − onehot (dl = 0 when absent). f64 math. */
export function softmaxCrossEntropy(logits: usize, labels: usize, loss: usize, dl: usize, rows: i32, classes: i32): void {
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>classes) << 2;
    let mx: f64 = -Infinity;
    for (let c = 0; c < classes; c++) mx = Math.max(mx, <f64>load<f32>(logits + off + (<usize>c << 2)));
    let z: f64 = 0;
    for (let c = 0; c < classes; c++) z += Math.exp(<f64>load<f32>(logits + off + (<usize>c << 2)) - mx);
    const lbl = <i32>load<f32>(labels + (<usize>r << 2));
    store<f32>(loss + (<usize>r << 2), <f32>(Math.log(z) + mx - <f64>load<f32>(logits + off + (<usize>lbl << 2))));
    if (dl) {
      for (let c = 0; c < classes; c++) {
        const e = Math.exp(<f64>load<f32>(logits + off + (<usize>c << 2)) - mx) / z;
        store<f32>(dl + off + (<usize>c << 2), <f32>(e - (c == lbl ? 1.0 : 0.0)));
      }
    }
  }
}

/** Elementwise dv = σ(v, θ)·g (BPTT path). theta read at i % P. */
export function surrogateGrad(v: usize, theta: usize, g: usize, dv: usize, n: i32, P: i32,
  kind: i32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const th = param4(theta, i, P);
    const sig = surrogate4(kind, v128.load(v + o), th, surrK1(kind, th, q0), surrK2(kind, th, q0, q1), q0, q1, q2, q3, q4, q5);
    v128.store(dv + o, f32x4.mul(sig, v128.load(g + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const th = v128.load32_splat(theta + (<usize>(i % P) << 2));
    const sig = surrogate4(kind, v128.load32_splat(v + o), th, surrK1(kind, th, q0), surrK2(kind, th, q0, q1), q0, q1, q2, q3, q4, q5);
    store<f32>(dv + o, f32x4.extract_lane(sig, 0) * load<f32>(g + o));
  }
}

/** Elementwise spike function s = min(⌊v/θ⌋, cap)·1[v ≥ θ] (BPTT path); same ops as the scan. */
export function spikeFn(v: usize, theta: usize, s: usize, n: i32, P: i32, maxSpikes: i32): void {
  const cap = f32x4.splat(<f32>maxSpikes);
  const capped = maxSpikes > 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(s + o, spikeOf(v128.load(v + o), param4(theta, i, P), cap, capped));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const k = spikeOf(v128.load32_splat(v + o), v128.load32_splat(theta + (<usize>(i % P) << 2)), cap, capped);
    store<f32>(s + o, f32x4.extract_lane(k, 0));
  }
}
