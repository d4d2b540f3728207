// Neuron scans for the wasm backend: LIF forward (docs/gradients.md §1), EXODUS / SLAYER backward (§3, §4)
// with the α-gradient, and the leaky integrator (§10) forward/backward. Called from backend.ts.
// The zero reset and the threshold gradient (docs/gradients.md §5, §6) run on plain 4-lane scans
// (lifFwdZero4, lifBwdExt4); the specialised paths below are the subtractive reset's.
// Layout [T, N] time-major. P == 1 or P % 4 == 0 (the common case): row-streaming, time outer (two rows per
// pass), chunks of W neurons inner, SIMD lanes across 4 neighbouring neurons; the hot loops are specialised
// with compile-time flags (type parameters) so they carry no branches. Other P: per-neuron-group scans with
// the time loop inside; tails (N % 4) reuse the vector code on a splatted lane 0. The forward scans never
// fuse multiply-add (f32 results equal ref/lif.ts bit for bit); the backward may (relaxed build).
import { fma, param4, surrK1, surrK2, surrogate4 } from "./simd";

// Row stride (floats) of the [T, ·] arrays for the current call: N, or the full row when backend.ts hands a
// thread a column block [n0, n0 + N) of a wider array. Globals are per instance, so per thread.
let ROW: i32 = 0;

// @ts-ignore: decorator
@inline function ld(p: usize, scalar: bool): v128 {
  return scalar ? v128.load32_splat(p) : v128.load(p);
}
// @ts-ignore: decorator
@inline function st(p: usize, v: v128, scalar: bool): void {
  if (scalar) store<f32>(p, f32x4.extract_lane(v, 0));
  else v128.store(p, v);
}
// @ts-ignore: decorator
@inline function prm(ptr: usize, n: i32, P: i32, scalar: bool): v128 {
  return scalar ? v128.load32_splat(ptr + (<usize>(n % P) << 2)) : param4(ptr, n, P);
}

/** dAlpha[(n + l) % P] += acc[l] for the 4 lanes (1 in the scalar tail): per-row α-gradients summed per parameter. */
// @ts-ignore: decorator
@inline function addLanesToParams(dAlpha: usize, acc: v128, n: i32, P: i32, scalar: bool): void {
  const lanes = scalar ? 1 : 4;
  for (let l = 0; l < lanes; l++) {
    const pa = dAlpha + (<usize>((n + l) % P) << 2);
    const val = l == 0 ? f32x4.extract_lane(acc, 0) : l == 1 ? f32x4.extract_lane(acc, 1)
      : l == 2 ? f32x4.extract_lane(acc, 2) : f32x4.extract_lane(acc, 3);
    store<f32>(pa, load<f32>(pa) + val);
  }
}

/** §1 (1.1)–(1.2): u_t = α(v_{t−1} − m·s_{t−1}) + x_t, v_t = max(u_t, θlow): rounded op by op, no FMA. */
// @ts-ignore: decorator
@inline function lifStep(cur: v128, act: v128, a: v128, m: v128, lo: v128, x: v128): v128 {
  // pmax(u, lo) = u < lo ? lo : u, exactly the ref's `if (cur < lo) cur = lo` (NaN and −0 included).
  return f32x4.pmax(f32x4.add(f32x4.mul(a, f32x4.sub(cur, f32x4.mul(act, m))), x), lo);
}
/** §1 (1.3): s_t = min(⌊v_t/θ⌋, cap)·1[v_t ≥ θ]. */
// @ts-ignore: decorator
@inline function spikeOf(cur: v128, th: v128, cap: v128, capped: bool): v128 {
  const k = v128.and(f32x4.trunc(f32x4.div(cur, th)), f32x4.ge(cur, th));
  // pmin(k, cap) = cap < k ? cap : k: one minps on x86, where min's NaN/−0 rules cost a sequence; equal here
  // (cap ≥ 1 is never NaN or ±0, and a NaN k stays NaN either way).
  return capped ? f32x4.pmin(k, cap) : k;
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


/** Neurons per chunk of the row-streaming scans: a chunk row is 64 KiB per array (the few rows in flight stay
 * in L2) and long enough for the hardware prefetcher; 256 and 1024 measured slower than 4096, 16384 ≈ 7%
 * faster than 4096 at T = 500, N = 65536 (two rows per pass). */
const W = 16384;

// Parameter vector for lanes at index q (P % 4 == 0) or the hoisted splat (P == 1).
// @ts-ignore: decorator
@inline function pv(ptr: usize, q: i32, uniform: bool, splat: v128): v128 {
  return uniform ? splat : v128.load(ptr + (<usize>q << 2));
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

/** Whether spikeMode's single-spike shortcut is exact for this call: cap 1 and every θ[0..P) in (0, ∞). */
function singleSpikeExact(maxSpikes: i32, theta: usize, P: i32): bool {
  if (maxSpikes != 1) return false;
  for (let p = 0; p < P; p++) {
    const th = load<f32>(theta + (<usize>p << 2));
    if (!(th > 0 && th < Infinity)) return false;
  }
  return true;
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

/** Surrogate kind encoded as a type, so it is a compile-time constant: u8 SE, u16 PE, u32 HV, u64 G, i8 MG. */
// @ts-ignore: decorator
@inline function kindOf<K>(): i32 {
  return sizeof<K>() == 1 ? (isSigned<K>() ? 4 : 0) : sizeof<K>() == 2 ? 1 : sizeof<K>() == 4 ? 2 : 3;
}

/** A flag encoded as a type (u8 = on, u16 = off), so it is a compile-time constant of the specialised copy. */
// @ts-ignore: decorator
@inline function on<B>(): bool {
  return sizeof<B>() == 1;
}

/** The backward's dα mode as a type: u16 off, u8 on, u32 on with single spikes (see spikeMode). */
// @ts-ignore: decorator
@inline function alphaOn<A>(): bool {
  return sizeof<A>() != 2;
}
// @ts-ignore: decorator
@inline function singleOf<A>(): bool {
  return sizeof<A>() == 4;
}

/** Bytes per 4-neuron group of the backward's parameter table: α, θ, −m, θlow, k1, k2, −α·m_eff. */
const TB: usize = 112;
/** The backward's spike cap splatted (+∞ when uncapped), at a static address: no register or spill slot. */
const CAPV: usize = memory.data(16, 16);

/**
 * §3 (3.3) for one run of 4-lane groups of a row 0 < t < T − 1 (the hot loop): no per-row branches. Offsets o
 * (row t) to o1 step 16 bytes; parameters from the table at pp, step inc (0 when P = 1). With dα (A), the
 * step's vpost_{t−1} = v_{t−1} − m·s_{t−1}, s_{t−1} recomputed from v_{t−1} with the forward's exact ops
 * (spikeOf; cap = +∞ when uncapped), so the spikes array is not read (memory-bound loop). pmin(k, cap) is
 * one instruction and equals the forward's min(k, cap) here: k is never NaN (masked) and cap is never ±0.
 */
function bwdRun<K, A, G, M>(gS: usize, gV: usize, v: usize, dx: usize, acc: usize, pp: usize, inc: usize,
  o: usize, o1: usize, stride: usize, cap: f32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32): void {
  const kind = kindOf<K>();
  const capV = v128.load(CAPV);
  for (; o < o1; o += 16, pp += inc, acc += 16) {
    const th = v128.load(pp, 16);
    const vt = v128.load(v + o);
    const sig = surrogate4(kind, vt, th, v128.load(pp, 64), v128.load(pp, 80), q0, q1, q2, q3, q4, q5);
    // λ_t = σ_t·gS_t (+ gV_t) + α(1 − m·σ_t)·dx_{t+1} = σ_t·(gS_t − (α·m)·dx_{t+1}) + α·dx_{t+1} (+ gV_t):
    // three ops (FMA in the relaxed build). SLAYER has α·m_eff = 0 in the table.
    const dn = v128.load(dx + o + stride);
    let lam = fma(sig, fma(v128.load(pp, 96), dn, v128.load(gS + o)), f32x4.mul(v128.load(pp), dn));
    if (on<G>()) lam = f32x4.add(lam, v128.load(gV + o));
    const d = on<M>() ? v128.and(lam, f32x4.gt(vt, v128.load(pp, 48))) : lam;
    v128.store(dx + o, d);
    if (alphaOn<A>()) {
      const prev = vpost(v128.load(v + o - stride), th, v128.load(pp, 32), capV, singleOf<A>());
      v128.store(acc, fma(d, prev, v128.load(acc)));
    }
  }
}

/**
 * vpost = v − m·s of dα (docs/gradients.md §2, (2.5)) with s recomputed from v exactly as the forward did (see bwdRun);
 * single: the forward's division-free single-spike value 1[v ≥ θ] (spikeMode).
 */
// @ts-ignore: decorator
@inline function vpost(pv: v128, th: v128, nm: v128, capV: v128, single: bool): v128 {
  const s = single ? v128.and(f32x4.ge(pv, th), f32x4.splat(1)) : f32x4.pmin(spikeOf(pv, th, capV, false), capV);
  return fma(nm, s, pv); // nm = −m; FMA in the relaxed build
}

/**
 * bwdRun for two rows at once, t (offsets o) and t − 1 (o − stride), both in 1 ≤ t − 1 < t < T − 1: row t's
 * dx stays in a register for row t − 1, and the parameter loads and v_{t−1} are shared. Same ops, same order
 * as two bwdRun rows (same results).
 */
function bwdRun2<K, A, G, M>(gS: usize, gV: usize, v: usize, dx: usize, acc: usize, pp: usize, inc: usize,
  o: usize, o1: usize, stride: usize, cap: f32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32, gsStep: usize): void {
  const kind = kindOf<K>();
  const capV = v128.load(CAPV);
  // Parameters: loaded once when they are the same for every lane group (inc = 0, P = 1), so the loop does not
  // reload six vectors that the stores to dx keep V8 from hoisting; per group otherwise.
  let a = v128.load(pp), th = v128.load(pp, 16), lo = on<M>() ? v128.load(pp, 48) : a;
  let k1 = v128.load(pp, 64), k2 = v128.load(pp, 80), am = v128.load(pp, 96);
  for (; o < o1; o += 16, pp += inc, acc += 16) {
    if (inc) {
      a = v128.load(pp); th = v128.load(pp, 16);
      if (on<M>()) lo = v128.load(pp, 48);
      k1 = v128.load(pp, 64); k2 = v128.load(pp, 80); am = v128.load(pp, 96);
    }
    const om = o - stride;
    const v1 = v128.load(v + o), v0 = v128.load(v + om);
    const s1 = surrogate4(kind, v1, th, k1, k2, q0, q1, q2, q3, q4, q5);
    const s0 = surrogate4(kind, v0, th, k1, k2, q0, q1, q2, q3, q4, q5);
    const dn = v128.load(dx + o + stride);
    let l1 = fma(s1, fma(am, dn, v128.load(gS + o)), f32x4.mul(a, dn));
    if (on<G>()) l1 = f32x4.add(l1, v128.load(gV + o));
    const d1 = on<M>() ? v128.and(l1, f32x4.gt(v1, lo)) : l1;
    v128.store(dx + o, d1);
    let l0 = fma(s0, fma(am, d1, v128.load(gS + o - gsStep)), f32x4.mul(a, d1));
    if (on<G>()) l0 = f32x4.add(l0, v128.load(gV + om));
    const d0 = on<M>() ? v128.and(l0, f32x4.gt(v0, lo)) : l0;
    v128.store(dx + om, d0);
    if (alphaOn<A>()) {
      const nm = v128.load(pp, 32);
      const p1 = vpost(v0, th, nm, capV, singleOf<A>()), p0 = vpost(v128.load(v + om - stride), th, nm, capV, singleOf<A>());
      v128.store(acc, fma(d0, p0, fma(d1, p1, v128.load(acc))));
    }
  }
}

/** First (t = 0) and/or last (t = T − 1) row: the rare rows, with runtime flags. */
function bwdEdge<K>(gS: usize, gV: usize, v: usize, dx: usize, dv0: usize, v0: usize, acc: usize, pp: usize,
  inc: usize, o: usize, o1: usize, n: usize, stride: usize, cap: f32, first: bool, last: bool, withAlpha: bool,
  single: bool, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32): void {
  const kind = kindOf<K>();
  const capV = f32x4.splat(cap);
  for (; o < o1; o += 16, pp += inc, acc += 16, n += 16) {
    const a = v128.load(pp), th = v128.load(pp, 16);
    const vt = v128.load(v + o);
    const sig = surrogate4(kind, vt, th, v128.load(pp, 64), v128.load(pp, 80), q0, q1, q2, q3, q4, q5);
    let y = f32x4.mul(sig, v128.load(gS + o));
    if (gV) y = f32x4.add(y, v128.load(gV + o));
    let lam = y;
    if (!last) lam = f32x4.add(y, f32x4.mul(f32x4.add(a, f32x4.mul(v128.load(pp, 96), sig)), v128.load(dx + o + stride)));
    const d = v128.and(lam, f32x4.gt(vt, v128.load(pp, 48)));
    v128.store(dx + o, d);
    if (withAlpha) {
      let prev: v128;
      if (first) prev = v128.load(v0 + n); // vpost_{−1} = v0
      else prev = vpost(v128.load(v + o - stride), th, v128.load(pp, 32), capV, single);
      v128.store(acc, fma(d, prev, v128.load(acc)));
    }
    if (first) v128.store(dv0 + n, f32x4.mul(a, d));
  }
}

/**
 * One run of a middle row (or row pair) with the flags turned into types: A the dα mode, G whether gV is
 * given, M whether minV gates the gradient. Without minV the gate nc_t = 1[v_t > −∞] is 1 for every finite v
 * (layers reject non-finite input), so the compare, the mask and θlow's register are dropped from the loop.
 */
// @ts-ignore: decorator
@inline function bwdRows<K, M>(pair: bool, withAlpha: bool, single: bool, gs: usize, gV: usize, v: usize, dx: usize,
  acc: usize, pp: usize, inc: usize, o: usize, o1: usize, stride: usize, cap: f32,
  q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32, gsStep: usize): void {
  if (withAlpha && single) {
    if (gV) bwdPass<K, u32, u8, M>(pair, gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5, gsStep);
    else bwdPass<K, u32, u16, M>(pair, gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5, gsStep);
  } else if (withAlpha) {
    if (gV) bwdPass<K, u8, u8, M>(pair, gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5, gsStep);
    else bwdPass<K, u8, u16, M>(pair, gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5, gsStep);
  } else {
    if (gV) bwdPass<K, u16, u8, M>(pair, gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5, gsStep);
    else bwdPass<K, u16, u16, M>(pair, gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5, gsStep);
  }
}

// @ts-ignore: decorator
@inline function bwdPass<K, A, G, M>(pair: bool, gs: usize, gV: usize, v: usize, dx: usize, acc: usize, pp: usize,
  inc: usize, o: usize, o1: usize, stride: usize, cap: f32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32,
  gsStep: usize): void {
  if (pair) bwdRun2<K, A, G, M>(gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5, gsStep);
  else bwdRun<K, A, G, M>(gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5);
}

/**
 * Row-streaming EXODUS/SLAYER backward (P == 1 or P % 4 == 0), time outer (reversed), a chunk of ≤ W neurons
 * inner. nc_{t+1}·λ_{t+1} is dx_{t+1}, already written one row below, so (3.3) needs no state but the dα
 * partial sums (scratch, W floats). Parameters and the surrogate's θ coefficients are tabulated once (one
 * entry, step 0, when P = 1); each row is split into runs that walk the table linearly (no wrap test).
 */
function lifBwdRows<K>(gS: usize, gV: usize, v: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  dx: usize, dv0: usize, v0: usize, dAlpha: usize, T: i32, N: i32, P: i32, exodus: bool, maxSpikes: i32,
  q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32, N4: i32, scratch: usize, gsStep: usize): void {
  const kind = kindOf<K>();
  const uniform = P == 1;
  const ninf = f32x4.splat(-Infinity);
  const stride = <usize>ROW << 2;
  const accS = scratch;
  const tab = accS + (<usize>W << 2);
  const Pt = uniform ? 4 : P;
  for (let p = 0; p < Pt; p += 4) {
    const src = <usize>p << 2, dst = tab + <usize>p * 28;
    const a = uniform ? v128.load32_splat(alpha) : v128.load(alpha + src);
    const th = uniform ? v128.load32_splat(theta) : v128.load(theta + src);
    const m = uniform ? v128.load32_splat(sub) : v128.load(sub + src);
    const lo = minV ? (uniform ? v128.load32_splat(minV) : v128.load(minV + src)) : ninf;
    v128.store(dst, a);
    v128.store(dst, th, 16);
    v128.store(dst, f32x4.neg(m), 32);
    v128.store(dst, lo, 48);
    v128.store(dst, surrK1(kind, th, q0), 64);
    v128.store(dst, surrK2(kind, th, q0, q1), 80);
    v128.store(dst, exodus ? f32x4.neg(f32x4.mul(a, m)) : f32x4.splat(0), 96); // SLAYER: m := 0 (§4)
  }
  const inc: usize = uniform ? 0 : TB;
  const cap: f32 = maxSpikes > 0 ? <f32>maxSpikes : Infinity;
  v128.store(CAPV, f32x4.splat(cap));
  const withAlpha = dAlpha != 0;
  const single = singleSpikeExact(maxSpikes, theta, uniform ? 1 : P);
  for (let n0 = 0; n0 < N4; n0 += W) {
    const n1 = min(N4, n0 + W);
    if (withAlpha) memory.fill(accS, 0, <usize>W << 2);
    for (let t = T - 1; t >= 0;) {
      const row = <usize>t * stride;
      const first = t == 0, last = t == T - 1;
      const pair = !last && t >= 2; // rows t, t − 1 (both middle rows)
      // runs of neurons whose parameter index p = n % P increases without wrapping
      let n = n0;
      while (n < n1) {
        const q = uniform ? 0 : n % P;
        const e = uniform ? n1 : min(n1, n + (P - q));
        const o = row + (<usize>n << 2), o1 = row + (<usize>e << 2);
        const pp = tab + <usize>q * 28, acc = accS + (<usize>(n - n0) << 2);
        // gs + o addresses row t of gS: gS itself when gS is [T, N] (gsStep = stride), the one row when it
        // is the same at every step (gsStep = 0). usize arithmetic wraps, so gs may point below gS.
        const gs = gS + <usize>t * gsStep - row;
        if (first || last) {
          bwdEdge<K>(gs, gV, v, dx, dv0, v0, acc, pp, inc, o, o1, <usize>n << 2, stride, cap, first, last, withAlpha,
            single, q0, q1, q2, q3, q4, q5);
        } else if (minV) {
          bwdRows<K, u8>(pair, withAlpha, single, gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5, gsStep);
        } else {
          bwdRows<K, u16>(pair, withAlpha, single, gs, gV, v, dx, acc, pp, inc, o, o1, stride, cap, q0, q1, q2, q3, q4, q5, gsStep);
        }
        n = e;
      }
      t -= pair ? 2 : 1;
    }
    if (withAlpha) {
      for (let n = n0; n < n1; n++) {
        const pa = dAlpha + (<usize>(n % P) << 2);
        store<f32>(pa, load<f32>(pa) + load<f32>(accS + (<usize>(n - n0) << 2)));
      }
    }
  }
}

/**
 * docs/gradients.md §1 forward scan. minV = 0 when absent. x, spikes, v: [T, N]; v0: [N]; params: [P]. scratch: lifScratchBytes(P).
 * zero = 1: the zero reset (docs/gradients.md §5, SingleSpike; sub not read).
 */
export function lifForward(x: usize, v0: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  spikes: usize, v: usize, T: i32, N: i32, P: i32, maxSpikes: i32, scratch: usize, ld: i32, zero: i32): void {
  ROW = ld > 0 ? ld : N;
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

function lifBwd4(gS: usize, gV: usize, v: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  dx: usize, dv0: usize, spikes: usize, v0: usize, dAlpha: usize, T: i32, N: i32, P: i32, exodus: bool,
  kind: i32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32, n: i32, scalar: bool, gsStep: usize): void {
  const a = prm(alpha, n, P, scalar), th = prm(theta, n, P, scalar);
  const mTrue = prm(sub, n, P, scalar);
  // SLAYER: m := 0 in the recursion (docs/gradients.md §4); the α-gradient still uses the true reset.
  const m = exodus ? mTrue : f32x4.splat(0);
  const lo = minV ? prm(minV, n, P, scalar) : f32x4.splat(-Infinity);
  const k1 = surrK1(kind, th, q0), k2 = surrK2(kind, th, q0, q1);
  const one = f32x4.splat(1);
  const stride = <usize>ROW << 2;
  let lam = f32x4.splat(0);
  let ncNext = f32x4.splat(0); // all-zero mask: λ_{T−1} = y_{T−1}
  let acc = f32x4.splat(0);
  const withAlpha = dAlpha != 0;
  let off = (<usize>(T - 1) * stride) + (<usize>n << 2);
  let goff = (<usize>(T - 1) * gsStep) + (<usize>n << 2);
  for (let t = T - 1; t >= 0; t--, off -= stride, goff -= gsStep) {
    const vt = ld(v + off, scalar);
    const sig = surrogate4(kind, vt, th, k1, k2, q0, q1, q2, q3, q4, q5);
    let y = f32x4.mul(sig, ld(gS + goff, scalar));
    if (gV) y = f32x4.add(y, ld(gV + off, scalar));
    // §3 (3.3): λ_t = y_t + nc_{t+1}·α(1 − m·σ_t)·λ_{t+1}
    const carry = f32x4.mul(f32x4.mul(a, f32x4.sub(one, f32x4.mul(m, sig))), lam);
    lam = f32x4.add(y, v128.and(carry, ncNext));
    const nc = f32x4.gt(vt, lo);
    const d = v128.and(lam, nc); // dx_t = nc_t·λ_t
    st(dx + off, d, scalar);
    ncNext = nc;
    if (withAlpha && t > 0) {
      // dα += dx_t · vpost_{t−1}, vpost = v − m·s with the true m (docs/gradients.md §2, (2.5))
      const pv = ld(v + off - stride, scalar), ps = ld(spikes + off - stride, scalar);
      acc = f32x4.add(acc, f32x4.mul(d, f32x4.sub(pv, f32x4.mul(mTrue, ps))));
    }
  }
  // After the loop lam·nc_0 = dx_0.
  const dx0 = v128.and(lam, ncNext);
  st(dv0 + (<usize>n << 2), f32x4.mul(a, dx0), scalar);
  if (withAlpha) {
    acc = f32x4.add(acc, f32x4.mul(dx0, ld(v0 + (<usize>n << 2), scalar)));
    addLanesToParams(dAlpha, acc, n, P, scalar);
  }
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

/**
 * The general backward sweep: the zero reset (docs/gradients.md (5.2)) and/or the threshold gradient (6.1),
 * for either reset. Spikes are recomputed from v with the forward's ops. A plain 4-lane scan per neuron
 * group; the specialised row path above stays the subtractive reset's without dθ.
 */
function lifBwdExt4(gS: usize, gV: usize, v: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  dx: usize, dv0: usize, v0: usize, dAlpha: usize, dTheta: usize, T: i32, P: i32, exodus: bool, zero: bool,
  thetaReset: bool, maxSpikes: i32, kind: i32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32, n: i32,
  scalar: bool, gsStep: usize): void {
  const a = prm(alpha, n, P, scalar), th = prm(theta, n, P, scalar);
  const mTrue = prm(sub, n, P, scalar);
  // SLAYER detaches the reset from the spike (docs/gradients.md §4): its ∂ρ/∂s terms are multiplied by 0.
  const ex = f32x4.splat(exodus ? 1 : 0);
  const m = f32x4.mul(ex, mTrue);
  const lo = minV ? prm(minV, n, P, scalar) : f32x4.splat(-Infinity);
  const k1 = surrK1(kind, th, q0), k2 = surrK2(kind, th, q0, q1);
  const one = f32x4.splat(1);
  const cap = f32x4.splat(<f32>maxSpikes);
  const capped = maxSpikes > 0;
  const stride = <usize>ROW << 2;
  let dxNext = f32x4.splat(0);
  let accA = f32x4.splat(0);
  let accT = f32x4.splat(0);
  const withAlpha = dAlpha != 0, withTheta = dTheta != 0;
  let off = (<usize>(T - 1) * stride) + (<usize>n << 2);
  let goff = (<usize>(T - 1) * gsStep) + (<usize>n << 2);
  for (let t = T - 1; t >= 0; t--, off -= stride, goff -= gsStep) {
    const vt = ld(v + off, scalar);
    const sig = surrogate4(kind, vt, th, k1, k2, q0, q1, q2, q3, q4, q5);
    const g = ld(gS + goff, scalar);
    let y = f32x4.mul(sig, g);
    if (gV) y = f32x4.add(y, ld(gV + off, scalar));
    let d: v128;
    if (!zero) {
      // (3.3): dx_t = nc_t·(y_t + α(1 − mσ_t)·dx_{t+1})
      d = f32x4.add(y, f32x4.mul(f32x4.mul(a, f32x4.sub(one, f32x4.mul(m, sig))), dxNext));
      if (withTheta) {
        // (6.1): −σ_t·(g_s − α·m·dx_{t+1}), and −α·s_t·dx_{t+1} when m = θ
        accT = f32x4.sub(accT, f32x4.mul(sig, f32x4.sub(g, f32x4.mul(f32x4.mul(a, m), dxNext))));
        if (thetaReset) accT = f32x4.sub(accT, f32x4.mul(f32x4.mul(a, spikeOf(vt, th, cap, capped)), dxNext));
      }
    } else {
      // (5.2): dx_t = nc_t·(y_t + α(1 − s_t − v_t·σ_t)·dx_{t+1})
      const sv = spikeOf(vt, th, cap, capped);
      const vs = f32x4.mul(ex, f32x4.mul(vt, sig));
      d = f32x4.add(y, f32x4.mul(f32x4.mul(a, f32x4.sub(f32x4.sub(one, sv), vs)), dxNext));
      // (6.1) with ∂L/∂s_t = g_s − α·v_t·dx_{t+1}
      if (withTheta) accT = f32x4.sub(accT, f32x4.mul(sig, f32x4.sub(g, f32x4.mul(f32x4.mul(f32x4.mul(ex, a), vt), dxNext))));
    }
    dxNext = v128.and(d, f32x4.gt(vt, lo));
    st(dx + off, dxNext, scalar);
    if (withAlpha && t > 0) {
      // (2.5): dα += dx_t · vpost_{t−1} with the true reset
      const pv = ld(v + off - stride, scalar);
      const ps = spikeOf(pv, th, cap, capped);
      const post = zero ? f32x4.mul(pv, f32x4.sub(one, ps)) : f32x4.sub(pv, f32x4.mul(mTrue, ps));
      accA = f32x4.add(accA, f32x4.mul(dxNext, post));
    }
  }
  st(dv0 + (<usize>n << 2), f32x4.mul(a, dxNext), scalar);
  if (withAlpha) {
    accA = f32x4.add(accA, f32x4.mul(dxNext, ld(v0 + (<usize>n << 2), scalar)));
    addLanesToParams(dAlpha, accA, n, P, scalar);
  }
  if (withTheta) addLanesToParams(dTheta, accT, n, P, scalar);
}

/**
 * docs/gradients.md §3 EXODUS (exodus = 1) or §4 SLAYER (exodus = 0) backward scan. gV, minV, dAlpha = 0 when absent
 * (dAlpha needs spikes and v0). Surrogate `kind` and q0..q5 as in simd.ts surrogate4. scratch: lifScratchBytes().
 * maxSpikes as in the forward: the row path recomputes s_{t−1} from v_{t−1} (bit-identical to the forward's
 * spikes) instead of reading the spikes array. gsRow: 1 when gS is [T, ·] (row stride ld), 0 when gS is one
 * row of N values used at every step (LifBackwardAttrs.gSP, expanded to N by backend.ts).
 * zero = 1: the zero reset (docs/gradients.md §5). dTheta ([P], 0 when absent): the threshold gradient (§6),
 * with the reset's θ-path when thetaInReset = 1. Either runs the general sweep lifBwdExt4.
 */
export function lifBackward(gS: usize, gV: usize, v: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  dx: usize, dv0: usize, spikes: usize, v0: usize, dAlpha: usize, T: i32, N: i32, P: i32, exodus: i32,
  kind: i32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32, scratch: usize, maxSpikes: i32, ld: i32,
  gsRow: i32, zero: i32, dTheta: usize, thetaInReset: i32): void {
  ROW = ld > 0 ? ld : N;
  // gS's row step in bytes: a full [T, ·] array, or 0 for one row used at every step (gsRow == 0).
  const gsStep: usize = gsRow != 0 ? <usize>ROW << 2 : 0;
  if (dAlpha) memory.fill(dAlpha, 0, <usize>P << 2);
  if (dTheta) memory.fill(dTheta, 0, <usize>P << 2);
  if (T <= 0) {
    for (let n = 0; n < N; n++) store<f32>(dv0 + (<usize>n << 2), 0);
    return;
  }
  let n = 0;
  if (zero != 0 || dTheta != 0) {
    const ex = exodus != 0, zr = zero != 0, tr = thetaInReset != 0;
    // dα on this path needs only v0 (spikes are recomputed from v)
    const dA = v0 ? dAlpha : 0;
    for (; n + 4 <= N; n += 4)
      lifBwdExt4(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dA, dTheta, T, P, ex, zr, tr, maxSpikes, kind, q0, q1, q2, q3, q4, q5, n, false, gsStep);
    for (; n < N; n++)
      lifBwdExt4(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dA, dTheta, T, P, ex, zr, tr, maxSpikes, kind, q0, q1, q2, q3, q4, q5, n, true, gsStep);
    return;
  }
  if (P == 1 || (P & 3) == 0) {
    n = N & ~3;
    // One specialised copy per surrogate kind (type-encoded, see kindOf).
    const ex = exodus != 0;
    switch (kind) {
      case 0: lifBwdRows<u8>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep); break;
      case 1: lifBwdRows<u16>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep); break;
      case 2: lifBwdRows<u32>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep); break;
      case 3: lifBwdRows<u64>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep); break;
      default: lifBwdRows<i8>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep);
    }
  }
  for (; n + 4 <= N; n += 4)
    lifBwd4(gS, gV, v, alpha, theta, sub, minV, dx, dv0, spikes, v0, dAlpha, T, N, P, exodus != 0, kind, q0, q1, q2, q3, q4, q5, n, false, gsStep);
  for (; n < N; n++)
    lifBwd4(gS, gV, v, alpha, theta, sub, minV, dx, dv0, spikes, v0, dAlpha, T, N, P, exodus != 0, kind, q0, q1, q2, q3, q4, q5, n, true, gsStep);
}

/**
 * Scratch bytes the LIF scans need: one chunk row (W floats: the backward's dα partial sums, the forward's
 * zero row), then the interleaved parameter table (7 floats per neuron; one 4-lane entry when P = 1).
 */
export function lifScratchBytes(P: i32): usize {
  return (<usize>W << 2) + <usize>max(P, 4) * 28;
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

function leakyFwd4(x: usize, v0: usize, alpha: usize, y: usize, T: i32, N: i32, P: i32, n: i32, scalar: bool): void {
  const a = prm(alpha, n, P, scalar);
  let cur = ld(v0 + (<usize>n << 2), scalar);
  const stride = <usize>ROW << 2;
  let off = <usize>n << 2;
  for (let t = 0; t < T; t++, off += stride) {
    cur = f32x4.add(f32x4.mul(a, cur), ld(x + off, scalar)); // §10, rounded op by op like the ref
    st(y + off, cur, scalar);
  }
}

/** Row-streaming leaky forward (P == 1 or P % 4 == 0): y_{t−1} is read back from y, like lifFwdRows. */
// @ts-ignore: decorator
@inline function leakyFwdRows(x: usize, v0: usize, alpha: usize, y: usize, T: i32, N: i32, P: i32, N4: i32, uniform: bool): void {
  const aS = v128.load32_splat(alpha);
  const stride = <usize>ROW << 2;
  for (let n0 = 0; n0 < N4; n0 += W) {
    const n1 = min(N4, n0 + W);
    for (let t = 0; t < T; t++) {
      const row = <usize>t * stride;
      let q = uniform ? 0 : n0 % P;
      for (let n = n0; n < n1; n += 4) {
        const o = row + (<usize>n << 2);
        const prev = t == 0 ? v128.load(v0 + (<usize>n << 2)) : v128.load(y + o - stride);
        // §10, rounded op by op like the ref (no FMA)
        v128.store(y + o, f32x4.add(f32x4.mul(pv(alpha, q, uniform, aS), prev), v128.load(x + o)));
        if (!uniform) { q += 4; if (q >= P) q = 0; }
      }
    }
  }
}

/** Row-streaming leaky backward: g_{t+1} is dx_{t+1}, one row below; dα partial sums in scratch (W floats). */
// @ts-ignore: decorator
@inline function leakyBwdRows(gY: usize, alpha: usize, dx: usize, dv0: usize, y: usize, v0: usize, dAlpha: usize,
  T: i32, N: i32, P: i32, N4: i32, scratch: usize, uniform: bool): void {
  const aS = v128.load32_splat(alpha);
  const stride = <usize>ROW << 2;
  const withAlpha = dAlpha != 0;
  for (let n0 = 0; n0 < N4; n0 += W) {
    const n1 = min(N4, n0 + W);
    if (withAlpha) memory.fill(scratch, 0, <usize>W << 2);
    for (let t = T - 1; t >= 0; t--) {
      const row = <usize>t * stride;
      let q = uniform ? 0 : n0 % P;
      for (let n = n0; n < n1; n += 4) {
        const o = row + (<usize>n << 2);
        const a = pv(alpha, q, uniform, aS);
        let g = v128.load(gY + o);
        if (t < T - 1) g = f32x4.add(g, f32x4.mul(a, v128.load(dx + o + stride))); // g_t = gY_t + α·g_{t+1}
        v128.store(dx + o, g);
        if (withAlpha) {
          const prev = t > 0 ? v128.load(y + o - stride) : v128.load(v0 + (<usize>n << 2));
          const so = scratch + (<usize>(n - n0) << 2);
          v128.store(so, f32x4.add(v128.load(so), f32x4.mul(g, prev)));
        }
        if (t == 0) v128.store(dv0 + (<usize>n << 2), f32x4.mul(a, g));
        if (!uniform) { q += 4; if (q >= P) q = 0; }
      }
    }
    if (withAlpha) {
      for (let n = n0; n < n1; n++) {
        const pa = dAlpha + (<usize>(n % P) << 2);
        store<f32>(pa, load<f32>(pa) + load<f32>(scratch + (<usize>(n - n0) << 2)));
      }
    }
  }
}

/** docs/gradients.md §10: y_t = α·y_{t−1} + x_t, y_{−1} = v0. */
export function leakyForward(x: usize, v0: usize, alpha: usize, y: usize, T: i32, N: i32, P: i32, ld: i32): void {
  ROW = ld > 0 ? ld : N;
  let n = 0;
  if (P == 1 || (P & 3) == 0) {
    n = N & ~3;
    if (P == 1) leakyFwdRows(x, v0, alpha, y, T, N, P, n, true);
    else leakyFwdRows(x, v0, alpha, y, T, N, P, n, false);
  }
  for (; n + 4 <= N; n += 4) leakyFwd4(x, v0, alpha, y, T, N, P, n, false);
  for (; n < N; n++) leakyFwd4(x, v0, alpha, y, T, N, P, n, true);
}

function leakyBwd4(gY: usize, alpha: usize, dx: usize, dv0: usize, y: usize, v0: usize, dAlpha: usize,
  T: i32, N: i32, P: i32, n: i32, scalar: bool): void {
  const a = prm(alpha, n, P, scalar);
  const stride = <usize>ROW << 2;
  let g = f32x4.splat(0);
  let acc = f32x4.splat(0);
  const withAlpha = dAlpha != 0;
  let off = (<usize>(T - 1) * stride) + (<usize>n << 2);
  for (let t = T - 1; t >= 0; t--, off -= stride) {
    g = f32x4.add(ld(gY + off, scalar), f32x4.mul(a, g)); // (10.1), the adjoint of the scan
    st(dx + off, g, scalar);
    if (withAlpha) {
      const prev = t > 0 ? ld(y + off - stride, scalar) : ld(v0 + (<usize>n << 2), scalar);
      acc = f32x4.add(acc, f32x4.mul(g, prev));
    }
  }
  st(dv0 + (<usize>n << 2), f32x4.mul(a, g), scalar);
  if (withAlpha) {
    addLanesToParams(dAlpha, acc, n, P, scalar);
  }
}

/**
 * g_t = α·g_{t+1} + gY_t; dx = g; dv0 = α·g_0; dα_p = Σ g_t·y_{t−1}. y, v0, dAlpha = 0 when absent.
 * scratch: lifScratchBytes(P).
 */
export function leakyBackward(gY: usize, alpha: usize, dx: usize, dv0: usize, y: usize, v0: usize, dAlpha: usize,
  T: i32, N: i32, P: i32, scratch: usize, ld: i32): void {
  ROW = ld > 0 ? ld : N;
  if (dAlpha) memory.fill(dAlpha, 0, <usize>P << 2);
  if (T <= 0) {
    for (let n = 0; n < N; n++) store<f32>(dv0 + (<usize>n << 2), 0);
    return;
  }
  let n = 0;
  if (P == 1 || (P & 3) == 0) {
    n = N & ~3;
    if (P == 1) leakyBwdRows(gY, alpha, dx, dv0, y, v0, dAlpha, T, N, P, n, scratch, true);
    else leakyBwdRows(gY, alpha, dx, dv0, y, v0, dAlpha, T, N, P, n, scratch, false);
  }
  for (; n + 4 <= N; n += 4) leakyBwd4(gY, alpha, dx, dv0, y, v0, dAlpha, T, N, P, n, false);
  for (; n < N; n++) leakyBwd4(gY, alpha, dx, dv0, y, v0, dAlpha, T, N, P, n, true);
}
