// Shared SIMD helpers for the wasm kernels (AssemblyScript): FMA selection, per-neuron parameter loads,
// a vector exp, and the surrogate derivatives of spec §1.4 over 4 lanes. Imported by the kernel files only.
// FMA is used in gemm-like code only; the LIF/leaky forward scans must round after every op (see lif.ts).

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

/** e^x for 4 lanes (Cephes expf polynomial, ≈1–2 ulp); inputs clamped to the normal range. */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.7));
  const fx = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, r), r), r), f32x4.splat(1.0));
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return f32x4.mul(y, e);
}

// Surrogate kinds (same order as SURROGATE_KIND in backend.ts).
export const S_SINGLE_EXP: i32 = 0;
export const S_PERIODIC_EXP: i32 = 1;
export const S_HEAVISIDE: i32 = 2;
export const S_GAUSSIAN: i32 = 3;
export const S_MULTI_GAUSSIAN: i32 = 4;

const INV_SQRT_2PI: f32 = 0.3989422804014327;

// @ts-ignore: decorator
@inline function normalPdf4(x: v128, mu: f32, sigma: f32): v128 {
  const z = f32x4.mul(f32x4.sub(x, f32x4.splat(mu)), f32x4.splat(<f32>1.0 / sigma));
  const e = exp4(f32x4.mul(f32x4.mul(z, z), f32x4.splat(-0.5)));
  return f32x4.mul(e, f32x4.splat(INV_SQRT_2PI / sigma));
}

/**
 * σ(v, θ) of spec §1.4 for 4 lanes. p0..p4 are the surrogate's parameters in the order of SurrogateSpec:
 * SingleExponential/PeriodicExponential (gradWidth, gradScale), Heaviside (window), Gaussian (mu, sigma,
 * gradScale), MultiGaussian (mu, sigma, h, s, gradScale).
 */
// @ts-ignore: decorator
@inline export function surrogate4(kind: i32, v: v128, th: v128, p0: f32, p1: f32, p2: f32, p3: f32, p4: f32): v128 {
  if (kind == S_SINGLE_EXP) {
    const w = f32x4.mul(th, f32x4.splat(p0));
    const e = exp4(f32x4.div(f32x4.neg(f32x4.abs(f32x4.sub(v, th))), w));
    return f32x4.mul(f32x4.div(f32x4.splat(p1), w), e);
  }
  if (kind == S_PERIODIC_EXP) {
    const r = f32x4.sub(f32x4.div(v, th), f32x4.splat(0.5));
    const fr = f32x4.sub(r, f32x4.floor(r));
    const p = f32x4.mul(th, f32x4.sub(f32x4.add(fr, fr), f32x4.splat(1.0)));
    const z = v128.bitselect(f32x4.sub(v, th), p, f32x4.lt(v, th));
    return f32x4.mul(f32x4.splat(p1), exp4(f32x4.div(f32x4.neg(f32x4.abs(z)), f32x4.splat(p0))));
  }
  if (kind == S_HEAVISIDE) {
    const on = f32x4.ge(v, f32x4.sub(th, f32x4.splat(p0)));
    return v128.and(f32x4.div(f32x4.splat(1.0), th), on);
  }
  const x = f32x4.sub(v, th);
  if (kind == S_GAUSSIAN) return f32x4.mul(f32x4.splat(p2), normalPdf4(x, p0, p1));
  // MultiGaussian
  const g0 = f32x4.mul(normalPdf4(x, p0, p1), f32x4.splat(<f32>1.0 + p2));
  const g1 = f32x4.mul(normalPdf4(x, p1, p3 * p1), f32x4.splat(p2));
  const g2 = f32x4.mul(normalPdf4(x, -p1, p3 * p1), f32x4.splat(p2));
  return f32x4.mul(f32x4.splat(p4), f32x4.sub(f32x4.sub(g0, g1), g2));
}
