/**
 * The boundary with the compiled kernel module: the WebAssembly API we use, the module's exports and the
 * numeric codes of ops and surrogates as assembly/ reads them.
 */
import type { BinaryOp, SurrogateSpec, UnaryOp } from "../contract.js";

// tsconfig's lib (ES2022, no DOM) has no WebAssembly types: declare the little we use, locally.
export interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
export type WasmModule = object;
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The module's exports (see assembly/index.ts); pointers are byte offsets into linear memory. */
export interface WasmExports {
  memory: WasmMemory;
  heapBase(): number;
  gemm(a: number, b: number, c: number, m: number, n: number, k: number, rsA: number, csA: number, rsB: number,
    csB: number, ldc: number, acc: number, alpha: number, scratch: number): void;
  gemmScratchBytes(): number;
  gemmSparseA(a: number, b: number, c: number, m: number, n: number, k: number, acc: number, alpha: number, scratch: number): void;
  gemmSparseAT(a: number, b: number, c: number, m: number, n: number, k: number, acc: number, alpha: number, lda: number,
    kb: number, scratch: number): void;
  countNonzero(x: number, len: number): number;
  countNonzeroTo(x: number, len: number, out: number): void;
  transposeBlocks(src: number, dst: number, outer: number, rows: number, cols: number, inner: number): void;
  fillF32(y: number, n: number, value: number): void;
  conv2dSparse(x: number, wT: number, y: number, nb: number, cIn: number, h: number, w: number, cOut: number, kh: number,
    kw: number, sH: number, sW: number, pH: number, pW: number, outH: number, outW: number, scratch: number): void;
  conv2dSparseFilter(x: number, dy: number, dwT: number, nb: number, cIn: number, h: number, w: number, cOut: number,
    kh: number, kw: number, sH: number, sW: number, pH: number, pW: number, outH: number, outW: number, scratch: number): void;
  conv2dBatch(x: number, w: number, y: number, nb: number, cIn: number, h: number, wd: number, cOut: number, kh: number,
    kw: number, sH: number, sW: number, pH: number, pW: number, outH: number, outW: number, col: number, gs: number): void;
  conv2dBackwardDataBatch(dy: number, w: number, dx: number, nb: number, cIn: number, h: number, wd: number, cOut: number,
    kh: number, kw: number, sH: number, sW: number, pH: number, pW: number, outH: number, outW: number, col: number, gs: number): void;
  conv2dBackwardFilterBatch(x: number, dy: number, dw: number, nb: number, cIn: number, h: number, wd: number, cOut: number,
    kh: number, kw: number, sH: number, sW: number, pH: number, pW: number, outH: number, outW: number, col: number, gs: number): void;
  copyF32(dst: number, src: number, n: number): void;
  lifForward(x: number, v0: number, alpha: number, theta: number, sub: number, minV: number, spikes: number, v: number,
    T: number, N: number, P: number, maxSpikes: number, scratch: number, ld: number, zero: number): void;
  lifBackward(gS: number, gV: number, v: number, alpha: number, theta: number, sub: number, minV: number, dx: number,
    dv0: number, spikes: number, v0: number, dAlpha: number, T: number, N: number, P: number, exodus: number,
    kind: number, q0: number, q1: number, q2: number, q3: number, q4: number, q5: number, scratch: number,
    maxSpikes: number, ld: number, gsRow: number, zero: number, dTheta: number, thetaInReset: number): void;
  lifScratchBytes(P: number): number;
  leakyForward(x: number, v0: number, alpha: number, y: number, T: number, N: number, P: number, ld: number): void;
  leakyBackward(gY: number, alpha: number, dx: number, dv0: number, y: number, v0: number, dAlpha: number,
    T: number, N: number, P: number, scratch: number, ld: number): void;
  surrogateGrad(v: number, theta: number, g: number, dv: number, n: number, P: number,
    kind: number, q0: number, q1: number, q2: number, q3: number, q4: number, q5: number): void;
  spikeFn(v: number, theta: number, s: number, n: number, P: number, maxSpikes: number): void;
  unary(x: number, y: number, n: number, op: number, p: number): void;
  binary(a: number, b: number, y: number, n: number, op: number, layout: number, L: number, lb: number): void;
  reduce(x: number, y: number, outer: number, mid: number, inner: number, op: number): void;
  softmaxCrossEntropy(logits: number, labels: number, loss: number, dl: number, rows: number, classes: number): void;
  adamUpdate(p: number, g: number, m: number, v: number, n: number, lr: number, b1: number, b2: number, eps: number,
    wd: number, decoupled: number, invBc1: number, invSqrtBc2: number): void;
  sgdUpdate(p: number, g: number, buf: number, n: number, lr: number, momentum: number, dampening: number,
    nesterov: number, wd: number, first: number): void;
  im2col(x: number, col: number, cIn: number, h: number, w: number, kh: number, kw: number, sH: number, sW: number,
    pH: number, pW: number, outH: number, outW: number): void;
  col2im(col: number, dx: number, cIn: number, h: number, w: number, kh: number, kw: number, sH: number, sW: number,
    pH: number, pW: number, outH: number, outW: number): void;
  pool2d(x: number, y: number, planes: number, h: number, w: number, kh: number, kw: number, sH: number, sW: number,
    outH: number, outW: number, scale: number): void;
  pool2dBackward(dy: number, dx: number, planes: number, h: number, w: number, kh: number, kw: number, sH: number,
    sW: number, outH: number, outW: number, scale: number): void;
}


/** Exports the worker threads may run (index = position, shared with threads.ts). */
export const PARALLEL_EXPORTS = [
  "gemm", "gemmSparseA", "gemmSparseAT", "countNonzeroTo", "lifForward", "lifBackward", "leakyForward",
  "leakyBackward", "unary", "binary", "reduce", "spikeFn", "surrogateGrad", "adamUpdate", "sgdUpdate", "fillF32",
  "copyF32", "conv2dSparse", "conv2dSparseFilter", "conv2dBatch", "conv2dBackwardDataBatch", "conv2dBackwardFilterBatch",
] as const;
export type ParallelExport = (typeof PARALLEL_EXPORTS)[number];

export const UNARY_OPS: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, abs: 3, sqrt: 4, relu: 5, square: 6, sigmoid: 7, tanh: 8, sign: 9, reciprocal: 10,
  scale: 11, addScalar: 12, clampMin: 13, powScalar: 14, clampMax: 15, gtScalar: 16, geScalar: 17, isNonFinite: 18,
};
export const BINARY_OPS: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, gt: 6, ge: 7, eq: 8, pow: 9 };
export const REDUCE_OPS = { sum: 0, max: 1, min: 2, mean: 3 } as const;

/**
 * Surrogate kind code and parameters q0..q5 in the form assembly/simd.ts surrogate4 reads them: divisions
 * and normalisations done here once, in f64 (see the table there).
 */
export function surrogateArgs(s: SurrogateSpec): [number, number, number, number, number, number, number] {
  const c = 1 / Math.sqrt(2 * Math.PI);
  switch (s.type) {
    case "SingleExponential": return [0, s.gradWidth, s.gradScale, 0, 0, 0, 0];
    case "PeriodicExponential": return [1, -1 / s.gradWidth, s.gradScale, 0, 0, 0, 0];
    case "Heaviside": return [2, s.window, 0, 0, 0, 0, 0];
    case "Gaussian": return [3, s.mu, 1 / s.sigma, (s.gradScale * c) / s.sigma, 0, 0, 0];
    case "MultiGaussian": {
      const wide = s.s * s.sigma;
      return [4, s.mu, 1 / s.sigma, ((1 + s.h) * s.gradScale * c) / s.sigma, s.sigma, 1 / wide, (s.h * s.gradScale * c) / wide];
    }
  }
}
