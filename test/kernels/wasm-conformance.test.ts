/**
 * Conformance of the wasm backend against ref: one case table, every wasm kernel run on fresh random float32
 * inputs at awkward sizes (off the SIMD width and the gemm block sizes) and compared with the ref kernel on
 * the same inputs; tolerance per case (bit-exact where the op order is the same, else by reduction length).
 * Also: sparse vs dense gemm on spike tensors, allocator reuse (no growth), errors. Seed printed per run.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/errors.js";
import type { Backend, Buf, KernelName, SurrogateSpec, UnaryOp, BinaryOp } from "../../src/kernels/contract.js";
import { RefBackend } from "../../src/kernels/ref/backend.js";
import { WasmBackend } from "../../src/kernels/wasm/backend.js";
import { Rng } from "../../src/util/rng.js";
import { runKernel } from "./run-kernel.js";

const SEED = Number(process.env.EXODUS_SEED ?? Date.now() % 2147483647);
const rng = new Rng(SEED);

/** "exact": equal as numbers (NaN = NaN, −0 = +0). Else |w − r| ≤ atol + rtol·|r|, atol scaled by max|r|. */
type Tol = "exact" | { rtol: number; atolRel: number; atol?: number };
const EXACT: Tol = "exact";
/**
 * Tolerance for a result summed over L float32 terms of O(1) inputs (ref sums in f64): relative to the largest
 * output, plus the f32 summation bound L·2⁻²⁴ for outputs that cancel to near zero.
 */
const sumTol = (L: number): Tol => ({ rtol: 1e-5, atolRel: 2e-7 * Math.max(8, L), atol: 6e-8 * L });
const ULP: Tol = { rtol: 1e-6, atolRel: 1e-7 };

interface Case {
  name: string;
  kernel: KernelName;
  /** Inputs (uploaded to both backends) and in/out buffers given initial contents. */
  inputs: Record<string, Float32Array>;
  /** Output buffers: name → length (initialised with the same garbage on both sides). */
  outputs: Record<string, number>;
  attrs: unknown;
  tol: Tol | Record<string, Tol>;
}

const rand = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
const spikes = (n: number, density: number): Float32Array =>
  Float32Array.from({ length: n }, () => (rng.random() < density ? 1 : 0));

// ---------------------------------------------------------------------------------------------------------
// The case table

function gemmCases(): Case[] {
  const out: Case[] = [];
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 17, 5], [17, 3, 1023], [33, 65, 130], [130, 9, 300], [5, 2050, 7], [4, 8, 257]];
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
          tol: sumTol(k),
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
  let i = 0;
  for (const [T, N, P] of LIF_SHAPES)
    for (const maxSpikes of [0, 1, 3]) {
      const hasMinV = i++ % 2 === 0;
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
    };
  }));
}

const SURROGATES: SurrogateSpec[] = [
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
  for (const [T, N, P] of [[7, 3, 3], [50, 17, 1], [13, 36, 12], [9, 18, 6], [30, 101, 1], [2, 8200, 4100]] as [number, number, number][])
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
          // ref recurses in f64, wasm in f32: measured max error ≈ 1e-7…8e-7 of max|ref| (T = 200, all surrogates).
          // dα sums T·N/P terms of O(1) that may cancel: its error bound scales with the term count.
          tol: { dx: { rtol: 1e-4, atolRel: 1e-5 }, dv0: { rtol: 1e-4, atolRel: 1e-5 },
            dAlpha: { rtol: 1e-4, atolRel: 1e-5, atol: 1e-7 * ((T * N) / P) } },
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
  for (const [T, N, P] of [[7, 3, 3], [50, 17, 1], [13, 36, 12], [9, 18, 6], [30, 101, 1], [2, 8200, 4100]] as [number, number, number][])
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
          // as lifBackward above: ref recurses in f64, wasm in f32; dθ, like dα, sums T·N/P terms.
          tol: { dx: { rtol: 1e-4, atolRel: 1e-5 }, dv0: { rtol: 1e-4, atolRel: 1e-5 },
            dAlpha: { rtol: 1e-4, atolRel: 1e-5, atol: 1e-7 * ((T * N) / P) },
            dTheta: { rtol: 1e-4, atolRel: 1e-5, atol: 1e-7 * ((T * N) / P) } },
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
    });
  }
  return out;
}

const UNARY: [UnaryOp, Tol, number?][] = [
  ["neg", EXACT], ["exp", ULP], ["log", ULP], ["abs", EXACT], ["sqrt", EXACT], ["relu", EXACT], ["sigmoid", ULP],
  ["tanh", ULP], ["square", EXACT], ["sign", EXACT], ["reciprocal", EXACT], ["scale", EXACT, Math.fround(0.37)],
  ["addScalar", EXACT, Math.fround(-0.61)], ["powScalar", ULP, 2.5], ["clampMin", EXACT, Math.fround(-0.2)],
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
      out.push({ name: `unary ${op} n=${n}`, kernel: "unary", inputs: { x }, outputs: { y: n }, attrs: { op, n, p }, tol });
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
  ];
  const ops: BinaryOp[] = ["add", "sub", "mul", "div", "max", "min", "gt", "ge", "eq", "pow"];
  for (const [label, aShape, bShape, yShape] of layouts)
    for (const op of ops) {
      const len = (s: number[]) => s.reduce((p, d) => p * d, 1);
      const a = rand(len(aShape), op === "pow" ? 0 : -2, 2), b = rand(len(bShape), -2, 2);
      if (op === "eq" || op === "max") for (let i = 0; i < Math.min(a.length, b.length); i += 2) a[i] = b[i]!;
      out.push({
        name: `binary ${op} ${label}`, kernel: "binary", inputs: { a, b }, outputs: { y: len(yShape) },
        attrs: { op, aShape, bShape, yShape }, tol: op === "pow" ? ULP : EXACT,
      });
    }
  return out;
}

function miscCases(): Case[] {
  const out: Case[] = [];
  out.push({ name: "fill", kernel: "fill", inputs: { y: rand(37) }, outputs: {}, attrs: { n: 17, value: 0.25 }, tol: EXACT });
  out.push({ name: "copy", kernel: "copy", inputs: { x: rand(40), y: rand(50) }, outputs: {}, attrs: { n: 23, srcOffset: 3, dstOffset: 11 }, tol: EXACT });
  const perms: [number[], number[]][] = [
    [[2, 3, 4], [0, 2, 1]], [[2, 3, 4], [1, 0, 2]], [[2, 3, 4], [2, 1, 0]], [[2, 3, 4], [1, 2, 0]], [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4], [0, 1, 2]], [[5, 1, 7], [2, 1, 0]], [[2, 3, 4, 5], [0, 2, 1, 3]], [[2, 3, 4, 5], [3, 1, 0, 2]], [[17, 33], [1, 0]],
    // several 32×32 tiles of 4×4 register transposes, with ragged row and column tails
    [[70, 45], [1, 0]], [[64, 36], [1, 0]], [[3, 66, 37], [0, 2, 1]],
  ];
  for (const [shape, perm] of perms) {
    const n = shape.reduce((p, d) => p * d, 1);
    out.push({ name: `permute [${shape}] perm [${perm}]`, kernel: "permute", inputs: { x: rand(n) }, outputs: { y: n }, attrs: { shape, perm }, tol: EXACT });
  }
  for (const [outer, mid, inner] of [[1, 1023, 1], [3, 17, 5], [2, 5, 8], [1, 1, 1], [4, 3, 1], [2, 100, 13]])
    for (const op of ["sum", "mean", "max", "min"] as const) {
      const x = rand(outer * mid * inner);
      if (op === "max" && mid > 3) x[inner] = NaN;
      out.push({ name: `reduce ${op} [${outer},${mid},${inner}]`, kernel: "reduce", inputs: { x }, outputs: { y: outer * inner },
        attrs: { op, outer, mid, inner }, tol: op === "max" || op === "min" ? EXACT : sumTol(mid) });
    }
  for (const [rows, classes] of [[3, 1], [17, 10], [4, 1023]]) {
    const labels = Float32Array.from({ length: rows }, () => rng.int(0, classes));
    out.push({ name: `softmaxCrossEntropy ${rows}x${classes}`, kernel: "softmaxCrossEntropy",
      inputs: { logits: rand(rows * classes, -4, 4), labels }, outputs: { loss: rows, dlogits: rows * classes },
      attrs: { rows, classes }, tol: ULP });
  }
  for (const [n, P] of [[1, 1], [17, 1], [36, 12], [18, 6], [1023, 1]]) {
    const v = rand(n, -1, 4);
    for (const maxSpikes of [0, 2])
      out.push({ name: `spikeFn n=${n} P=${P} cap=${maxSpikes}`, kernel: "spikeFn", inputs: { v, theta: rand(P, 0.5, 1.5) },
        outputs: { s: n }, attrs: { n, P, maxSpikes }, tol: EXACT });
    for (const surrogate of SURROGATES)
      out.push({ name: `surrogateGrad ${surrogate.type} n=${n} P=${P}`, kernel: "surrogateGrad",
        inputs: { v: rand(n, -1, 3), theta: rand(P, 0.5, 1.5), g: rand(n) }, outputs: { dv: n },
        // atol: MultiGaussian is a difference of O(1) terms, so near its zeros the error is f32 ε times the terms
        // (measured 1.9e-9), not times the result (a lone small output once made a relative bound flaky).
        attrs: { n, P, surrogate }, tol: { rtol: 2e-5, atolRel: 1e-6, atol: 1e-7 } });
  }
  for (const n of [1, 3, 1023]) {
    for (const decoupled of [false, true])
      out.push({ name: `adamUpdate n=${n} decoupled=${decoupled}`, kernel: "adamUpdate",
        inputs: { p: rand(n), g: rand(n), m: rand(n, -0.1, 0.1), v: rand(n, 0, 0.1) }, outputs: {},
        attrs: { n, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, step: 3 },
        tol: { p: { rtol: 1e-6, atolRel: 1e-6 }, m: { rtol: 1e-6, atolRel: 1e-7, atol: 4e-8 }, v: { rtol: 1e-6, atolRel: 1e-7, atol: 4e-8 } } });
    for (const [momentum, nesterov, first] of [[0, false, false], [0.9, false, true], [0.9, true, false]] as const)
      out.push({ name: `sgdUpdate n=${n} momentum=${momentum} nesterov=${nesterov} first=${first}`, kernel: "sgdUpdate",
        inputs: { p: rand(n), g: rand(n), buf: rand(n) }, outputs: {},
        attrs: { n, lr: 0.1, momentum, dampening: 0.1, nesterov, weightDecay: 1e-3, first }, tol: { rtol: 1e-6, atolRel: 1e-6, atol: 1e-7 } });
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
  ];
  for (const s of shapes) {
    const { outH, outW, xl, wl, yl, tag } = convCase(s);
    const at = { ...s, outH, outW };
    out.push({ name: `conv2d ${tag}`, kernel: "conv2d", inputs: { x: rand(xl), w: rand(wl) }, outputs: { y: yl }, attrs: at,
      tol: sumTol(s.cIn * s.kh * s.kw) });
    out.push({ name: `conv2dBackwardData ${tag}`, kernel: "conv2dBackwardData", inputs: { dy: rand(yl), w: rand(wl) },
      outputs: { dx: xl }, attrs: at, tol: sumTol(s.cOut * s.kh * s.kw) });
    out.push({ name: `conv2dBackwardFilter ${tag}`, kernel: "conv2dBackwardFilter", inputs: { x: rand(xl), dy: rand(yl) },
      outputs: { dw: wl }, attrs: at, tol: sumTol(s.batch * outH * outW) });
  }
  for (const mode of ["sum", "avg"] as const)
    for (const [h, w, kh, kw, sH, sW] of [[6, 6, 2, 2, 2, 2], [7, 5, 3, 2, 1, 2], [1, 1, 1, 1, 1, 1]]) {
      const planes = 3, outH = Math.floor((h - kh) / sH) + 1, outW = Math.floor((w - kw) / sW) + 1;
      const at = { mode, planes, h, w, kh, kw, strideH: sH, strideW: sW, outH, outW };
      out.push({ name: `pool2d ${mode} ${h}x${w} k${kh}x${kw} s${sH},${sW}`, kernel: "pool2d", inputs: { x: rand(planes * h * w) },
        outputs: { y: planes * outH * outW }, attrs: at, tol: EXACT });
      out.push({ name: `pool2dBackward ${mode} ${h}x${w} k${kh}x${kw} s${sH},${sW}`, kernel: "pool2dBackward",
        inputs: { dy: rand(planes * outH * outW) }, outputs: { dx: planes * h * w }, attrs: at, tol: sumTol(kh * kw) });
    }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Runner


function compare(name: string, key: string, w: Float32Array, r: Float32Array, tol: Tol): void {
  assert.equal(w.length, r.length, `${name}: ${key} length`);
  let maxAbs = 0;
  for (const v of r) if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
  for (let i = 0; i < r.length; i++) {
    const a = w[i]!, b = r[i]!;
    if (Number.isNaN(b) || Number.isNaN(a)) {
      assert.ok(Number.isNaN(a) && Number.isNaN(b), `${name}: ${key}[${i}] wasm ${a} ref ${b}`);
      continue;
    }
    if (tol === "exact" || !Number.isFinite(b)) {
      assert.ok(a === b, `${name}: ${key}[${i}] wasm ${a} ≠ ref ${b} (bit-exact expected)`);
      continue;
    }
    const bound = (tol.atol ?? 0) + tol.atolRel * Math.max(maxAbs, 1e-30) + tol.rtol * Math.abs(b);
    assert.ok(Math.abs(a - b) <= bound, `${name}: ${key}[${i}] wasm ${a} ref ${b} |diff| ${Math.abs(a - b)} > ${bound}`);
  }
}

function checkCase(wasm: Backend, ref: Backend, c: Case): void {
  const garbage: Record<string, Float32Array> = {};
  for (const [k, n] of Object.entries(c.outputs)) garbage[k] = rand(n, -9, 9);
  const rw = runKernel(wasm, c.kernel, c.inputs, garbage, c.attrs);
  const rr = runKernel(ref, c.kernel, c.inputs, garbage, c.attrs);
  for (const key of Object.keys(rr)) {
    const tol = typeof c.tol === "string" || "rtol" in c.tol ? (c.tol as Tol) : (c.tol as Record<string, Tol>)[key] ?? EXACT;
    compare(c.name, key, rw[key]!, rr[key]!, tol);
  }
}

const FAMILIES: [string, () => Case[]][] = [
  ["gemm", gemmCases], ["gemm spike-sparse", sparseGemmCases], ["lifForward (bit-exact)", () => [...lifForwardCases(), ...lifForwardOddThetaCases(), ...lifForwardZeroCases()]],
  ["lifBackward", lifBackwardCases], ["lifBackward zero reset / dTheta", lifBackwardExtCases], ["leaky", leakyCases], ["unary", unaryCases], ["binary", binaryCases],
  ["fill/copy/permute/reduce/softmax/spike/optim", miscCases], ["conv/pool", convCases], ["conv spike-sparse", convSparseCases],
];

const ref = new RefBackend();
// "threads": three threads (two workers on one shared memory), every call split however small, so each
// kernel's block cutting (rows, neuron columns with P ∈ {1, N, divisor}, broadcast periods) meets the ref.
const threaded = new WasmBackend({ threads: 3 });
threaded.parallelMinWork = 0;
const variants: [string, WasmBackend][] = [
  ["auto", new WasmBackend({ threads: 1 })], ["simd", new WasmBackend({ variant: "simd", threads: 1 })], ["threads", threaded],
];

test(`wasm conformance vs ref (seed ${SEED}; rerun with EXODUS_SEED=${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED}; auto variant = ${variants[0]![1].variant}; threaded: ${threaded.threads} threads, ${threaded.variant}`);
  for (const [vname, wasm] of variants) {
    for (const [fam, make] of FAMILIES) {
      if (vname === "simd" && !fam.startsWith("gemm") && !fam.startsWith("conv")) continue; // only gemm differs
      await t.test(`${vname}: ${fam}`, () => {
        const cases = make();
        // Force the sparse kernels even at 50 % / 100 % density so they are tested, not skipped by the threshold.
        wasm.sparseDensityMax = fam.endsWith("spike-sparse") ? 1.01 : undefined;
        for (const c of cases) checkCase(wasm, ref, c);
        wasm.sparseDensityMax = undefined;
      });
    }
  }
});

test(`sparse and dense gemm agree on spike tensors (seed ${SEED})`, () => {
  const wasm = variants[0]![1];
  for (const density of [0, 0.001, 0.05, 0.5, 1])
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const m = 131, n = 70, k = 517;
      const a = spikes(m * k, density), b = rand(k * n);
      const res: Float32Array[] = [];
      for (const forced of [1.01, -1]) {
        wasm.sparseDensityMax = forced;
        const c = { name: "", kernel: "gemm" as const, inputs: { a, b }, outputs: { c: m * n },
          attrs: { m, n, k, transA, transB, accumulate: false, aSparse: true }, tol: EXACT };
        res.push(runKernel(wasm, c.kernel, c.inputs, { c: rand(m * n) }, c.attrs).c!);
      }
      wasm.sparseDensityMax = undefined;
      compare(`sparse vs dense density=${density} tA=${transA} tB=${transB}`, "c", res[0]!, res[1]!, sumTol(k * density + 8));
    }
});

for (const threads of [1, 2]) test(`memory does not grow over 100 training-step-like cycles (${threads} thread${threads > 1 ? "s, every call split" : ""})`, () => {
  const wasm = new WasmBackend({ threads });
  if (threads > 1) wasm.parallelMinWork = 0; // per-thread scratch (gemm, LIF, sparse index) must be reused too
  const T = 20, B = 8, F = 64, N = B * F;
  const W = wasm.alloc("float32", F * F);
  wasm.upload(W, rand(F * F, -0.2, 0.2));
  const params = ["alpha", "theta", "sub"].map(() => { const p = wasm.alloc("float32", F); wasm.upload(p, rand(F, 0.6, 0.9)); return p; });
  const [alpha, theta, sub] = params as [Buf, Buf, Buf];
  const step = (): void => {
    const x = wasm.alloc("float32", T * N); wasm.upload(x, spikes(T * N, 0.1));
    const cur = wasm.alloc("float32", T * N), v0 = wasm.alloc("float32", N), s = wasm.alloc("float32", T * N), v = wasm.alloc("float32", T * N);
    wasm.kernels.fill!({ y: v0 }, { n: N, value: 0 });
    wasm.kernels.gemm!({ a: x, b: W, c: cur }, { m: T * B, n: F, k: F, transA: false, transB: false, accumulate: false, aSparse: true });
    wasm.kernels.lifForward!({ x: cur, v0, alpha, theta, sub, spikes: s, v }, { T, N, P: F, maxSpikes: 0, hasMinV: false });
    const gS = wasm.alloc("float32", T * N), dx = wasm.alloc("float32", T * N), dv0 = wasm.alloc("float32", N), dA = wasm.alloc("float32", F);
    wasm.upload(gS, rand(T * N));
    wasm.kernels.lifBackward!({ gS, v, alpha, theta, sub, dx, dv0, spikes: s, v0, dAlpha: dA },
      { T, N, P: F, maxSpikes: 0, hasMinV: false, mode: "exodus", surrogate: SURROGATES[0]! });
    const dW = wasm.alloc("float32", F * F);
    wasm.kernels.gemm!({ a: x, b: dx, c: dW }, { m: F, n: F, k: T * B, transA: true, transB: false, accumulate: false, aSparse: true });
    for (const b of [x, cur, v0, s, v, gS, dx, dv0, dA, dW]) wasm.free(b);
  };
  for (let i = 0; i < 5; i++) step();
  const before = { mem: wasm.memoryBytes(), ...wasm.memoryStats() };
  for (let i = 0; i < 100; i++) step();
  const after = { mem: wasm.memoryBytes(), ...wasm.memoryStats() };
  assert.deepEqual(after, before);
  assert.equal(after.buffers, 4);
  wasm.dispose();
});

test("wasm backend errors: float64, double free, use after free", () => {
  const wasm = variants[0]![1];
  assert.throws(() => wasm.alloc("float64", 4), (e: unknown) => e instanceof ConfigError && /ref backend/.test((e as Error).message));
  const b = wasm.alloc("float32", 3);
  wasm.free(b);
  assert.throws(() => wasm.free(b), new RegExp(`#${b.id}`));
  assert.throws(() => wasm.view(b), /not live/);
});
