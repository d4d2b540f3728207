/**
 * The wasm CPU backend: float32 buffers in one wasm linear memory, kernels compiled from AssemblyScript
 * (./assembly, built by scripts/build-wasm.mjs into ./build/{simd,relaxed}.wasm). Loads synchronously
 * (Node: fs + new WebAssembly.Module), picking the relaxed-SIMD build when the runtime validates it.
 * Memory is a size-class pool: a training loop that allocates the same sizes every step reuses blocks and
 * linear memory stops growing. Kernels it lacks run as ref code on views of the same memory (registry.ts).
 */
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { ConfigError } from "../../errors.js";
import { kernelsOverViews } from "../array-backend.js";
import type {
  Backend, BinaryOp, Buf, DType, FArray, Kernels, MemoryStats, SurrogateSpec, UnaryOp,
} from "../contract.js";
import { refArrayKernels } from "../ref/index.js";
import { registerBackend } from "../registry.js";
import { binaryFn } from "../ref/elementwise.js";

// tsconfig's lib (ES2022, no DOM) has no WebAssembly types: declare the little we use, locally.
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
type WasmModule = object;
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The module's exports (see assembly/index.ts); pointers are byte offsets into linear memory. */
interface WasmExports {
  memory: WasmMemory;
  heapBase(): number;
  gemm(a: number, b: number, c: number, m: number, n: number, k: number, tA: number, tB: number, acc: number, alpha: number, scratch: number): void;
  gemmScratchBytes(): number;
  gemmSparseA(a: number, b: number, c: number, m: number, n: number, k: number, acc: number, alpha: number, idx: number): void;
  gemmSparseAT(a: number, b: number, c: number, m: number, n: number, k: number, acc: number, alpha: number): void;
  countNonzero(x: number, len: number): number;
  transposeBlocks(src: number, dst: number, outer: number, rows: number, cols: number, inner: number): void;
  lifForward(x: number, v0: number, alpha: number, theta: number, sub: number, minV: number, spikes: number, v: number,
    T: number, N: number, P: number, maxSpikes: number, scratch: number): void;
  lifBackward(gS: number, gV: number, v: number, alpha: number, theta: number, sub: number, minV: number, dx: number,
    dv0: number, spikes: number, v0: number, dAlpha: number, T: number, N: number, P: number, exodus: number,
    kind: number, q0: number, q1: number, q2: number, q3: number, q4: number, q5: number, scratch: number,
    maxSpikes: number): void;
  lifScratchBytes(P: number): number;
  leakyForward(x: number, v0: number, alpha: number, y: number, T: number, N: number, P: number): void;
  leakyBackward(gY: number, alpha: number, dx: number, dv0: number, y: number, v0: number, dAlpha: number,
    T: number, N: number, P: number, scratch: number): void;
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

export type WasmVariant = "relaxed" | "simd";

/**
 * Below these fractions of nonzeros in `a`, gemm with `aSparse` takes the spike-sparse path (per call, after
 * counting a's nonzeros). Measured by bench/kernels.ts on the 2-core dev machine (Zen 4, relaxed build,
 * dense ≈ 48 GFLOP/s cpu-time): at 8000×512×512 sparse wins up to ≈ 45 % density for a·b and a·bᵀ, and up
 * to ≈ 28 % for the weight-gradient shape aᵀ·b (row scatter); thresholds leave a margin for timing noise.
 */
export const SPARSE_DENSITY_MAX = { rows: 0.35, transA: 0.2 } as const;

const UNARY_OPS: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, abs: 3, sqrt: 4, relu: 5, square: 6, sigmoid: 7, tanh: 8, sign: 9, reciprocal: 10,
  scale: 11, addScalar: 12, clampMin: 13, powScalar: 14, clampMax: 15, gtScalar: 16, geScalar: 17, isNonFinite: 18,
};
const BINARY_OPS: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, gt: 6, ge: 7, eq: 8, pow: 9 };
const REDUCE_OPS = { sum: 0, max: 1, min: 2, mean: 3 } as const;

/**
 * Surrogate kind code and parameters q0..q5 in the form assembly/simd.ts surrogate4 reads them: divisions
 * and normalisations done here once, in f64 (see the table there).
 */
function surrogateArgs(s: SurrogateSpec): [number, number, number, number, number, number, number] {
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

let relaxedFlagSet = false;

/** Reads and compiles the kernel module; prefers relaxed SIMD (FMA) when this runtime validates it. */
export function loadWasmModule(prefer: WasmVariant | "auto" = "auto"): { module: WasmModule; variant: WasmVariant } {
  const read = (v: WasmVariant): Uint8Array => readFileSync(new URL(`./build/${v}.wasm`, import.meta.url));
  let bytes: Uint8Array;
  try {
    bytes = read("simd");
  } catch (e) {
    throw new ConfigError(
      `wasm backend: kernel module not found (${(e as Error).message}); run 'npm run build:wasm' or use setBackend("ref")`,
    );
  }
  if (prefer !== "simd") {
    let rb: Uint8Array | null = null;
    try { rb = read("relaxed"); } catch { /* plain SIMD only */ }
    if (rb) {
      let ok = WA.validate(rb);
      if (!ok && !relaxedFlagSet) {
        // Node 20 (V8 11.3) ships relaxed SIMD behind a flag, which must be set before the module is compiled;
        // newer runtimes validate without it, so the flag is only touched when needed.
        relaxedFlagSet = true;
        try { v8.setFlagsFromString("--experimental-wasm-relaxed-simd"); } catch { /* flag unknown here */ }
        ok = WA.validate(rb);
      }
      if (ok) return { module: new WA.Module(rb), variant: "relaxed" };
    }
    if (prefer === "relaxed") throw new ConfigError("wasm backend: relaxed SIMD is not supported by this runtime");
  }
  return { module: new WA.Module(bytes), variant: "simd" };
}

interface Block { ptr: number; bytes: number; buf: Buf; view: Float32Array | null }

const ALIGN = 64;
const COLOR_MIN_BYTES = 1 << 20;
const COLOR_STEP = 4160;
const COLORS = 16;
const PAGE = 65536;
let nextId = 1;

/** Size class of a block: multiples of 64 B, then eighths of the next power of two (≤ 12.5 % waste). */
export function sizeClass(bytes: number): number {
  if (bytes <= ALIGN) return ALIGN;
  const p2 = 2 ** Math.ceil(Math.log2(bytes));
  const step = Math.max(ALIGN, p2 / 8);
  return Math.ceil(bytes / step) * step;
}

export class WasmBackend implements Backend {
  readonly name = "wasm" as const;
  readonly dtypes: readonly DType[] = ["float32"];
  readonly variant: WasmVariant;
  private readonly ex: WasmExports;
  private readonly mem: WasmMemory;
  private top: number;
  private readonly base: number;
  private readonly freeLists = new Map<number, number[]>();
  private readonly live = new Map<number, Block>();
  private readonly scratchBlocks = new Map<string, { ptr: number; bytes: number }>();
  private bytesInUse = 0;
  private color = 0;
  /** Override of SPARSE_DENSITY_MAX (both shapes) for this instance: tests force either path, benches sweep it. */
  sparseDensityMax: number | undefined = undefined;
  readonly kernels: Partial<Kernels>;

  constructor(opts: { variant?: WasmVariant | "auto" } = {}) {
    const { module, variant } = loadWasmModule(opts.variant ?? "auto");
    const instance = new WA.Instance(module, {
      env: {
        abort(): never { throw new Error("wasm backend: kernel aborted"); },
      },
    });
    this.ex = instance.exports as unknown as WasmExports;
    this.mem = this.ex.memory;
    this.variant = variant;
    this.base = Math.ceil(Math.max(this.ex.heapBase(), ALIGN) / ALIGN) * ALIGN;
    this.top = this.base;
    this.kernels = this.makeKernels();
  }

  // ---- memory --------------------------------------------------------------------------------------

  private reserve(bytes: number): number {
    const cls = sizeClass(bytes);
    const list = this.freeLists.get(cls);
    if (list && list.length > 0) return list.pop()!;
    // Cache colouring: large blocks of one size class would otherwise sit exactly a power of two apart,
    // so the streams of a scan (v, gS, dx) collide in the same cache sets and DRAM banks. A rotating
    // offset of k·4160 B (65 lines) between new large blocks measured +25 % on the EXODUS backward.
    if (cls >= COLOR_MIN_BYTES) this.top += (this.color++ % COLORS) * COLOR_STEP;
    const ptr = this.top;
    this.top += cls;
    const need = this.top - this.mem.buffer.byteLength;
    if (need > 0) {
      // Grow by at least 1/8 of the current size so a growing workload does few (detaching) grows.
      const pages = Math.max(Math.ceil(need / PAGE), Math.ceil(this.mem.buffer.byteLength / PAGE / 8));
      try {
        this.mem.grow(pages);
      } catch {
        this.mem.grow(Math.ceil(need / PAGE));
      }
    }
    return ptr;
  }

  private release(ptr: number, bytes: number): void {
    const cls = sizeClass(bytes);
    let list = this.freeLists.get(cls);
    if (!list) this.freeLists.set(cls, (list = []));
    list.push(ptr);
  }

  /** A reusable JS-owned scratch block per purpose (gemm packing, im2col); grows, never shrinks. */
  private scratch(slot: string, bytes: number): number {
    const have = this.scratchBlocks.get(slot);
    if (have && have.bytes >= bytes) return have.ptr;
    if (have) this.release(have.ptr, have.bytes);
    const sz = sizeClass(Math.max(bytes, 64));
    const ptr = this.reserve(sz);
    this.scratchBlocks.set(slot, { ptr, bytes: sz });
    return ptr;
  }

  alloc(dtype: DType, length: number): Buf {
    if (dtype !== "float32") {
      throw new ConfigError(`wasm backend: dtype '${dtype}' is not supported (float32 only); use the ref backend for float64 (setBackend("ref"))`);
    }
    if (!Number.isInteger(length) || length < 0) throw new ConfigError(`wasm backend: invalid buffer length ${length}`);
    const bytes = length * 4;
    const ptr = this.reserve(bytes);
    const buf: Buf = { id: nextId++, dtype, length, owner: "wasm" };
    this.live.set(buf.id, { ptr, bytes, buf, view: null });
    this.bytesInUse += bytes;
    return buf;
  }

  free(buf: Buf): void {
    const b = this.live.get(buf.id);
    if (!b) {
      throw new Error(`wasm backend: buffer #${buf.id} (${buf.dtype}[${buf.length}]) freed twice or never allocated here`);
    }
    this.live.delete(buf.id);
    this.bytesInUse -= b.bytes;
    this.release(b.ptr, b.bytes);
  }

  private block(buf: Buf): Block {
    const b = this.live.get(buf.id);
    if (!b) throw new Error(`wasm backend: buffer #${buf.id} (${buf.dtype}[${buf.length}]) is not live here (used after free?)`);
    return b;
  }

  /** Byte offset of a live buffer, for kernel calls. */
  private p(buf: Buf): number {
    return this.block(buf).ptr;
  }

  private po(buf: Buf | undefined): number {
    return buf ? this.block(buf).ptr : 0;
  }

  /** Live view over linear memory; invalid after the next alloc/free (memory.grow detaches the buffer). */
  view(buf: Buf): Float32Array {
    const b = this.block(buf);
    if (b.view && b.view.buffer === this.mem.buffer) return b.view;
    b.view = new Float32Array(this.mem.buffer, b.ptr, buf.length);
    return b.view;
  }

  upload(buf: Buf, src: ArrayLike<number>): void {
    this.view(buf).set(src);
  }

  downloadSync(buf: Buf): FArray {
    return this.view(buf).slice();
  }

  async download(buf: Buf): Promise<FArray> {
    return this.downloadSync(buf);
  }

  async sync(): Promise<void> {}

  memoryStats(): MemoryStats {
    return { bytesInUse: this.bytesInUse, bytesReserved: this.top - this.base, buffers: this.live.size };
  }

  /** Linear memory size in bytes (what the OS sees); for the no-growth tests. */
  memoryBytes(): number {
    return this.mem.buffer.byteLength;
  }

  dispose(): void {
    this.live.clear();
    this.freeLists.clear();
    this.scratchBlocks.clear();
    this.top = this.base;
    this.bytesInUse = 0;
  }

  // ---- kernels -------------------------------------------------------------------------------------

  /** gemm on raw pointers, dense or spike-sparse; also used by the conv kernels. */
  private gemmPtr(a: number, b: number, c: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    accumulate: boolean, alpha: number, aSparse: boolean): void {
    const ex = this.ex;
    if (aSparse && m > 0 && n > 0 && k > 0) {
      const nnz = ex.countNonzero(a, m * k);
      if (nnz <= (this.sparseDensityMax ?? (transA ? SPARSE_DENSITY_MAX.transA : SPARSE_DENSITY_MAX.rows)) * m * k) {
        let bp = b;
        if (transB) {
          // b is stored [n, k]: make it [k, n] so nonzero entries of a select contiguous rows
          bp = this.scratch("sparseB", k * n * 4);
          ex.transposeBlocks(b, bp, 1, n, k, 1);
        }
        if (transA) ex.gemmSparseAT(a, bp, c, m, n, k, accumulate ? 1 : 0, alpha);
        else ex.gemmSparseA(a, bp, c, m, n, k, accumulate ? 1 : 0, alpha, this.scratch("sparseIdx", k * 4));
        return;
      }
    }
    ex.gemm(a, b, c, m, n, k, transA ? 1 : 0, transB ? 1 : 0, accumulate ? 1 : 0, alpha,
      this.scratch("gemm", ex.gemmScratchBytes()));
  }

  private makeKernels(): Partial<Kernels> {
    const ex = this.ex;
    const fb = kernelsOverViews(refArrayKernels, (b) => this.view(b));
    const k: Partial<Kernels> = {
      unary: ({ x, y }, at) => {
        ex.unary(this.p(x), this.p(y), at.n, UNARY_OPS[at.op], at.p ?? 0);
      },

      binary: (io, at) => {
        if (io.a.length === 1 && io.b.length === 1 && io.y.length > 1) {
          // both scalars, larger output: an expand (autograd's reduction backward) is a fill
          const n = at.yShape.reduce((p, d) => p * d, 1);
          this.view(io.y).fill(binaryFn(at.op)(this.view(io.a)[0]!, this.view(io.b)[0]!), 0, n);
          return;
        }
        const layout = binaryLayout(io.a.length, io.b.length, at.aShape, at.bShape, at.yShape);
        if (!layout) return fb.binary(io, at);
        ex.binary(this.p(io.a), this.p(io.b), this.p(io.y), layout.n, BINARY_OPS[at.op], layout.code, layout.L, layout.lb);
      },

      fill: ({ y }, at) => {
        this.view(y).fill(at.value, 0, at.n);
      },

      copy: ({ x, y }, at) => {
        if (at.n <= 0) return;
        const mem = new Float32Array(this.mem.buffer);
        const src = this.p(x) / 4 + at.srcOffset;
        mem.copyWithin(this.p(y) / 4 + at.dstOffset, src, src + at.n);
      },

      permute: (io, at) => {
        const plan = permutePlan(at.shape, at.perm);
        if (!plan) return fb.permute(io, at);
        const total = at.shape.reduce((s, d) => s * d, 1);
        if (plan.identity) {
          if (total > 0) new Float32Array(this.mem.buffer).copyWithin(this.p(io.y) / 4, this.p(io.x) / 4, this.p(io.x) / 4 + total);
          return;
        }
        ex.transposeBlocks(this.p(io.x), this.p(io.y), plan.outer, plan.rows, plan.cols, plan.inner);
      },

      reduce: ({ x, y }, at) => {
        ex.reduce(this.p(x), this.p(y), at.outer, at.mid, at.inner, REDUCE_OPS[at.op]);
      },

      gemm: ({ a, b, c }, at) => {
        this.gemmPtr(this.p(a), this.p(b), this.p(c), at.m, at.n, at.k, at.transA, at.transB, at.accumulate,
          at.alpha ?? 1, at.aSparse ?? false);
      },

      conv2d: ({ x, w, y }, at) => {
        const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = at;
        const K = cIn * kh * kw, HW = outH * outW;
        const direct = isPointwise(at);
        const col = direct ? 0 : this.scratch("col", K * HW * 4);
        this.scratch("gemm", ex.gemmScratchBytes());
        const px = this.p(x), pw = this.p(w), py = this.p(y);
        for (let b = 0; b < batch; b++) {
          const xb = px + b * cIn * h * W * 4;
          if (!direct) ex.im2col(xb, col, cIn, h, W, kh, kw, strideH, strideW, padH, padW, outH, outW);
          this.gemmPtr(pw, direct ? xb : col, py + b * cOut * HW * 4, cOut, HW, K, false, false, false, 1, false);
        }
      },

      conv2dBackwardData: ({ dy, w, dx }, at) => {
        const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = at;
        const K = cIn * kh * kw, HW = outH * outW;
        const direct = isPointwise(at);
        const col = direct ? 0 : this.scratch("col", K * HW * 4);
        this.scratch("gemm", ex.gemmScratchBytes());
        const pdy = this.p(dy), pw = this.p(w), pdx = this.p(dx);
        for (let b = 0; b < batch; b++) {
          const dxb = pdx + b * cIn * h * W * 4;
          // dcol[K, HW] = wᵀ·dy_b, then scattered back (col2im zeroes dx_b first)
          this.gemmPtr(pw, pdy + b * cOut * HW * 4, direct ? dxb : col, K, HW, cOut, true, false, false, 1, false);
          if (!direct) ex.col2im(col, dxb, cIn, h, W, kh, kw, strideH, strideW, padH, padW, outH, outW);
        }
      },

      conv2dBackwardFilter: ({ x, dy, dw }, at) => {
        const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = at;
        const K = cIn * kh * kw, HW = outH * outW;
        if (batch === 0) { this.view(dw).fill(0, 0, cOut * K); return; }
        const direct = isPointwise(at);
        const col = direct ? 0 : this.scratch("col", K * HW * 4);
        this.scratch("gemm", ex.gemmScratchBytes());
        const px = this.p(x), pdy = this.p(dy), pdw = this.p(dw);
        for (let b = 0; b < batch; b++) {
          const xb = px + b * cIn * h * W * 4;
          if (!direct) ex.im2col(xb, col, cIn, h, W, kh, kw, strideH, strideW, padH, padW, outH, outW);
          // dw[cOut, K] (+)= dy_b[cOut, HW] · col_bᵀ
          this.gemmPtr(pdy + b * cOut * HW * 4, direct ? xb : col, pdw, cOut, K, HW, false, true, b > 0, 1, false);
        }
      },

      pool2d: ({ x, y }, at) => {
        const scale = at.mode === "avg" ? 1 / (at.kh * at.kw) : 1;
        ex.pool2d(this.p(x), this.p(y), at.planes, at.h, at.w, at.kh, at.kw, at.strideH, at.strideW, at.outH, at.outW, scale);
      },

      pool2dBackward: ({ dy, dx }, at) => {
        const scale = at.mode === "avg" ? 1 / (at.kh * at.kw) : 1;
        ex.pool2dBackward(this.p(dy), this.p(dx), at.planes, at.h, at.w, at.kh, at.kw, at.strideH, at.strideW, at.outH, at.outW, scale);
      },

      softmaxCrossEntropy: ({ logits, labels, loss, dlogits }, at) => {
        ex.softmaxCrossEntropy(this.p(logits), this.p(labels), this.p(loss), this.po(dlogits), at.rows, at.classes);
      },

      lifForward: (io, at) => {
        ex.lifForward(this.p(io.x), this.p(io.v0), this.p(io.alpha), this.p(io.theta), this.p(io.sub),
          at.hasMinV ? this.po(io.minV) : 0, this.p(io.spikes), this.p(io.v), at.T, at.N, at.P, at.maxSpikes,
          this.scratch("lif", ex.lifScratchBytes(at.P)));
      },

      lifBackward: (io, at) => {
        const [kind, q0, q1, q2, q3, q4, q5] = surrogateArgs(at.surrogate);
        const withAlpha = io.dAlpha && io.spikes && io.v0;
        if (io.dAlpha && !withAlpha) this.view(io.dAlpha).fill(0, 0, at.P);
        ex.lifBackward(this.p(io.gS), this.po(io.gV), this.p(io.v), this.p(io.alpha), this.p(io.theta), this.p(io.sub),
          at.hasMinV ? this.po(io.minV) : 0, this.p(io.dx), this.p(io.dv0), this.po(io.spikes), this.po(io.v0),
          withAlpha ? this.p(io.dAlpha!) : 0, at.T, at.N, at.P, at.mode === "exodus" ? 1 : 0, kind, q0, q1, q2, q3, q4, q5,
          this.scratch("lif", ex.lifScratchBytes(at.P)), at.maxSpikes);
      },

      leakyForward: ({ x, v0, alpha, y }, at) => {
        ex.leakyForward(this.p(x), this.p(v0), this.p(alpha), this.p(y), at.T, at.N, at.P);
      },

      leakyBackward: (io, at) => {
        const withAlpha = io.dAlpha && io.y && io.v0;
        if (io.dAlpha && !withAlpha) this.view(io.dAlpha).fill(0, 0, at.P);
        ex.leakyBackward(this.p(io.gY), this.p(io.alpha), this.p(io.dx), this.p(io.dv0), this.po(io.y), this.po(io.v0),
          withAlpha ? this.p(io.dAlpha!) : 0, at.T, at.N, at.P, this.scratch("lif", ex.lifScratchBytes(at.P)));
      },

      spikeFn: ({ v, theta, s }, at) => {
        ex.spikeFn(this.p(v), this.p(theta), this.p(s), at.n, at.P, at.maxSpikes);
      },

      surrogateGrad: ({ v, theta, g, dv }, at) => {
        const [kind, q0, q1, q2, q3, q4, q5] = surrogateArgs(at.surrogate);
        ex.surrogateGrad(this.p(v), this.p(theta), this.p(g), this.p(dv), at.n, at.P, kind, q0, q1, q2, q3, q4, q5);
      },

      adamUpdate: ({ p, g, m, v }, at) => {
        const invBc1 = 1 / (1 - Math.pow(at.beta1, at.step));
        const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(at.beta2, at.step));
        ex.adamUpdate(this.p(p), this.p(g), this.p(m), this.p(v), at.n, at.lr, at.beta1, at.beta2, at.eps,
          at.weightDecay, at.decoupled ? 1 : 0, invBc1, invSqrtBc2);
      },

      sgdUpdate: ({ p, g, buf }, at) => {
        ex.sgdUpdate(this.p(p), this.p(g), at.momentum !== 0 ? this.p(buf) : 0, at.n, at.lr, at.momentum,
          at.dampening, at.nesterov ? 1 : 0, at.weightDecay, at.first ? 1 : 0);
      },
    };
    return k;
  }
}

function isPointwise(at: { kh: number; kw: number; strideH: number; strideW: number; padH: number; padW: number }): boolean {
  return at.kh === 1 && at.kw === 1 && at.strideH === 1 && at.strideW === 1 && at.padH === 0 && at.padW === 0;
}

/**
 * Which fast layout of assembly/elementwise.ts binary() fits these shapes, or null for general broadcasting
 * (ref fallback). Codes: 0 same, 1 b scalar, 2 a scalar, 3/4 b/a repeats over rows (trailing dims),
 * 5/6 b/a is a column (shape [..., R, 1] against [..., R, C]).
 */
export function binaryLayout(
  aLen: number, bLen: number, aShape: number[], bShape: number[], yShape: number[],
): { code: number; n: number; L: number; lb: number } | null {
  const n = yShape.reduce((s, d) => s * d, 1);
  if (n === 0) return { code: 0, n: 0, L: 1, lb: 1 };
  if (aLen === n && bLen === n) return { code: 0, n, L: 1, lb: 1 };
  if (aLen === n && bLen === 1) return { code: 1, n, L: 1, lb: 1 };
  if (aLen === 1 && bLen === n) return { code: 2, n, L: 1, lb: 1 };
  const side = (shape: number[]): { code: "row" | "col"; L: number } | null => {
    const r = yShape.length;
    const s = [...new Array<number>(r - shape.length).fill(1), ...shape];
    let i = 0;
    while (i < r && s[i] === 1) i++;
    // row: s = [1.., y[i..]]
    let row = true;
    for (let j = i; j < r; j++) if (s[j] !== yShape[j]) row = false;
    if (row) return { code: "row", L: yShape.slice(i).reduce((p, d) => p * d, 1) };
    // column: s = [1.., y[i..r-2], 1]
    if (r >= 2 && s[r - 1] === 1 && yShape[r - 1] !== 1) {
      let col = true;
      for (let j = i; j < r - 1; j++) if (s[j] !== yShape[j]) col = false;
      if (col) return { code: "col", L: yShape[r - 1]! };
    }
    return null;
  };
  if (aLen === n) {
    const b = side(bShape);
    if (b?.code === "row") return { code: 3, n, L: b.L, lb: bLen };
    if (b?.code === "col") return { code: 5, n, L: b.L, lb: bLen };
  }
  if (bLen === n) {
    const a = side(aShape);
    if (a?.code === "row") return { code: 4, n, L: a.L, lb: aLen };
    if (a?.code === "col") return { code: 6, n, L: a.L, lb: aLen };
  }
  return null;
}

/**
 * Reduces a permutation to [outer, rows, cols, inner] → [outer, cols, rows, inner] (one transposeBlocks
 * call) after dropping size-1 axes and merging axes that stay adjacent; null when it needs more than that.
 */
export function permutePlan(shape: number[], perm: number[]):
  { identity: boolean; outer: number; rows: number; cols: number; inner: number } | null {
  // Groups of input axes that stay consecutive (ignoring size-1 axes) in output order.
  const groups: { start: number; end: number; size: number }[] = [];
  for (const ax of perm) {
    if (shape[ax] === 1) continue;
    const last = groups[groups.length - 1];
    if (last && prevNonUnit(shape, ax) === last.end) {
      last.end = ax;
      last.size *= shape[ax]!;
    } else {
      groups.push({ start: ax, end: ax, size: shape[ax]! });
    }
  }
  const G = groups.length;
  const inputOrder = groups.map((_, i) => i).sort((x, y) => groups[x]!.start - groups[y]!.start);
  const sizes = inputOrder.map((i) => groups[i]!.size);
  const outPerm = new Array<number>(G);
  inputOrder.forEach((gi, j) => (outPerm[gi] = j));
  if (outPerm.every((v, i) => v === i)) return { identity: true, outer: 1, rows: 1, cols: 1, inner: 1 };
  const is = (p: number[]): boolean => p.length === G && p.every((v, i) => v === outPerm[i]);
  if (is([1, 0])) return { identity: false, outer: 1, rows: sizes[0]!, cols: sizes[1]!, inner: 1 };
  if (is([0, 2, 1])) return { identity: false, outer: sizes[0]!, rows: sizes[1]!, cols: sizes[2]!, inner: 1 };
  if (is([1, 0, 2])) return { identity: false, outer: 1, rows: sizes[0]!, cols: sizes[1]!, inner: sizes[2]! };
  if (is([0, 2, 1, 3])) return { identity: false, outer: sizes[0]!, rows: sizes[1]!, cols: sizes[2]!, inner: sizes[3]! };
  return null;
}

/** The nearest input axis before ax whose size is not 1 (−1 if none). */
function prevNonUnit(shape: number[], ax: number): number {
  for (let i = ax - 1; i >= 0; i--) if (shape[i] !== 1) return i;
  return -1;
}

registerBackend("wasm", () => new WasmBackend());
