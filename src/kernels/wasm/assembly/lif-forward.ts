// LIF forward scans for the wasm backend (docs/gradients.md §1), called from ../kernels/lif.ts. The zero
// reset (§5) runs on a plain 4-lane scan (lifFwdZero4); the specialised paths below are the subtractive reset's.
// Layout [T, N] time-major. P == 1 or P % 4 == 0 (the common case): row-streaming, time outer (two rows per
// pass), chunks of W neurons inner, SIMD lanes across 4 neighbouring neurons; the hot loops are specialised
// with compile-time flags (type parameters) so they carry no branches. Other P: per-neuron-group scans with
// the time loop inside; tails (N % 4) reuse the vector code on a splatted lane 0. The forward scans never
// fuse multiply-add (f32 results equal ref/lif.ts bit for bit); the backward (lif-backward.ts) may.
import { param4 } from "./simd";
import { ROW, W, ld, on, prm, setRow, singleSpikeExact, spikeOf, st } from "./scan";

/** §1 (1.1)–(1.2): u_t = α(v_{t−1} − m·s_{t−1}) + x_t, v_t = max(u_t, θlow): rounded op by op, no FMA. */
// @ts-ignore: decorator
@inline function lifStep(cur: v128, act: v128, a: v128, m: v128, lo: v128, x: v128): v128 {
  // pmax(u, lo) = u < lo ? lo : u, exactly the ref's `if (cur < lo) cur = lo` (NaN and −0 included).
  return f32x4.pmax(f32x4.add(f32x4.mul(a, f32x4.sub(cur, f32x4.mul(act, m))), x), lo);
}

function lifFwd4(x: usize, v0: usize, alpha: usize, theta: usize, sub: usize, minV: usize, spikes: usize,
  v: usize, T: i32, N: i32, P: i32, maxSpikes: i32, n: i32, scalar: bool): void {
  const a = prm(alpha, n, P, scalar), th = prm(theta, n, P, scalar), m = prm(sub, n, P, scalar);
  const lo = minV ? prm(minV, n, P, scalar) : f32x4.splat(-Infinity);
  const cap = f32x4.splat(<f32>maxSpikes);
  const capped = maxSpikes > 0;
  let cur = ld(v0 + (<usize>n << 2), scalar);
  let act = f32x4.splat(0);
  const stride = <usize>ROW << 2;
  let off = <usize>n << 2;
  for (let t = 0; t < T; t++, off += stride) {
    cur = lifStep(cur, act, a, m, lo, ld(x + off, scalar));
    act = spikeOf(cur, th, cap, capped);
    st(spikes + off, act, scalar);
    st(v + off, cur, scalar);
  }
}

/** 16 neurons as 4 independent chains: the §1 recurrence is latency-bound (div, trunc), so interleave. */
function lifFwd16(x: usize, v0: usize, alpha: usize, theta: usize, sub: usize, minV: usize, spikes: usize,
  v: usize, T: i32, N: i32, P: i32, maxSpikes: i32, n: i32): void {
  const a0 = param4(alpha, n, P), a1 = param4(alpha, n + 4, P), a2 = param4(alpha, n + 8, P), a3 = param4(alpha, n + 12, P);
  const h0 = param4(theta, n, P), h1 = param4(theta, n + 4, P), h2 = param4(theta, n + 8, P), h3 = param4(theta, n + 12, P);
  const m0 = param4(sub, n, P), m1 = param4(sub, n + 4, P), m2 = param4(sub, n + 8, P), m3 = param4(sub, n + 12, P);
  const ninf = f32x4.splat(-Infinity);
  const l0 = minV ? param4(minV, n, P) : ninf, l1 = minV ? param4(minV, n + 4, P) : ninf;
  const l2 = minV ? param4(minV, n + 8, P) : ninf, l3 = minV ? param4(minV, n + 12, P) : ninf;
  const cap = f32x4.splat(<f32>maxSpikes);
  const capped = maxSpikes > 0;
  const p0 = v0 + (<usize>n << 2);
  let c0 = v128.load(p0), c1 = v128.load(p0, 16), c2 = v128.load(p0, 32), c3 = v128.load(p0, 48);
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
  const stride = <usize>ROW << 2;
  let off = <usize>n << 2;
  for (let t = 0; t < T; t++, off += stride) {
    const xp = x + off;
    c0 = lifStep(c0, s0, a0, m0, l0, v128.load(xp));
    c1 = lifStep(c1, s1, a1, m1, l1, v128.load(xp, 16));
    c2 = lifStep(c2, s2, a2, m2, l2, v128.load(xp, 32));
    c3 = lifStep(c3, s3, a3, m3, l3, v128.load(xp, 48));
    s0 = spikeOf(c0, h0, cap, capped);
    s1 = spikeOf(c1, h1, cap, capped);
    s2 = spikeOf(c2, h2, cap, capped);
    s3 = spikeOf(c3, h3, cap, capped);
    const sp = spikes + off, vp = v + off;
    v128.store(sp, s0); v128.store(sp, s1, 16); v128.store(sp, s2, 32); v128.store(sp, s3, 48);
    v128.store(vp, c0); v128.store(vp, c1, 16); v128.store(vp, c2, 32); v128.store(vp, c3, 48);
  }
}

/**
 * spikeOf for the row scans, the mode a type: u8 capped, u16 uncapped, u32 single spike (cap 1) with every
 * θ in (0, ∞): then min(⌊v/θ⌋, 1)·1[v ≥ θ] is exactly 1[v ≥ θ] (v ≥ θ > 0 gives v/θ ≥ 1), without the
 * division that bounds the forward's throughput.
 */
// @ts-ignore: decorator
@inline function spikeMode<C>(cur: v128, th: v128, capV: v128): v128 {
  if (sizeof<C>() == 4) return v128.and(f32x4.ge(cur, th), f32x4.splat(1));
  return spikeOf(cur, th, capV, on<C>());
}

/** Bytes per 4-neuron group of the forward's parameter table: α, θ, m, θlow. */
const TF: usize = 64;

/**
 * §1 for one run of 4-lane groups of row t (offsets o to o1), the previous state read at vp, sp (row t − 1,
 * or v0 and a zero row at t = 0); parameters from the table at pp, step inc (0 when P = 1). C: spikeMode.
 */
function fwdRun<C>(x: usize, v: usize, spikes: usize, vp: usize, sp: usize, pp: usize, inc: usize,
  o: usize, o1: usize, cap: f32): void {
  const capV = f32x4.splat(cap);
  for (; o < o1; o += 16, pp += inc, vp += 16, sp += 16) {
    const c = lifStep(v128.load(vp), v128.load(sp), v128.load(pp), v128.load(pp, 32), v128.load(pp, 48), v128.load(x + o));
    v128.store(v + o, c);
    v128.store(spikes + o, spikeMode<C>(c, v128.load(pp, 16), capV));
  }
}

/** fwdRun for rows t and t + 1 (offsets o, o + stride): row t's state stays in registers for row t + 1. */
function fwdRun2<C>(x: usize, v: usize, spikes: usize, vp: usize, sp: usize, pp: usize, inc: usize,
  o: usize, o1: usize, stride: usize, cap: f32): void {
  const capV = f32x4.splat(cap);
  for (; o < o1; o += 16, pp += inc, vp += 16, sp += 16) {
    const a = v128.load(pp), th = v128.load(pp, 16), m = v128.load(pp, 32), lo = v128.load(pp, 48);
    const c1 = lifStep(v128.load(vp), v128.load(sp), a, m, lo, v128.load(x + o));
    const s1 = spikeMode<C>(c1, th, capV);
    v128.store(v + o, c1);
    v128.store(spikes + o, s1);
    const o2 = o + stride;
    const c2 = lifStep(c1, s1, a, m, lo, v128.load(x + o2));
    v128.store(v + o2, c2);
    v128.store(spikes + o2, spikeMode<C>(c2, th, capV));
  }
}

/**
 * Row-streaming forward for P == 1 or P % 4 == 0: time outer (two rows per pass), a chunk of ≤ W neurons
 * inner. Every vector in a row is an independent chain, so the §1 recurrence's latency hides behind the
 * chunk, memory is read in contiguous runs, and the previous state is read back from v[t−1], spikes[t−1].
 * scratch: a zero row (W floats, the spikes before t = 0), then the parameter table (one entry when P = 1).
 */
function lifFwdRows(x: usize, v0: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  spikes: usize, v: usize, T: i32, N: i32, P: i32, maxSpikes: i32, N4: i32, scratch: usize): void {
  const uniform = P == 1;
  const ninf = f32x4.splat(-Infinity);
  const stride = <usize>ROW << 2;
  const zeros = scratch, tab = scratch + (<usize>W << 2);
  memory.fill(zeros, 0, <usize>W << 2);
  // α, θ, m, θlow interleaved per 4-lane group (64 bytes): one address per vector instead of four.
  const Pt = uniform ? 4 : P;
  for (let p = 0; p < Pt; p += 4) {
    const src = <usize>p << 2, dst = tab + (<usize>p << 4);
    v128.store(dst, uniform ? v128.load32_splat(alpha) : v128.load(alpha + src));
    v128.store(dst, uniform ? v128.load32_splat(theta) : v128.load(theta + src), 16);
    v128.store(dst, uniform ? v128.load32_splat(sub) : v128.load(sub + src), 32);
    v128.store(dst, minV ? (uniform ? v128.load32_splat(minV) : v128.load(minV + src)) : ninf, 48);
  }
  const inc: usize = uniform ? 0 : TF;
  const capped = maxSpikes > 0;
  const cap = <f32>maxSpikes;
  const single = singleSpikeExact(maxSpikes, theta, uniform ? 1 : P);
  for (let n0 = 0; n0 < N4; n0 += W) {
    const n1 = min(N4, n0 + W);
    for (let t = 0; t < T;) {
      const row = <usize>t * stride;
      const pair = t + 1 < T;
      let n = n0;
      while (n < n1) {
        const q = uniform ? 0 : n % P;
        const e = uniform ? n1 : min(n1, n + (P - q));
        const o = row + (<usize>n << 2), o1 = row + (<usize>e << 2);
        const pp = tab + (<usize>q << 4);
        const vp = t == 0 ? v0 + (<usize>n << 2) : v + o - stride;
        const sp = t == 0 ? zeros + (<usize>(n - n0) << 2) : spikes + o - stride;
        if (pair) {
          if (single) fwdRun2<u32>(x, v, spikes, vp, sp, pp, inc, o, o1, stride, cap);
          else if (capped) fwdRun2<u8>(x, v, spikes, vp, sp, pp, inc, o, o1, stride, cap);
          else fwdRun2<u16>(x, v, spikes, vp, sp, pp, inc, o, o1, stride, cap);
        } else {
          if (single) fwdRun<u32>(x, v, spikes, vp, sp, pp, inc, o, o1, cap);
          else if (capped) fwdRun<u8>(x, v, spikes, vp, sp, pp, inc, o, o1, cap);
          else fwdRun<u16>(x, v, spikes, vp, sp, pp, inc, o, o1, cap);
        }
        n = e;
      }
      t += pair ? 2 : 1;
    }
  }
}

/**
 * docs/gradients.md §1 forward scan. minV = 0 when absent. x, spikes, v: [T, N]; v0: [N]; params: [P]. scratch: lifScratchBytes(P).
 * zero = 1: the zero reset (docs/gradients.md §5, SingleSpike; sub not read).
 */
export function lifForward(x: usize, v0: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  spikes: usize, v: usize, T: i32, N: i32, P: i32, maxSpikes: i32, scratch: usize, ld: i32, zero: i32): void {
  setRow(ld, N);
  let n = 0;
  if (zero != 0) {
    for (; n + 4 <= N; n += 4) lifFwdZero4(x, v0, alpha, theta, minV, spikes, v, T, P, n, false);
    for (; n < N; n++) lifFwdZero4(x, v0, alpha, theta, minV, spikes, v, T, P, n, true);
    return;
  }
  if (P == 1 || (P & 3) == 0) {
    n = N & ~3;
    lifFwdRows(x, v0, alpha, theta, sub, minV, spikes, v, T, N, P, maxSpikes, n, scratch);
  }
  for (; n + 16 <= N; n += 16) lifFwd16(x, v0, alpha, theta, sub, minV, spikes, v, T, N, P, maxSpikes, n);
  for (; n + 4 <= N; n += 4) lifFwd4(x, v0, alpha, theta, sub, minV, spikes, v, T, N, P, maxSpikes, n, false);
  for (; n < N; n++) lifFwd4(x, v0, alpha, theta, sub, minV, spikes, v, T, N, P, maxSpikes, n, true);
}

/**
 * docs/gradients.md §1 forward with the zero reset (SingleSpike): u_t = α·v_{t−1}·(1 − s_{t−1}) + x_t,
 * rounded op by op in the ref's order (f32 results equal ref/lif.ts bit for bit). 4 lanes (1 in the tail).
 */
function lifFwdZero4(x: usize, v0: usize, alpha: usize, theta: usize, minV: usize, spikes: usize, v: usize,
  T: i32, P: i32, n: i32, scalar: bool): void {
  const a = prm(alpha, n, P, scalar), th = prm(theta, n, P, scalar);
  const lo = minV ? prm(minV, n, P, scalar) : f32x4.splat(-Infinity);
  const one = f32x4.splat(1), cap = f32x4.splat(1);
  let cur = ld(v0 + (<usize>n << 2), scalar);
  let act = f32x4.splat(0);
  const stride = <usize>ROW << 2;
  let off = <usize>n << 2;
  for (let t = 0; t < T; t++, off += stride) {
    const post = f32x4.mul(cur, f32x4.sub(one, act));
    cur = f32x4.pmax(f32x4.add(f32x4.mul(a, post), ld(x + off, scalar)), lo);
    act = spikeOf(cur, th, cap, true);
    st(spikes + off, act, scalar);
    st(v + off, cur, scalar);
  }
}
