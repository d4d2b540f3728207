/**
 * The kernel conformance case table: every kernel of src/kernels/contract.ts on random float32 inputs at awkward
 * sizes (1, 3, 17, 1023, off the SIMD width, the gemm blocks, the WGSL workgroups and the 4096-neuron scan
 * chunks), each case with the tolerance it is held to against the ref oracle (ref sums and recurses in float64).
 * conformance.test.ts runs the table on every backend that is available (wasm variants, WebGPU where an adapter
 * exists), so a new kernel needs one row here, not one per backend.
 *
 * Inputs come from one seed (EXODUS_SEED, printed by the runner); each family draws from its own stream
 * (seed + family salt), so a family reproduces alone.
 */
import type { KernelName, SurrogateSpec, UnaryOp, BinaryOp } from "../../src/kernels/contract.js";
import { RefBackend } from "../../src/kernels/ref/backend.js";
import { Rng } from "../../src/util/rng.js";

/**
 * The one tolerance vocabulary (float32 results against ref). "exact": equal as numbers (NaN = NaN, −0 = +0,
 * infinities equal). Else |got − ref| ≤ atol + atolRel·max|ref| + rtol·|ref| (max over the finite ref values);
 * a non-finite ref value must be matched exactly.
 */
export type Tol = "exact" | {
  rtol: number; atolRel: number; atol?: number;
  /** Where ref is ±Inf or NaN, accept any value (WGSL leaves the built-ins' Inf/NaN results indeterminate). */
  nonFiniteAny?: boolean;
};
/** One Tol for every output buffer, or one per buffer name (a buffer not named is compared exactly). */
export type TolSpec = Tol | Record<string, Tol>;
/** The backends the table runs on besides ref; a case may name a looser tolerance for one of them. */
export type BackendKind = "wasm" | "webgpu";

export const EXACT: Tol = "exact";
/**
 * Tolerance for a result summed over L float32 terms of O(1) inputs (ref sums in f64): relative to the largest
 * output, plus the f32 summation bound L·2⁻²⁴ for outputs that cancel to near zero.
 */
export const sumTol = (L: number): Tol => ({ rtol: 1e-5, atolRel: 2e-7 * Math.max(8, L), atol: 6e-8 * L });
export const ULP: Tol = { rtol: 1e-6, atolRel: 1e-7 };
/** WGSL's exp/log/pow/division are a few ulp (not correctly rounded like the CPU backends). */
const GPU_ULP = { rtol: 1e-5, atolRel: 1e-6 } as const satisfies Tol;
/** log(x) near x = 1 is near 0 with an absolute error of about ulp(x): WGSL's log is accurate to absolute 2^-21. */
const GPU_LOG: Tol = { rtol: 1e-5, atolRel: 1e-6, atol: 5e-7 };
/** Reverse scans accumulate over T in float32 (ref: float64). Measured ≈ 1e-7…8e-7 of max|ref| on wasm (T = 200). */
const SCAN: Tol = { rtol: 1e-4, atolRel: 1e-5 };
/** dα / dθ sum T·N/P terms of both signs: the error is relative to the terms, not the (cancelling) sum. */
const paramSum = (T: number, N: number, P: number): Tol => ({ rtol: 1e-4, atolRel: 1e-5, atol: 1e-7 * ((T * N) / P) });
/**
 * …and on WebGPU, whose reductions over the neuron columns run in another order: 1e-4 of the largest, plus the
 * term-count floor for a lone cancelling sum (P = 1, T·N = 51: 3.7e-4 off by 2.1e-7 in float32).
 */
const gpuParam = (T: number, N: number, P: number): Tol => ({ rtol: 1e-4, atolRel: 1e-4, atol: 1e-7 * ((T * N) / P) });

export interface Case {
  name: string;
  kernel: KernelName;
  /** Inputs (uploaded to both backends) and in/out buffers given initial contents. */
  inputs: Record<string, Float32Array>;
  /** Output buffers: name → length (initialised with the same garbage on both sides). */
  outputs: Record<string, number>;
  attrs: unknown;
  tol: TolSpec;
  /** A looser tolerance on one backend, with the reason in a comment where it is set. */
  tolOn?: Partial<Record<BackendKind, TolSpec>>;
  /** Backends this case is known to fail on, each with the reason; the runner prints them, it does not hide them. */
  knownGapOn?: Partial<Record<BackendKind, string>>;
}

/** A group of cases run as one subtest. */
export interface Family {
  name: string;
  make: () => Case[];
  /** The wasm "simd" variant differs from "auto" only in these (gemm, conv): the runner skips the rest there. */
  variantSensitive?: boolean;
  /** Spike-sparse kernels: the runner forces wasm's sparse path even at high density so it is tested. */
  sparse?: boolean;
  /** A check on the ref outputs of the whole family (that the inputs exercise what the family claims). */
  check?: (refOutputs: Record<string, Float32Array>[]) => string | undefined;
}

/** The stream the case generators draw from; set per family by casesOf. */
let rng = new Rng(1);

/** The cases of one family for a seed: the same seed gives the same inputs on every backend and every run. */
export function casesOf(family: Family, seed: number): Case[] {
  let salt = 0;
  for (const ch of family.name) salt = (Math.imul(salt, 31) + ch.charCodeAt(0)) >>> 0;
  rng = new Rng((seed + Math.imul(salt, 0x9e3779b1)) >>> 0);
  return family.make();
}

/** A case's tolerance for output `key` on backend `kind`. */
export function tolFor(c: Case, kind: BackendKind, key: string): Tol {
  const spec = c.tolOn?.[kind] ?? c.tol;
  return typeof spec === "string" || "rtol" in spec ? (spec as Tol) : (spec as Record<string, Tol>)[key] ?? EXACT;
}

/** "" when `got` matches `want` within `tol`, else the first mismatch and how many there are. */
export function compare(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol): string {
  if (got.length !== want.length) return `${label}: got ${got.length} values, want ${want.length}`;
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i]!)) maxAbs = Math.max(maxAbs, Math.abs(want[i]!));
  let bad = 0, first = -1, firstMsg = "";
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    let ok: boolean, bound = 0;
    if (!Number.isFinite(b) && tol !== "exact" && tol.nonFiniteAny) ok = true;
    else if (Number.isNaN(a) || Number.isNaN(b)) ok = Number.isNaN(a) && Number.isNaN(b);
    else if (tol === "exact" || !Number.isFinite(b)) ok = a === b;
    else {
      bound = (tol.atol ?? 0) + tol.atolRel * Math.max(maxAbs, 1e-30) + tol.rtol * Math.abs(b);
      ok = Math.abs(a - b) <= bound;
    }
    if (!ok) {
      if (bad++ === 0) {
        first = i;
        firstMsg = tol === "exact" || bound === 0 ? "(exact expected)" : `|diff| ${Math.abs(a - b)} > ${bound}`;
      }
    }
  }
  return bad === 0 ? "" : `${label}: ${bad}/${want.length} differ; first [${first}]: got ${got[first]} ref ${want[first]} ${firstMsg}`;
}

const rand = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
/** Normal samples scale·z + shift. */
const randn = (n: number, scale = 1, shift = 0): Float32Array => Float32Array.from({ length: n }, () => shift + scale * rng.normal());
const spikes = (n: number, density: number): Float32Array =>
  Float32Array.from({ length: n }, () => (rng.random() < density ? 1 : 0));
/** Garbage for output buffers (a kernel must write all of an output). */
export const garbage = (n: number): Float32Array => rand(n, -9, 9);

// ---------------------------------------------------------------------------------------------------------
// The case table, one generator per kernel family

function gemmCases(): Case[] {
  const out: Case[] = [];
  const shapes: [number, number, number][] = [
    [1, 1, 1], [3, 17, 5], [17, 3, 1023], [33, 65, 130], [130, 9, 300], [5, 2050, 7], [4, 8, 257],
    [3, 17, 1], [70, 65, 33], [1023, 3, 17], [130, 129, 64], // the WGSL tiles' edges
  ];
  let i = 0;
  for (const [m, n, k] of shapes)
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        const accumulate = i % 2 === 1;
        const alpha = i % 3 === 0 ? undefined : 0.75;
        i++;
        out.push({
          name: `gemm ${m}x${n}x${k} tA=${transA} tB=${transB} acc=${accumulate} alpha=${alpha ?? 1}`,
          kernel: "gemm",
          inputs: { a: rand(m * k), b: rand(k * n), ...(accumulate ? { c: rand(m * n) } : {}) },
          outputs: accumulate ? {} : { c: m * n },
          attrs: { m, n, k, transA, transB, accumulate, alpha },
          // WebGPU: the old webgpu suite's bound, √k against the largest output (tighter than sumTol for large k)
          tol: sumTol(k), tolOn: { webgpu: { rtol: 1e-5, atolRel: 2e-6 * Math.sqrt(k) } },
        });
      }
  return out;
}

function sparseGemmCases(): Case[] {
  const out: Case[] = [];
  // 0.05: transA's indexed path with its skip-zero-groups fill (it scatters below 4 %, fills branch-free above ~6 %)
  for (const density of [0, 0.001, 0.05, 0.5, 1])
    for (const [transA, transB] of [[false, false], [true, false], [false, true]] as const) {
      const m = 67, n = 33, k = 1023;
      out.push({
        name: `gemm aSparse density=${density} tA=${transA} tB=${transB}`,
        kernel: "gemm",
        inputs: { a: spikes(m * k, density), b: rand(k * n) },
        outputs: { c: m * n },
        attrs: { m, n, k, transA, transB, accumulate: false, alpha: 0.5, aSparse: true },
        tol: sumTol(k * Math.max(density, 0.01)),
      });
    }
  // a·b (gemmSparseA): non-binary counts, accumulate, m < threads, n below / not a multiple of the 4-float
  // vectors, rows with 1–5 nonzeros (the 6/4/1-row groups and their column tails), both index modes (≷ 6 %)
  const counts = (len: number, d: number): Float32Array =>
    Float32Array.from({ length: len }, () => (rng.random() < d ? 1 + Math.floor(rng.random() * 3) : 0));
  const aShapes: [number, number, number, number][] = [[1, 7, 9, 0.4], [3, 6, 5, 0.9], [2, 1, 300, 0.2], [40, 13, 64, 0.03], [9, 1030, 70, 0.2], [5, 4, 11, 1]];
  aShapes.forEach(([m, n, k, density], i) => {
    const accumulate = i % 2 === 0;
    out.push({
      name: `gemm aSparse counts ${m}x${n}x${k} density=${density} acc=${accumulate}`,
      kernel: "gemm",
      inputs: { a: counts(m * k, density), b: rand(k * n), ...(accumulate ? { c: rand(m * n) } : {}) },
      outputs: accumulate ? {} : { c: m * n },
      attrs: { m, n, k, transA: false, transB: false, accumulate, alpha: 0.75, aSparse: true },
      tol: sumTol(3 * k * density + 8),
    });
  });
  // aᵀ·b (gemmSparseAT) with counts: its gather multiply-adds unless every nonzero is 1 (then it adds); one
  // block all ones but a single 2 (non-unit), sparse and dense index modes, scatter below 4 %
  for (const [k, m, n, density] of [[300, 40, 30, 0.2], [257, 9, 50, 0.02], [1100, 33, 24, 0.1]] as const) {
    const a = counts(k * m, density);
    const b = rand(k * n);
    out.push({
      name: `gemm aSparse transA counts ${m}x${n}x${k} density=${density}`, kernel: "gemm", inputs: { a, b },
      outputs: { c: m * n }, attrs: { m, n, k, transA: true, transB: false, accumulate: false, alpha: 0.75, aSparse: true },
      tol: sumTol(3 * k * density + 8),
    });
    const ones = spikes(k * m, density);
    ones[Math.floor(k * m / 2)] = 2;
    out.push({
      name: `gemm aSparse transA one count of 2 ${m}x${n}x${k} density=${density}`, kernel: "gemm",
      inputs: { a: ones, b, c: rand(m * n) }, outputs: {}, attrs: { m, n, k, transA: true, transB: false, accumulate: true, alpha: 1, aSparse: true },
      tol: sumTol(k * density + 8),
    });
  }
  return out;
}

/** LIF parameters: sizes with P | N, P ∈ {1, N, a divisor with and without P % 4 = 0}. */
const LIF_SHAPES: [number, number, number][] = [
  [1, 1, 1], [7, 3, 3], [50, 17, 1], [13, 36, 12], [9, 18, 6], [40, 1023, 1], [3, 64, 64],
  [3, 8200, 4100], [2, 4101, 1], // more than one 4096-neuron chunk of the row-streaming scans
  [17, 3, 1], [3, 17, 17], [40, 1023, 3], [1, 1023, 1023], [257, 17, 17], // long T, P = N, T = 1 (WGSL scans)
];
/** Backward shapes: as LIF_SHAPES, fewer of them (each runs every surrogate and both modes). */
const LIF_BACKWARD_SHAPES: [number, number, number][] = [
  [7, 3, 3], [50, 17, 1], [13, 36, 12], [9, 18, 6], [30, 101, 1], [2, 8200, 4100],
  [1, 1, 1], [17, 3, 1], [3, 17, 17], [40, 1023, 3], [1, 1023, 1023], [257, 17, 17],
];

function lifInputs(T: number, N: number, P: number) {
  const theta = rand(P, 0.5, 1.5);
  return {
    x: rand(T * N, -0.5, 1.6),
    v0: rand(N, -0.5, 1),
    alpha: rand(P, 0.5, 1),
    theta,
    sub: Float32Array.from(theta, (t, i) => (i % 2 ? t : rng.uniform(0.3, 1.2))),
    minV: rand(P, -1, 0),
  };
}

function lifForwardCases(): Case[] {
  const out: Case[] = [];
  for (const [T, N, P] of LIF_SHAPES)
    for (const maxSpikes of [0, 1, 3])
      for (const hasMinV of [false, true]) {
        const { x, v0, alpha, theta, sub, minV } = lifInputs(T, N, P);
        out.push({
          name: `lifForward T=${T} N=${N} P=${P} maxSpikes=${maxSpikes} minV=${hasMinV}`,
          kernel: "lifForward",
          inputs: { x, v0, alpha, theta, sub, ...(hasMinV ? { minV } : {}) },
          outputs: { spikes: T * N, v: T * N },
          attrs: { T, N, P, maxSpikes, hasMinV },
          tol: EXACT,
        });
      }
  return out;
}

/** The zero reset (docs/gradients.md §5, SingleSpike): bit-exact like the subtractive forward. */
function lifForwardZeroCases(): Case[] {
  return LIF_SHAPES.map(([T, N, P], i) => {
    const hasMinV = i % 2 === 1;
    const { x, v0, alpha, theta, sub, minV } = lifInputs(T, N, P);
    return {
      name: `lifForward reset=zero T=${T} N=${N} P=${P} minV=${hasMinV}`, kernel: "lifForward" as const,
      inputs: { x, v0, alpha, theta, sub, ...(hasMinV ? { minV } : {}) }, outputs: { spikes: T * N, v: T * N },
      attrs: { T, N, P, maxSpikes: 1, hasMinV, reset: "zero" as const }, tol: EXACT,
    };
  });
}

/** θ ≤ 0 or ∞ in one lane group: the row scan's single-spike shortcut (1[v ≥ θ]) must not be taken. */
function lifForwardOddThetaCases(): Case[] {
  return [1, 3].flatMap((maxSpikes) => [-0.5, 0, Infinity].map((odd) => {
    const T = 9, N = 24, P = 8;
    const { x, v0, alpha, theta, sub } = lifInputs(T, N, P);
    theta[5] = odd;
    return {
      name: `lifForward θ[5]=${odd} maxSpikes=${maxSpikes}`, kernel: "lifForward" as const,
      inputs: { x: Float32Array.from(x, (v) => v * 3 - 1), v0, alpha, theta, sub }, outputs: { spikes: T * N, v: T * N },
      attrs: { T, N, P, maxSpikes, hasMinV: false }, tol: EXACT,
      ...(odd < 0 && maxSpikes > 0 ? { knownGapOn: { webgpu: "θ < 0 with a spike cap: the WGSL scan gives 1[v ≥ θ] instead of min(⌊v/θ⌋, cap)·1[v ≥ θ] (contract.ts); layers check θ > 0 on every forward (a trained θ reaching 0 is a NumericalError), so only a direct kernel call meets it" } } : {}),
    };
  }));
}

export const SURROGATES: SurrogateSpec[] = [
  { type: "SingleExponential", gradWidth: 0.5, gradScale: 1 },
  { type: "PeriodicExponential", gradWidth: 0.5, gradScale: 1.3 },
  { type: "Heaviside", window: 0.4 },
  { type: "Gaussian", mu: 0, sigma: 0.5, gradScale: 1 },
  { type: "MultiGaussian", mu: 0, sigma: 0.5, h: 0.15, s: 6, gradScale: 0.5 },
];

/** Runs the ref forward to get a consistent (v, spikes) for the backward cases. */
function refForward(T: number, N: number, P: number, maxSpikes: number, hasMinV: boolean, reset?: "zero") {
  const inp = lifInputs(T, N, P);
  const ref = new RefBackend();
  const b = (a: Float32Array) => { const x = ref.alloc("float32", a.length); ref.upload(x, a); return x; };
  const s = ref.alloc("float32", T * N), v = ref.alloc("float32", T * N);
  ref.kernels.lifForward!({ x: b(inp.x), v0: b(inp.v0), alpha: b(inp.alpha), theta: b(inp.theta), sub: b(inp.sub),
    minV: b(inp.minV), spikes: s, v }, { T, N, P, maxSpikes, hasMinV, ...(reset ? { reset } : {}) });
  return { ...inp, spikes: ref.view(s).slice() as Float32Array, v: ref.view(v).slice() as Float32Array };
}

function lifBackwardCases(): Case[] {
  const out: Case[] = [];
  let i = 0;
  for (const [T, N, P] of LIF_BACKWARD_SHAPES)
    for (const surrogate of SURROGATES)
      for (const mode of ["exodus", "slayer"] as const) {
        const hasMinV = i % 3 === 0, withGV = i % 2 === 0, withAlpha = i % 4 !== 1;
        // gS the same at every step (attrs.gSP) in every other case: periods 1, N, and a divisor of N (P)
        const gSP = i % 2 === 1 ? [1, N, P][(i >> 1) % 3]! : undefined;
        i++;
        const f = refForward(T, N, P, i % 3, hasMinV);
        out.push({
          name: `lifBackward ${surrogate.type} ${mode} T=${T} N=${N} P=${P} minV=${hasMinV} gV=${withGV} dAlpha=${withAlpha} gSP=${gSP}`,
          kernel: "lifBackward",
          inputs: {
            gS: rand(gSP ?? T * N), v: f.v, alpha: f.alpha, theta: f.theta, sub: f.sub,
            ...(hasMinV ? { minV: f.minV } : {}), ...(withGV ? { gV: rand(T * N) } : {}),
            ...(withAlpha ? { spikes: f.spikes, v0: f.v0 } : {}),
          },
          outputs: { dx: T * N, dv0: N, ...(withAlpha ? { dAlpha: P } : {}) },
          attrs: { T, N, P, maxSpikes: i % 3, hasMinV, surrogate, mode, ...(gSP !== undefined ? { gSP } : {}) },
          tol: { dx: SCAN, dv0: SCAN, dAlpha: paramSum(T, N, P) },
          tolOn: { webgpu: { dx: SCAN, dv0: SCAN, dAlpha: gpuParam(T, N, P) } },
        });
      }
  return out;
}

/**
 * The general sweep: the zero reset and the threshold gradient dTheta (docs/gradients.md §5, §6), with
 * m = θ tied (thetaInReset) and not, both modes, every surrogate, P ∈ {1, N, divisor}, threads cutting columns.
 */
function lifBackwardExtCases(): Case[] {
  const out: Case[] = [];
  let i = 0;
  for (const [T, N, P] of LIF_BACKWARD_SHAPES)
    for (const surrogate of SURROGATES)
      for (const mode of ["exodus", "slayer"] as const) {
        const zero = i % 2 === 0, hasMinV = i % 3 === 0, withGV = i % 4 < 2, withTheta = !zero || i % 4 === 0;
        const thetaInReset = !zero && i % 3 !== 1;
        const gSP = i % 5 === 2 ? P : undefined;
        i++;
        const maxSpikes = zero ? 1 : i % 3;
        const f = refForward(T, N, P, maxSpikes, hasMinV, zero ? "zero" : undefined);
        out.push({
          name: `lifBackward ${zero ? "reset=zero" : "subtract"} dTheta=${withTheta} thetaInReset=${thetaInReset} ${surrogate.type} ${mode} T=${T} N=${N} P=${P} minV=${hasMinV} gSP=${gSP}`,
          kernel: "lifBackward",
          inputs: {
            gS: rand(gSP ?? T * N), v: f.v, alpha: f.alpha, theta: f.theta, sub: thetaInReset ? f.theta : f.sub,
            ...(hasMinV ? { minV: f.minV } : {}), ...(withGV ? { gV: rand(T * N) } : {}), spikes: f.spikes, v0: f.v0,
          },
          outputs: { dx: T * N, dv0: N, dAlpha: P, ...(withTheta ? { dTheta: P } : {}) },
          attrs: {
            T, N, P, maxSpikes, hasMinV, surrogate, mode, ...(gSP !== undefined ? { gSP } : {}),
            ...(zero ? { reset: "zero" as const } : {}), ...(thetaInReset ? { thetaInReset } : {}),
          },
          tol: { dx: SCAN, dv0: SCAN, dAlpha: paramSum(T, N, P), dTheta: paramSum(T, N, P) },
          tolOn: { webgpu: { dx: SCAN, dv0: SCAN, dAlpha: gpuParam(T, N, P), dTheta: gpuParam(T, N, P) } },
        });
      }
  return out;
}

function leakyCases(): Case[] {
  const out: Case[] = [];
  for (const [T, N, P] of LIF_SHAPES) {
    const x = rand(T * N), v0 = rand(N), alpha = rand(P, 0.3, 1);
    out.push({ name: `leakyForward T=${T} N=${N} P=${P}`, kernel: "leakyForward", inputs: { x, v0, alpha },
      outputs: { y: T * N }, attrs: { T, N, P }, tol: EXACT });
    out.push({
      name: `leakyBackward T=${T} N=${N} P=${P}`, kernel: "leakyBackward",
      inputs: { gY: rand(T * N), alpha, y: rand(T * N), v0 }, outputs: { dx: T * N, dv0: N, dAlpha: P },
      attrs: { T, N, P }, tol: { dx: sumTol(T), dv0: sumTol(T), dAlpha: sumTol(T * N) },
      tolOn: { webgpu: { dx: SCAN, dv0: SCAN, dAlpha: gpuParam(T, N, P) } },
    });
    // without dα (no y, v0): the kernel must not need them
    out.push({
      name: `leakyBackward no dAlpha T=${T} N=${N} P=${P}`, kernel: "leakyBackward",
      inputs: { gY: rand(T * N), alpha }, outputs: { dx: T * N, dv0: N },
      attrs: { T, N, P }, tol: { dx: sumTol(T), dv0: sumTol(T) }, tolOn: { webgpu: { dx: SCAN, dv0: SCAN } },
    });
  }
  return out;
}

const UNARY: [UnaryOp, Tol, number?][] = [
  ["neg", EXACT], ["exp", ULP], ["log", ULP], ["abs", EXACT], ["sqrt", EXACT], ["relu", EXACT], ["sigmoid", ULP],
  ["tanh", ULP], ["square", EXACT], ["sign", EXACT], ["reciprocal", EXACT], ["scale", EXACT, Math.fround(0.37)],
  ["addScalar", EXACT, Math.fround(-0.61)], ["powScalar", ULP, 2.5], ["powScalar", ULP, 2], ["powScalar", ULP, 3],
  ["powScalar", ULP, 0.5], ["powScalar", EXACT, 0], ["clampMin", EXACT, Math.fround(-0.2)],
  ["clampMax", EXACT, Math.fround(0.3)], ["gtScalar", EXACT, Math.fround(0.1)], ["geScalar", EXACT, 0],
  ["isNonFinite", EXACT],
];

function unaryCases(): Case[] {
  const out: Case[] = [];
  for (const n of [1, 3, 17, 1023])
    for (const [op, tol, p] of UNARY) {
      const x = rand(n, -3, 3);
      if (op === "log" || op === "sqrt" || op === "powScalar") for (let i = 0; i < n; i += 3) x[i] = Math.abs(x[i]!);
      if (n > 3) { x[1] = 0; x[2] = NaN; if (n > 5) { x[4] = Infinity; x[5] = -Infinity; } }
      // WGSL's transcendental functions, sqrt and division are a few ulp, not correctly rounded
      // (and pow(+Inf, 2.5) is NaN on lavapipe: WGSL leaves pow's non-finite results indeterminate)
      const gpuTol = op === "log" ? GPU_LOG : op === "powScalar" ? { ...GPU_ULP, nonFiniteAny: true }
        : tol !== EXACT || op === "sqrt" || op === "reciprocal" ? GPU_ULP : undefined;
      out.push({ name: `unary ${op}${p === undefined ? "" : `(${p})`} n=${n}`, kernel: "unary", inputs: { x }, outputs: { y: n },
        attrs: { op, n, p }, tol, ...(gpuTol ? { tolOn: { webgpu: gpuTol } } : {}) });
    }
  return out;
}

function binaryCases(): Case[] {
  const out: Case[] = [];
  const layouts: [string, number[], number[], number[]][] = [
    ["same", [1023], [1023], [1023]], ["same3", [3], [3], [3]], ["b scalar", [17], [1], [17]],
    ["a scalar", [1], [3, 7], [3, 7]], ["b row", [5, 3, 7], [7], [5, 3, 7]], ["b rows", [5, 3, 7], [1, 3, 7], [5, 3, 7]],
    ["a row", [9], [4, 9], [4, 9]], ["b col", [2, 3, 5], [3, 1], [2, 3, 5]], ["a col", [4, 1], [4, 6], [4, 6]],
    ["general", [3, 1, 5], [1, 4, 1], [3, 4, 5]],
    ["one", [1], [1], [1]], ["rank 3 vs 2", [3, 1, 17], [4, 1], [3, 4, 17]], ["row vs col", [17], [3, 1], [3, 17]],
    ["rank 5", [2, 1, 3, 1, 5], [1, 4, 3, 7, 1], [2, 4, 3, 7, 5]], ["same 2-D", [17, 3], [17, 3], [17, 3]],
  ];
  const ops: BinaryOp[] = ["add", "sub", "mul", "div", "max", "min", "gt", "ge", "eq", "pow"];
  for (const [label, aShape, bShape, yShape] of layouts)
    for (const op of ops) {
      const len = (s: number[]) => s.reduce((p, d) => p * d, 1);
      const a = rand(len(aShape), op === "pow" ? 0 : -2, 2), b = rand(len(bShape), -2, 2);
      // ties (every other element) for the compares and max / min
      if (op === "eq" || op === "ge" || op === "gt" || op === "max" || op === "min") for (let i = 0; i < Math.min(a.length, b.length); i += 2) a[i] = b[i]!;
      out.push({
        name: `binary ${op} ${label}`, kernel: "binary", inputs: { a, b }, outputs: { y: len(yShape) },
        attrs: { op, aShape, bShape, yShape }, tol: op === "pow" ? ULP : EXACT,
        ...(op === "pow" || op === "div" ? { tolOn: { webgpu: GPU_ULP } } : {}),
      });
    }
  return out;
}

function miscCases(): Case[] {
  const out: Case[] = [];
  for (const n of [1, 3, 17, 1023]) {
    out.push({ name: `fill n=${n}`, kernel: "fill", inputs: { y: rand(n + 2) }, outputs: {}, attrs: { n, value: -0.375 }, tol: EXACT });
    out.push({ name: `copy n=${n}`, kernel: "copy", inputs: { x: rand(n + 5), y: rand(n + 9) }, outputs: {}, attrs: { n, srcOffset: 3, dstOffset: 7 }, tol: EXACT });
  }
  out.push({ name: "copy", kernel: "copy", inputs: { x: rand(40), y: rand(50) }, outputs: {}, attrs: { n: 23, srcOffset: 3, dstOffset: 11 }, tol: EXACT });
  const perms: [number[], number[]][] = [
    [[2, 3, 4], [0, 2, 1]], [[2, 3, 4], [1, 0, 2]], [[2, 3, 4], [2, 1, 0]], [[2, 3, 4], [1, 2, 0]], [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4], [0, 1, 2]], [[5, 1, 7], [2, 1, 0]], [[2, 3, 4, 5], [0, 2, 1, 3]], [[2, 3, 4, 5], [3, 1, 0, 2]], [[17, 33], [1, 0]],
    // several 32×32 tiles of 4×4 register transposes, with ragged row and column tails
    [[70, 45], [1, 0]], [[64, 36], [1, 0]], [[3, 66, 37], [0, 2, 1]],
    [[1023], [0]], [[3, 17, 5], [2, 0, 1]], [[2, 3, 1, 17], [3, 1, 0, 2]], [[1, 1, 1], [2, 1, 0]],
  ];
  for (const [shape, perm] of perms) {
    const n = shape.reduce((p, d) => p * d, 1);
    out.push({ name: `permute [${shape}] perm [${perm}]`, kernel: "permute", inputs: { x: rand(n) }, outputs: { y: n }, attrs: { shape, perm }, tol: EXACT });
  }
  // the WGSL reduce's thread and workgroup layouts: long rows (5000, 20000), wide inner, mid = 0
  for (const [outer, mid, inner] of [[1, 1023, 1], [3, 17, 5], [2, 5, 8], [1, 1, 1], [4, 3, 1], [2, 100, 13],
    [3, 1023, 1], [17, 3, 17], [1, 1023, 3], [2, 17, 1023], [1, 5000, 1], [3, 0, 2], [1, 20000, 1], [2, 9000, 3]])
    for (const op of ["sum", "mean", "max", "min"] as const) {
      const x = rand(outer * mid * inner);
      if (op === "max" && mid > 3) x[inner] = NaN; // NaN propagates
      out.push({ name: `reduce ${op} [${outer},${mid},${inner}]`, kernel: "reduce", inputs: { x }, outputs: { y: outer * inner },
        attrs: { op, outer, mid, inner }, tol: op === "max" || op === "min" ? EXACT : sumTol(mid),
        // WebGPU reduces in a tree, whose error does not grow with the row length: the old webgpu suite's bound
        ...(op === "sum" || op === "mean" ? { tolOn: { webgpu: { rtol: 1e-5, atolRel: 2e-6 } } } : {}) });
    }
  // WebGPU: the loss log Σ e^(l−max) + max − l_label cancels, so its absolute error is a few ulp of the logits
  // (|l| ≲ 10); dlogits = softmax − one-hot has an error of a few ulp of the row's probabilities, which sum to 1,
  // so its floor is set by 1, not by the entry (a 6e-4 probability was off by 2e-8 for EXODUS_SEED=1896685198
  // with a floor relative to that entry alone).
  const gpuCE = { loss: { ...GPU_ULP, atol: 4e-6 }, dlogits: { ...GPU_ULP, atol: 1e-7 } };
  const ceShapes = [[3, 1], [17, 10], [4, 1023], ...[1, 3, 17, 1023].flatMap((r) => [1, 3, 10, 17].map((c) => [r, c]))];
  ceShapes.forEach(([rows, classes], i) => {
    const labels = Float32Array.from({ length: rows! }, () => rng.int(0, classes!));
    const withGrad = i % 4 !== 3; // the forward-only call (no dlogits) too
    out.push({ name: `softmaxCrossEntropy ${rows}x${classes} dlogits=${withGrad}`, kernel: "softmaxCrossEntropy",
      inputs: { logits: i < 3 ? rand(rows! * classes!, -4, 4) : randn(rows! * classes!, 3), labels },
      outputs: { loss: rows!, ...(withGrad ? { dlogits: rows! * classes! } : {}) },
      attrs: { rows, classes }, tol: ULP, tolOn: { webgpu: gpuCE } });
  });
  for (const [n, P] of [[1, 1], [17, 1], [36, 12], [18, 6], [1023, 1], [3, 3], [17, 17], [1023, 1023]]) {
    const v = rand(n, -1, 4);
    const theta = rand(P, 0.5, 1.5);
    v[0] = theta[0]!; // exactly at threshold: one spike
    for (const maxSpikes of [0, 1, 2])
      out.push({ name: `spikeFn n=${n} P=${P} cap=${maxSpikes}`, kernel: "spikeFn", inputs: { v, theta },
        outputs: { s: n }, attrs: { n, P, maxSpikes }, tol: EXACT });
    for (const surrogate of SURROGATES)
      out.push({ name: `surrogateGrad ${surrogate.type} n=${n} P=${P}`, kernel: "surrogateGrad",
        inputs: { v: rand(n, -1, 3), theta, g: rand(n) }, outputs: { dv: n },
        // atol: MultiGaussian is a difference of O(1) terms, so near its zeros the error is f32 ε times the terms
        // (measured 1.9e-9), not times the result (a lone small output once made a relative bound flaky).
        attrs: { n, P, surrogate }, tol: { rtol: 2e-5, atolRel: 1e-6, atol: 1e-7 } });
  }
  // WebGPU: sqrt + division in float32 are a few ulp, more where the update nearly cancels the weight. The floor
  // is a few ulp of the O(0.1–1) operands: m = β1·m + (1 − β1)·g can cancel to a tiny value whose own scale says
  // nothing about the rounding (n = 1, EXODUS_SEED=1896685198: m = 4.9e-4 off by 1.1e-8).
  const gpuOpt: Tol = { rtol: 1e-5, atolRel: 2e-6, atol: 1e-7 };
  for (const n of [1, 3, 17, 1023]) {
    for (const decoupled of [false, true])
      for (const step of [1, 3, 7])
        out.push({ name: `adamUpdate n=${n} decoupled=${decoupled} step=${step}`, kernel: "adamUpdate",
          inputs: { p: rand(n), g: rand(n), m: rand(n, -0.1, 0.1), v: rand(n, 0, 0.1) }, outputs: {},
          attrs: { n, lr: step === 3 ? 1e-3 : 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, step },
          tol: { p: { rtol: 1e-6, atolRel: 1e-6 }, m: { rtol: 1e-6, atolRel: 1e-7, atol: 4e-8 }, v: { rtol: 1e-6, atolRel: 1e-7, atol: 4e-8 } },
          tolOn: { webgpu: gpuOpt } });
    for (const [momentum, nesterov, first] of [[0, false, false], [0.9, false, true], [0.9, false, false], [0.9, true, false]] as const)
      out.push({ name: `sgdUpdate n=${n} momentum=${momentum} nesterov=${nesterov} first=${first}`, kernel: "sgdUpdate",
        inputs: { p: rand(n), g: rand(n), buf: rand(n) }, outputs: {},
        attrs: { n, lr: 0.1, momentum, dampening: 0.1, nesterov, weightDecay: 1e-3, first }, tol: { rtol: 1e-6, atolRel: 1e-6, atol: 1e-7 },
        tolOn: { webgpu: gpuOpt } });
  }
  return out;
}

interface ConvShape { batch: number; cIn: number; h: number; w: number; cOut: number; kh: number; kw: number; strideH: number; strideW: number; padH: number; padW: number }

/** Output size, buffer lengths (x, w, y) and a name tag of a conv case. */
function convCase(s: ConvShape) {
  const outH = Math.floor((s.h + 2 * s.padH - s.kh) / s.strideH) + 1;
  const outW = Math.floor((s.w + 2 * s.padW - s.kw) / s.strideW) + 1;
  return {
    outH, outW,
    xl: s.batch * s.cIn * s.h * s.w, wl: s.cOut * s.cIn * s.kh * s.kw, yl: s.batch * s.cOut * outH * outW,
    tag: `${s.batch}x${s.cIn}x${s.h}x${s.w}→${s.cOut} k${s.kh}x${s.kw} s${s.strideH},${s.strideW} p${s.padH},${s.padW}`,
  };
}

/** conv2d / weight gradient with xSparse on spike (and spike-count) inputs: the event-driven kernels. */
function convSparseCases(): Case[] {
  const out: Case[] = [];
  const shapes = [
    { batch: 3, cIn: 2, h: 11, w: 9, cOut: 6, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
    { batch: 2, cIn: 3, h: 10, w: 13, cOut: 5, kh: 3, kw: 2, strideH: 2, strideW: 3, padH: 1, padW: 2 },
    { batch: 5, cIn: 2, h: 8, w: 8, cOut: 7, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 },
  ];
  for (const density of [0, 0.001, 0.5, 1])
    for (const s of shapes) {
      const { outH, outW, xl, wl, yl, tag: shapeTag } = convCase(s);
      const at = { ...s, outH, outW, xSparse: true };
      // spikes, some of them counts of 2 (MultiSpike / sum pooling)
      const x = Float32Array.from(spikes(xl, density), (v) => v * (rng.random() < 0.2 ? 2 : 1));
      const tag = `${shapeTag} density=${density}`;
      out.push({ name: `conv2d xSparse ${tag}`, kernel: "conv2d", inputs: { x, w: rand(wl) }, outputs: { y: yl }, attrs: at,
        tol: sumTol(2 * s.cIn * s.kh * s.kw) });
      out.push({ name: `conv2dBackwardFilter xSparse ${tag}`, kernel: "conv2dBackwardFilter", inputs: { x, dy: rand(yl) },
        outputs: { dw: wl }, attrs: at, tol: sumTol(2 * s.batch * outH * outW) });
    }
  return out;
}

function convCases(): Case[] {
  const out: Case[] = [];
  const shapes = [
    { batch: 2, cIn: 3, h: 7, w: 6, cOut: 4, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
    { batch: 1, cIn: 2, h: 9, w: 8, cOut: 3, kh: 2, kw: 3, strideH: 2, strideW: 1, padH: 0, padW: 2 },
    { batch: 3, cIn: 5, h: 4, w: 4, cOut: 3, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 },
    { batch: 2, cIn: 2, h: 34, w: 34, cOut: 16, kh: 5, kw: 5, strideH: 1, strideW: 1, padH: 0, padW: 0 },
    { batch: 1, cIn: 1, h: 1, w: 1, cOut: 1, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 },
    { batch: 2, cIn: 3, h: 17, w: 13, cOut: 4, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
    { batch: 3, cIn: 2, h: 17, w: 17, cOut: 5, kh: 5, kw: 3, strideH: 2, strideW: 3, padH: 2, padW: 0 },
    { batch: 1, cIn: 4, h: 9, w: 8, cOut: 3, kh: 2, kw: 4, strideH: 3, strideW: 2, padH: 1, padW: 2 },
  ];
  for (const s of shapes) {
    const { outH, outW, xl, wl, yl, tag } = convCase(s);
    const at = { ...s, outH, outW };
    // WebGPU: the old webgpu suite's bound, 2e-6·√(terms) of the largest output, for all three conv kernels
    const gpuConv: Tol = { rtol: 1e-5, atolRel: 2e-6 * Math.sqrt(s.cIn * s.kh * s.kw * s.batch * outH) };
    out.push({ name: `conv2d ${tag}`, kernel: "conv2d", inputs: { x: rand(xl), w: rand(wl) }, outputs: { y: yl }, attrs: at,
      tol: sumTol(s.cIn * s.kh * s.kw), tolOn: { webgpu: gpuConv } });
    out.push({ name: `conv2dBackwardData ${tag}`, kernel: "conv2dBackwardData", inputs: { dy: rand(yl), w: rand(wl) },
      outputs: { dx: xl }, attrs: at, tol: sumTol(s.cOut * s.kh * s.kw), tolOn: { webgpu: gpuConv } });
    out.push({ name: `conv2dBackwardFilter ${tag}`, kernel: "conv2dBackwardFilter", inputs: { x: rand(xl), dy: rand(yl) },
      outputs: { dw: wl }, attrs: at, tol: sumTol(s.batch * outH * outW), tolOn: { webgpu: gpuConv } });
  }
  for (const mode of ["sum", "avg"] as const)
    for (const [planes, h, w, kh, kw, sH, sW] of [[3, 6, 6, 2, 2, 2, 2], [3, 7, 5, 3, 2, 1, 2], [3, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1], [3, 17, 17, 2, 2, 2, 2], [17, 9, 11, 3, 2, 2, 3], [2, 8, 8, 3, 3, 1, 1]]) {
      const outH = Math.floor((h - kh) / sH) + 1, outW = Math.floor((w - kw) / sW) + 1;
      const at = { mode, planes, h, w, kh, kw, strideH: sH, strideW: sW, outH, outW };
      out.push({ name: `pool2d ${mode} ${planes}x${h}x${w} k${kh}x${kw} s${sH},${sW}`, kernel: "pool2d", inputs: { x: rand(planes * h * w) },
        outputs: { y: planes * outH * outW }, attrs: at, tol: EXACT,
        tolOn: { webgpu: sumTol(kh * kw) } }); // the WGSL pool sums its window in another order
      out.push({ name: `pool2dBackward ${mode} ${planes}x${h}x${w} k${kh}x${kw} s${sH},${sW}`, kernel: "pool2dBackward",
        inputs: { dy: rand(planes * outH * outW) }, outputs: { dx: planes * h * w }, attrs: at, tol: sumTol(kh * kw) });
    }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

/** Every family of the table, in the order the runner reports them. */
export const FAMILIES: Family[] = [
  { name: "gemm", make: gemmCases, variantSensitive: true },
  { name: "gemm spike-sparse", make: sparseGemmCases, variantSensitive: true, sparse: true },
  {
    name: "lifForward", make: () => [...lifForwardCases(), ...lifForwardOddThetaCases(), ...lifForwardZeroCases()],
    check: (outs) => {
      const n = outs.reduce((s, o) => s + o.spikes!.reduce((a, v) => a + v, 0), 0);
      return n > 1000 ? undefined : `the inputs should make the neurons spike (ref gave ${n} spikes)`;
    },
  },
  { name: "lifBackward", make: lifBackwardCases },
  { name: "lifBackward zero reset / dTheta", make: lifBackwardExtCases },
  { name: "leaky", make: leakyCases },
  { name: "unary", make: unaryCases },
  { name: "binary", make: binaryCases },
  { name: "fill/copy/permute/reduce/softmax/spike/optim", make: miscCases },
  { name: "conv/pool", make: convCases, variantSensitive: true },
  { name: "conv spike-sparse", make: convSparseCases, variantSensitive: true, sparse: true },
];
