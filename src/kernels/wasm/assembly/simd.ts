// Shared SIMD helpers for the wasm kernels (AssemblyScript): FMA selection, per-neuron parameter loads,
// a vector exp, and the surrogate derivatives of docs/gradients.md §9 over 4 lanes. Imported by the kernel files only.
// FMA is used in gemm-like code only; the LIF/leaky forward scans must round after every op (see lif-forward.ts, leaky.ts).

/** c + a·b: fused (one rounding) in the relaxed build, mul then add in the plain build. */
// @ts-ignore: decorator
@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Lanes n..n+3 of a per-neuron parameter of length P, read at (n+l) % P (n is a multiple of 4). */
// @ts-ignore: decorator
@inline export function param4(ptr: usize, n: i32, P: i32): v128 {
  if (P == 1) return v128.load32_splat(ptr);
  const q = n % P;
  if ((P & 3) == 0) return v128.load(ptr + (<usize>q << 2));
  let v = f32x4.splat(load<f32>(ptr + (<usize>q << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(ptr + (<usize>((n + 1) % P) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(ptr + (<usize>((n + 2) % P) << 2)));
  v = f32x4.replace_lane(v, 3, load<f32>(ptr + (<usize>((n + 3) % P) << 2)));
  return v;
}

// exp2x4's constants as a static table of splatted vectors: V8 rebuilds every v128.const inside a loop from
// immediates (several instructions each); a load from this L1-resident table is one.
const EXPC: usize = memory.data<f32>([
  -126.0, -126.0, -126.0, -126.0,
  12583039.0, 12583039.0, 12583039.0, 12583039.0,
  1.3276471e-3, 1.3276471e-3, 1.3276471e-3, 1.3276471e-3,
  9.6755419e-3, 9.6755419e-3, 9.6755419e-3, 9.6755419e-3,
  5.5507131e-2, 5.5507131e-2, 5.5507131e-2, 5.5507131e-2,
  2.4022120e-1, 2.4022120e-1, 2.4022120e-1, 2.4022120e-1,
  6.9314694e-1, 6.9314694e-1, 6.9314694e-1, 6.9314694e-1,
  1.0000001, 1.0000001, 1.0000001, 1.0000001,
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341,
], 16);
// @ts-ignore: decorator
@inline function kc(i: i32): v128 {
  return v128.load(EXPC + (<usize>i << 4));
}

const ABSM: usize = memory.data<i32>([0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff], 16);
/** |x| with the sign mask loaded from static data (V8 rebuilds f32x4.abs's mask with two ops per use). */
// @ts-ignore: decorator
@inline export function abs4(x: v128): v128 {
  return v128.and(x, v128.load(ABSM));
}

/** log2(e): exp(x) = 2^(x·log2 e). */
export const LOG2E: f32 = 1.44269504088896341;

/**
 * 2^t for 4 lanes with t ≤ 0 (the surrogates of docs/gradients.md §9 only take exp of non-positive arguments): one
 * rounding step t = n + f, |f| ≤ ½, and a degree-5 minimax polynomial for 2^f (≤ 2.4e−7 relative error in
 * f32; the surrogate only feeds gradients, never the bit-exact forward scans). Below −126 the result is
 * clamped to 2^−126 instead of flushing to 0; NaN propagates.
 */
// @ts-ignore: decorator
@inline export function exp2x4(t: v128): v128 {
  // pmax is one instruction on x64 (max with wasm NaN rules is not); NaN still propagates.
  t = f32x4.pmax(t, kc(0));
  // Adding 1.5·2²³ + 127 rounds t to an integer n (ties to even) and leaves n + 127 in the low mantissa
  // bits of m, so m << 23 is the bit pattern of 2ⁿ (the magic number's own bits shift out).
  const m = f32x4.add(t, kc(1));
  const f = f32x4.sub(t, f32x4.sub(m, kc(1)));
  // Horner: fewest ops; the chain's latency hides behind neighbouring iterations (independent lanes).
  let p = fma(kc(2), f, kc(3));
  p = fma(p, f, kc(4));
  p = fma(p, f, kc(5));
  p = fma(p, f, kc(6));
  p = fma(p, f, kc(7));
  return f32x4.mul(p, i32x4.shl(m, 23));
}

/** e^x for 4 lanes with x ≤ 0: exp2x4(x·log2 e). */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  return exp2x4(f32x4.mul(x, kc(8)));
}

// Surrogate kinds (same order as surrogateArgs in ../abi.ts).
export const S_SINGLE_EXP: i32 = 0;
export const S_PERIODIC_EXP: i32 = 1;
export const S_HEAVISIDE: i32 = 2;
export const S_GAUSSIAN: i32 = 3;
export const S_MULTI_GAUSSIAN: i32 = 4;

/*
 * Surrogate parameters q0..q5 as prepared by ../abi.ts surrogateArgs (divisions done once, in f64):
 *   SingleExponential (gradWidth, gradScale) · PeriodicExponential (−1/gradWidth, gradScale) · Heaviside (window)
 *   Gaussian (mu, 1/sigma, gradScale/(√2π·sigma))
 *   MultiGaussian (mu, 1/sigma, (1+h)·gradScale/(√2π·sigma), sigma, 1/(s·sigma), h·gradScale/(√2π·s·sigma))
 * Per-θ coefficients k1, k2 (surrK1/surrK2) are computed once per neuron, outside the time loop.
 */

/** First θ-dependent coefficient: SE −log2(e)/(θ·w) · PE 1/θ · Heaviside θ − window. */
// @ts-ignore: decorator
@inline export function surrK1(kind: i32, th: v128, q0: f32): v128 {
  if (kind == S_SINGLE_EXP) return f32x4.div(f32x4.splat(-LOG2E), f32x4.mul(th, f32x4.splat(q0)));
  if (kind == S_PERIODIC_EXP) return f32x4.div(f32x4.splat(1), th);
  if (kind == S_HEAVISIDE) return f32x4.sub(th, f32x4.splat(q0));
  return f32x4.splat(0);
}

/** Second θ-dependent coefficient: SE gradScale/(θ·w) · Heaviside 1/θ. */
// @ts-ignore: decorator
@inline export function surrK2(kind: i32, th: v128, q0: f32, q1: f32): v128 {
  if (kind == S_SINGLE_EXP) return f32x4.div(f32x4.splat(q1), f32x4.mul(th, f32x4.splat(q0)));
  if (kind == S_HEAVISIDE) return f32x4.div(f32x4.splat(1), th);
  return f32x4.splat(0);
}

// @ts-ignore: decorator
@inline function gauss4(x: v128, mu: f32, invSigma: f32, coef: f32): v128 {
  const z = f32x4.mul(f32x4.sub(x, f32x4.splat(mu)), f32x4.splat(invSigma));
  return f32x4.mul(exp4(f32x4.mul(f32x4.mul(z, z), f32x4.splat(-0.5))), f32x4.splat(coef));
}

/** σ(v, θ) of docs/gradients.md §9 for 4 lanes, given k1 = surrK1(θ), k2 = surrK2(θ). */
// @ts-ignore: decorator
@inline export function surrogate4(kind: i32, v: v128, th: v128, k1: v128, k2: v128,
  q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32): v128 {
  if (kind == S_SINGLE_EXP) {
    // (gradScale/w)·exp(−|v − θ|/w) = k2·2^(|v − θ|·k1), w = θ·gradWidth
    return f32x4.mul(k2, exp2x4(f32x4.mul(abs4(f32x4.sub(v, th)), k1)));
  }
  if (kind == S_PERIODIC_EXP) {
    // r = v/θ − ½; z = v < θ ? v − θ : θ·(2·frac(r) − 1); gradScale·exp(−|z|/gradWidth)
    const r = f32x4.sub(f32x4.mul(v, k1), f32x4.splat(0.5));
    const fr = f32x4.sub(r, f32x4.floor(r));
    const p = f32x4.mul(th, f32x4.sub(f32x4.add(fr, fr), f32x4.splat(1.0)));
    const z = v128.bitselect(f32x4.sub(v, th), p, f32x4.lt(v, th));
    return f32x4.mul(f32x4.splat(q1), exp4(f32x4.mul(abs4(z), f32x4.splat(q0))));
  }
  if (kind == S_HEAVISIDE) return v128.and(k2, f32x4.ge(v, k1)); // 1/θ where v ≥ θ − window
  const x = f32x4.sub(v, th);
  if (kind == S_GAUSSIAN) return gauss4(x, q0, q1, q2);
  // MultiGaussian: (1+h)·N(x; mu, σ) − h·N(x; σ, sσ) − h·N(x; −σ, sσ), all times gradScale
  const g0 = gauss4(x, q0, q1, q2);
  const g1 = gauss4(x, q3, q4, q5);
  const g2 = gauss4(x, -q3, q4, q5);
  return f32x4.sub(f32x4.sub(g0, g1), g2);
}
