// Shared pieces of the neuron scans (lif-forward.ts, lif-backward.ts, leaky.ts): the row stride of the
// current call, 4-lane / scalar-tail loads and stores, per-parameter α-gradient sums, the spike function of
// docs/gradients.md §1 (1.3) and the scratch size every scan is given. Layout [T, N] time-major, parameters
// [P] read at n % P. Tails (N % 4) reuse the vector code on a splatted lane 0 (`scalar`).
import { param4 } from "./simd";

// Row stride (floats) of the [T, ·] arrays for the current call: N, or the full row when ../parallel.ts hands a
// thread a column block [n0, n0 + N) of a wider array. Globals are per instance, so per thread.
export let ROW: i32 = 0;

/** Sets ROW for this call: `ld` when given (a thread's column block of a wider array), else N. */
// @ts-ignore: decorator
@inline export function setRow(ld: i32, N: i32): void {
  ROW = ld > 0 ? ld : N;
}

// @ts-ignore: decorator
@inline export function ld(p: usize, scalar: bool): v128 {
  return scalar ? v128.load32_splat(p) : v128.load(p);
}
// @ts-ignore: decorator
@inline export function st(p: usize, v: v128, scalar: bool): void {
  if (scalar) store<f32>(p, f32x4.extract_lane(v, 0));
  else v128.store(p, v);
}
// @ts-ignore: decorator
@inline export function prm(ptr: usize, n: i32, P: i32, scalar: bool): v128 {
  return scalar ? v128.load32_splat(ptr + (<usize>(n % P) << 2)) : param4(ptr, n, P);
}

/** dAlpha[(n + l) % P] += acc[l] for the 4 lanes (1 in the scalar tail): per-row α-gradients summed per parameter. */
// @ts-ignore: decorator
@inline export function addLanesToParams(dAlpha: usize, acc: v128, n: i32, P: i32, scalar: bool): void {
  const lanes = scalar ? 1 : 4;
  for (let l = 0; l < lanes; l++) {
    const pa = dAlpha + (<usize>((n + l) % P) << 2);
    const val = l == 0 ? f32x4.extract_lane(acc, 0) : l == 1 ? f32x4.extract_lane(acc, 1)
      : l == 2 ? f32x4.extract_lane(acc, 2) : f32x4.extract_lane(acc, 3);
    store<f32>(pa, load<f32>(pa) + val);
  }
}

/** §1 (1.3): s_t = min(⌊v_t/θ⌋, cap)·1[v_t ≥ θ]. */
// @ts-ignore: decorator
@inline export function spikeOf(cur: v128, th: v128, cap: v128, capped: bool): v128 {
  const k = v128.and(f32x4.trunc(f32x4.div(cur, th)), f32x4.ge(cur, th));
  // pmin(k, cap) = cap < k ? cap : k: one minps on x86, where min's NaN/−0 rules cost a sequence; equal here
  // (cap ≥ 1 is never NaN or ±0, and a NaN k stays NaN either way).
  return capped ? f32x4.pmin(k, cap) : k;
}

/** Neurons per chunk of the row-streaming scans: a chunk row is 64 KiB per array (the few rows in flight stay
 * in L2) and long enough for the hardware prefetcher; 256 and 1024 measured slower than 4096, 16384 ≈ 7%
 * faster than 4096 at T = 500, N = 65536 (two rows per pass). */
export const W = 16384;

/** A flag encoded as a type (u8 = on, u16 = off), so it is a compile-time constant of the specialised copy. */
// @ts-ignore: decorator
@inline export function on<B>(): bool {
  return sizeof<B>() == 1;
}

/** Whether spikeMode's (lif-forward.ts) single-spike shortcut is exact for this call: cap 1 and every θ[0..P) in (0, ∞). */
export function singleSpikeExact(maxSpikes: i32, theta: usize, P: i32): bool {
  if (maxSpikes != 1) return false;
  for (let p = 0; p < P; p++) {
    const th = load<f32>(theta + (<usize>p << 2));
    if (!(th > 0 && th < Infinity)) return false;
  }
  return true;
}

/**
 * Scratch bytes the LIF scans need: one chunk row (W floats: the backward's dα partial sums, the forward's
 * zero row), then the interleaved parameter table (7 floats per neuron; one 4-lane entry when P = 1).
 */
export function lifScratchBytes(P: i32): usize {
  return (<usize>W << 2) + <usize>max(P, 4) * 28;
}
