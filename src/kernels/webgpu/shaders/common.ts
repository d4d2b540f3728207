/**
 * Pieces shared by every WGSL kernel: the bindings header, the uniform parameter block, the 2-D global
 * index (WebGPU caps a dispatch at 65535 workgroups per dimension, so large 1-D launches use x·y groups),
 * the `opq` barrier against FMA contraction (ref rounds after every op, so the forward scans are
 * bit-equal: docs/gradients.md §11), and the surrogate derivatives of docs/gradients.md §9.
 */
import type { SurrogateSpec } from "../../contract.js";

/** Invocations per workgroup for 1-D kernels. */
export const WG = 256;
/** Bytes per dispatch's parameter slot (= minUniformBufferOffsetAlignment upper bound). */
export const PARAM_SLOT_BYTES = 256;
export const PARAM_WORDS = PARAM_SLOT_BYTES / 4;

/** A storage binding of a kernel: its WGSL name and whether the kernel writes it. */
export interface BindingDecl { name: string; write: boolean }

/**
 * Header for a kernel: storage bindings 0..k−1 (array<f32>), the parameter block at binding k.
 * Word 0 of the block is always 0 (used by `opq`); kernel parameters start at word 1.
 */
export function header(bindings: readonly BindingDecl[]): string {
  const decls = bindings
    .map((b, i) => `@group(0) @binding(${i}) var<storage, ${b.write ? "read_write" : "read"}> ${b.name}: array<f32>;`)
    .join("\n");
  return `${decls}
struct Params { d: array<vec4<u32>, ${PARAM_WORDS / 4}> }
@group(0) @binding(${bindings.length}) var<uniform> prm: Params;
fn pu(i: u32) -> u32 { return prm.d[i / 4u][i % 4u]; }
fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }
// Opaque identity: xor with a uniform zero so the compiler cannot fuse a*b+c into an fma.
fn opq(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ pu(0u)); }
fn isnan_(x: f32) -> bool { let b = bitcast<u32>(x); return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu) != 0u; }
fn nonfinite_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u; }
fn nan_() -> f32 { return bitcast<f32>(0x7fc00000u ^ pu(0u)); }  // runtime value: NaN/Inf are not constants in WGSL
fn inf_() -> f32 { return bitcast<f32>(0x7f800000u ^ pu(0u)); }
`;
}

/** Entry point of a 1-D kernel with a flattened 2-D grid; `gi` is the global invocation index. */
export const MAIN_1D = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let gi = (wid.x + wid.y * nwg.x) * ${WG}u + lid;`;

/** Spike count (docs/gradients.md §1): s = min(⌊v/θ⌋, cap)·1[v ≥ θ] (cap 0 = unlimited). */
export const SPIKE_FN = `
fn spikeCount(v: f32, th: f32, cap: u32) -> f32 {
  if (!(v >= th)) { return 0.0; }
  // f32 division on GPUs is not always correctly rounded; v ≥ θ guarantees at least one spike.
  var k = max(trunc(v / th), 1.0);
  if (cap > 0u && k > f32(cap)) { k = f32(cap); }
  return k;
}`;

/** Number of parameter words a surrogate uses. */
export const SURR_WORDS = 5;

/** WGSL `surr(v, θ)`: surrogate σ of docs/gradients.md §9, parameters read at words base..base+4. */
export function surrogateWgsl(s: SurrogateSpec, base: number): string {
  const q = (i: number) => `pf(${base + i}u)`;
  const npdf = `
fn npdf(x: f32, mu: f32, sigma: f32) -> f32 {
  let z = (x - mu) / sigma;
  return (0.3989422804014327 / sigma) * exp(-0.5 * z * z);
}`;
  switch (s.type) {
    case "SingleExponential":
      return `fn surr(v: f32, th: f32) -> f32 { let w = th * ${q(0)}; return (${q(1)} / w) * exp(-abs(v - th) / w); }`;
    case "PeriodicExponential":
      return `fn surr(v: f32, th: f32) -> f32 {
  let r = v / th - 0.5;
  let p = th * (2.0 * (r - floor(r)) - 1.0);
  let z = select(p, v - th, v < th);
  return ${q(1)} * exp(-abs(z) / ${q(0)});
}`;
    case "Heaviside":
      return `fn surr(v: f32, th: f32) -> f32 { return select(0.0, 1.0 / th, v >= th - ${q(0)}); }`;
    case "Gaussian":
      return `${npdf}
fn surr(v: f32, th: f32) -> f32 { return ${q(2)} * npdf(v - th, ${q(0)}, ${q(1)}); }`;
    case "MultiGaussian":
      return `${npdf}
fn surr(v: f32, th: f32) -> f32 {
  let x = v - th; let mu = ${q(0)}; let sg = ${q(1)}; let h = ${q(2)}; let s = ${q(3)};
  return ${q(4)} * ((1.0 + h) * npdf(x, mu, sg) - h * npdf(x, sg, s * sg) - h * npdf(x, -sg, s * sg));
}`;
  }
}

/** Parameter words for a surrogate (floats), in the order `surrogateWgsl` reads them. */
export function surrogateParams(s: SurrogateSpec): number[] {
  switch (s.type) {
    case "SingleExponential":
    case "PeriodicExponential":
      return [s.gradWidth, s.gradScale, 0, 0, 0];
    case "Heaviside":
      return [s.window, 0, 0, 0, 0];
    case "Gaussian":
      return [s.mu, s.sigma, s.gradScale, 0, 0];
    case "MultiGaussian":
      return [s.mu, s.sigma, s.h, s.s, s.gradScale];
  }
}
