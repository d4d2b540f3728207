// Row-streaming EXODUS / SLAYER backward (docs/gradients.md §3, §4) with the α-gradient (§2) for
// P == 1 or P % 4 == 0, the subtractive reset without dθ: time outer (reversed, two rows per pass), chunks of
// W neurons inner, SIMD lanes across 4 neighbouring neurons; the hot loops are specialised with compile-time
// flags (type parameters) so they carry no branches. Called from lif-backward.ts. May fuse multiply-add
// (relaxed build).
import { fma, surrK1, surrK2, surrogate4 } from "./simd";
import { ROW, W, on, singleSpikeExact, spikeOf } from "./scan";

/** Surrogate kind encoded as a type, so it is a compile-time constant: u8 SE, u16 PE, u32 HV, u64 G, i8 MG. */
// @ts-ignore: decorator
@inline function kindOf<K>(): i32 {
  return sizeof<K>() == 1 ? (isSigned<K>() ? 4 : 0) : sizeof<K>() == 2 ? 1 : sizeof<K>() == 4 ? 2 : 3;
}

/** The backward's dα mode as a type: u16 off, u8 on, u32 on with single spikes (see spikeMode in lif-forward.ts). */
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
 * single: the forward's division-free single-spike value 1[v ≥ θ] (spikeMode, lif-forward.ts).
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
export function lifBwdRows<K>(gS: usize, gV: usize, v: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
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
