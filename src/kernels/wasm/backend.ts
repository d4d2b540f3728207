/**
 * The wasm CPU backend: float32 buffers in one wasm linear memory, kernels compiled from AssemblyScript
 * (./assembly, built by scripts/build-wasm.mjs into ./build/{simd,relaxed}.wasm), loaded by module.ts
 * (synchronously in Node, `createWasmBackend` anywhere). No registration here: registry.ts owns the name.
 * Memory is a size-class pool: a training loop that allocates the same sizes every step reuses blocks and
 * linear memory stops growing. Kernels it lacks run as ref code on views of the same memory (registry.ts).
 */
import { platform } from "#platform";
import { ConfigError, DisposedError } from "../../errors.js";
import { kernelsOverViews } from "../array-backend.js";
import { spikeGradPeriod, type Backend, type Buf, type Conv2dAttrs, type DType, type FArray, type Kernels, type MemoryStats } from "../contract.js";
import { refArrayKernels } from "../ref/index.js";
import { binaryFn } from "../broadcast.js";
import {
  BINARY_OPS, PARALLEL_EXPORTS, REDUCE_OPS, UNARY_OPS, WA, surrogateArgs,
  type ParallelExport, type WasmExports, type WasmMemory, type WasmModule,
} from "./abi.js";
import { loadWasmModule, loadWasmModuleAsync, type WasmVariant } from "./module.js";
import { binaryLayout, gcd, isPointwise, off, paramAlign, permutePlan } from "./plan.js";
import { KernelThreads } from "./threads.js";

export { binaryLayout, permutePlan } from "./plan.js";
export { loadWasmModule, loadWasmModuleAsync, type WasmVariant } from "./module.js";

/**
 * Below these fractions of nonzeros in `a`, gemm with `aSparse` takes the spike-sparse path (per call, after
 * counting a's nonzeros); for the weight-gradient shape aᵀ·b the fraction is transA·n/(n + SPARSE_AT_N0).
 * Measured with `node --import tsx bench/kernels.ts --sparse` (random 0/1 spikes; default backend, 2 kernel
 * threads, wall clock; the one-thread CPU-time sweep agrees within ~0.1×) on the shared 2-core dev machine
 * (AMD EPYC, Zen 4, relaxed build), sparse time vs dense:
 * - a·b, 8000×512×512 / 8000×1024×1024 (vector-built index, 6-row groups): 0.36/0.36 at 20 %, 0.52/0.53 at
 *   30 %, 0.67/0.69 at 40 %, 0.82/0.84 at 50 %, 0.97/0.99 at 60 %, 1.10/1.11 at 70 % (the old kernel: 0.90 at
 *   40 %, 1.08 at 50 %, when rows was 0.35).
 * - aᵀ·b, m=n=512 and 1024, k=8000: 0.36/0.31 at 20 %, 0.71/0.67 at 50 %, 0.94/0.88 at 70 % (indexed
 *   gather kernel); it loses from ≈ 75 %.
 * - aᵀ·b with narrow c (n = 10…384; m=128, k=2000 and m=1024, k=8000; ad-hoc sweeps, not in the bench):
 *   the per-nonzero overhead (index, b packing, strip padding) weighs more: it crosses at ≈ 3–8 % for
 *   n = 10–24, ≈ 30 % (m=128) / 45 % (m=1024) for n = 48, ≈ 45 % / > 50 % for n = 96, > 50 % from n = 192.
 * transA·n/(n + 200) gives 0.42 at n=1024, 0.36 at 512, 0.25 at 192, 0.16 at 96, 0.12 at 64, 0.10 at 48,
 * 0.05 at 24, 0.02 at 10: below the measured crossovers (at n = 24 about at the lowest, where the two paths
 * cost about the same), with room for timing noise and less regular spike patterns. (A layer whose density
 * sits at its threshold takes both paths and so holds both paths' scratch.)
 */
export const SPARSE_DENSITY_MAX = { rows: 0.5, transA: 0.5 } as const;
/** Narrow-c scale of the aᵀ·b threshold (see SPARSE_DENSITY_MAX). */
const SPARSE_AT_N0 = 200;
/**
 * Below this fraction of nonzeros aᵀ·b scatters rows of b into c (no index) instead of indexing a and
 * gathering (see gemmSparseAT): measured equal at ≈ 3 % for n = 1024, ≈ 5–8 % for n ≤ 384.
 */
const SPARSE_AT_SCATTER_MAX = 0.04;

/**
 * Below this fraction of nonzeros in x, conv2d and its weight gradient with xSparse take the spike-driven
 * kernels (assembly/conv.ts). Measured with `node --import tsx bench/kernels.ts --conv` (2 threads, 200
 * images; dense = im2col + gemm split over images): the forward breaks even at ≈ 28 % (16×16×16 → 32, 3×3)
 * and ≈ 35 % (2×34×34 → 16, 5×5) density, the weight gradient at ≈ 33 % and ≈ 50 %; 3.6–5.1× faster at 5 %.
 */
export const CONV_SPARSE_DENSITY_MAX = 0.25;

/** Calls below these sizes run on one thread (a dispatch costs ~10–30 µs): floats streamed, multiply-adds. */
const PAR_MIN_ELEMS = 1 << 16;
const PAR_MIN_MACS = 1 << 21;

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
  /** Override of the smallest call worth splitting across threads (0: split every call): tests, benches. */
  parallelMinWork: number | undefined = undefined;
  readonly kernels: Partial<Kernels>;

  /** Threads a kernel call may use (1: no workers). */
  readonly threads: number;
  private readonly pool: KernelThreads | null = null;

  /**
   * `threads`: kernel threads including the calling one; default EXODUS_THREADS, else the machine's
   * available parallelism (at most 8). Above 1 the "-mt" module runs on a shared memory with workers.
   */
  constructor(opts: WasmBackendOptions = {}) {
    const threads = resolveThreads(opts.threads);
    const threaded = threads > 1;
    const { module, variant } = opts.compiled ?? loadWasmModule(opts.variant ?? "auto", threaded);
    const env: Record<string, unknown> = {
      abort(): never { throw new Error("wasm backend: kernel aborted"); },
    };
    // 65536 pages = the 4 GiB the -mt build declares as its maximum (shared memories need one).
    const shared = threaded ? new WA.Memory({ initial: 16, maximum: 65536, shared: true }) : null;
    if (shared) env.memory = shared;
    const instance = new WA.Instance(module, { env });
    this.ex = instance.exports as unknown as WasmExports;
    this.mem = shared ?? this.ex.memory;
    this.variant = variant;
    this.threads = threads;
    if (shared) this.pool = new KernelThreads(module, shared, threads - 1, PARALLEL_EXPORTS);
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
        try {
          this.mem.grow(Math.ceil(need / PAGE));
        } catch {
          this.top -= cls;
          throw new ConfigError(
            `the wasm backend needs ${((this.top + cls) / 2 ** 30).toFixed(2)} GiB, more than one wasm memory holds (4 GiB); ` +
              `lower --batch-size or --steps, downsample the input, or free tensors the step keeps (tidy/dispose)`,
          );
        }
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
      throw new DisposedError(`wasm backend: buffer #${buf.id} (${buf.dtype}[${buf.length}]) freed twice or never allocated here`);
    }
    this.live.delete(buf.id);
    this.bytesInUse -= b.bytes;
    this.release(b.ptr, b.bytes);
  }

  private block(buf: Buf): Block {
    const b = this.live.get(buf.id);
    if (!b) throw new DisposedError(`wasm backend: buffer #${buf.id} (${buf.dtype}[${buf.length}]) is not live here (used after free?)`);
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

  /** Resolves once the kernel threads have started (or been dropped, with a warning). */
  async ready(): Promise<void> {
    await this.pool?.ready();
  }

  dispose(): void {
    this.pool?.terminate();
    this.live.clear();
    this.freeLists.clear();
    this.scratchBlocks.clear();
    this.top = this.base;
    this.bytesInUse = 0;
  }

  // ---- kernels -------------------------------------------------------------------------------------

  // ---- threads -------------------------------------------------------------------------------------

  /**
   * Cuts [0, total) into one block per thread, block starts multiples of `align`; a single block when the
   * call is too small (`work` below `min`) to pay for waking the workers.
   */
  private cut(total: number, align: number, work: number, min: number = PAR_MIN_ELEMS): [number, number][] {
    const nt = this.pool?.count ?? 1;
    const units = Math.floor(total / align);
    const parts = Math.min(nt, units);
    if (parts <= 1 || work < (this.parallelMinWork ?? min)) return [[0, total]];
    const out: [number, number][] = [];
    let start = 0;
    for (let i = 0; i < parts; i++) {
      const end = i === parts - 1 ? total : Math.round((units * (i + 1)) / parts) * align;
      out.push([start, end]);
      start = end;
    }
    return out;
  }

  /** Runs export `fn` once per argument list: the first on this thread, the others on workers, all at once. */
  private par(fn: ParallelExport, parts: number[][]): void {
    const f = this.ex[fn] as unknown as (...a: number[]) => unknown;
    if (parts.length === 1) f(...parts[0]!);
    else this.pool!.run(fn, parts, f);
  }

  /**
   * Blocks of neuron columns of a [T, N] scan with per-neuron parameters read at n % P: any multiple of 4
   * when P = 1; P = N gives each block its own slice of the parameters (perNeuron; only when N % 4 = 0, so
   * every block takes the same row-streaming code as the whole and the bits match); otherwise block starts
   * are multiples of P (and 4), so n % P is the same in the block as in the whole.
   */
  private neuronBlocks(T: number, N: number, P: number): { blocks: [number, number][]; perNeuron: boolean } {
    if (P === N && P > 1) {
      return P % 4 === 0 ? { blocks: this.cut(N, 4, T * N), perNeuron: true } : { blocks: [[0, N]], perNeuron: false };
    }
    return { blocks: this.cut(N, P === 1 ? 4 : (P * 4) / gcd(P, 4), T * N), perNeuron: false };
  }

  private countNonzero(x: number, len: number): number {
    const blocks = this.cut(len, 4, len);
    if (blocks.length === 1) return this.ex.countNonzero(x, len);
    const out = this.scratch("nnz", 64 * blocks.length);
    this.par("countNonzeroTo", blocks.map(([s, e], t) => [x + s * 4, e - s, out + 64 * t]));
    const counts = new Int32Array(this.mem.buffer, out, 16 * blocks.length);
    let total = 0;
    for (let t = 0; t < blocks.length; t++) total += counts[16 * t]!;
    return total;
  }

  /** gemm on raw pointers, dense or spike-sparse; also used by the conv kernels. Threads split c's rows (or columns). */
  private gemmPtr(a: number, b: number, c: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    accumulate: boolean, alpha: number, aSparse: boolean): void {
    const ex = this.ex;
    const acc = accumulate ? 1 : 0;
    if (aSparse && m > 0 && n > 0 && k > 0) {
      const nnz = this.countNonzero(a, m * k);
      const max = transA ? (SPARSE_DENSITY_MAX.transA * n) / (n + SPARSE_AT_N0) : SPARSE_DENSITY_MAX.rows;
      if (nnz <= (this.sparseDensityMax ?? max) * m * k) {
        let bp = b;
        if (transB) {
          // b is stored [n, k]: make it [k, n] so nonzero entries of a select contiguous rows
          bp = this.scratch("sparseB", k * n * 4);
          ex.transposeBlocks(b, bp, 1, n, k, 1);
        }
        const work = nnz * n + m * n;
        if (transA) {
          // a stored [k, m]: a thread owns a block of c's rows, i.e. of a's columns (row stride m). Below
          // SPARSE_AT_SCATTER_MAX it scatters rows of b into c (kb = 0); above, it indexes its columns' nonzeros
          // kb rows of a at a time (kb sized so the block's index, 8 bytes a nonzero, is ≈ 128 KiB and stays in
          // L2) and gathers them into c (see gemmSparseAT).
          const scatter = nnz < SPARSE_AT_SCATTER_MAX * m * k;
          this.par("gemmSparseAT", this.cut(m, 4, work, PAR_MIN_MACS).map(([s, e], t) => {
            const rows = e - s;
            const fit = Math.round((16384 * m * k) / (Math.max(nnz, 1) * rows)); // rows of a whose index is ≈ 128 KiB
            const kbMax = Math.min(k, 2048);
            const kb = scatter ? 0 : Math.min(kbMax, Math.max(256, fit));
            // Sized for the largest kb and a full block (kbMax·rows entries), not this call's nonzeros: a shape
            // always reserves the same scratch, so a training loop's memory stops growing after its first step
            // (pages beyond the entries a call writes are never touched).
            const bytes = scatter ? 0 : 16 * (rows + 1) + 160 + 96 * kbMax + 8 * kbMax * rows;
            return [a + 4 * s, bp, c + 4 * s * n, rows, n, k, acc, alpha, m, kb, scatter ? 0 : this.scratch(`sparseAT${t}`, bytes)];
          }));
        } else {
          this.par("gemmSparseA", this.cut(m, 1, work, PAR_MIN_MACS).map(([s, e], t) =>
            [a + 4 * s * k, bp, c + 4 * s * n, e - s, n, k, acc, alpha, this.scratch(`sparseIdx${t}`, k * 8)]));
        }
        return;
      }
    }
    const rsA = transA ? 1 : k, csA = transA ? m : 1, rsB = transB ? 1 : n, csB = transB ? k : 1;
    const sb = ex.gemmScratchBytes();
    const work = m * n * k;
    // Rows unless c is short and wide (each thread packs all of b for its rows: rows keep that share small).
    const byRows = m >= n || m >= 256;
    const blocks = byRows ? this.cut(m, 4, work, PAR_MIN_MACS) : this.cut(n, 8, work, PAR_MIN_MACS);
    this.par("gemm", blocks.map(([s, e], t) => byRows
      ? [a + 4 * s * rsA, b, c + 4 * s * n, e - s, n, k, rsA, csA, rsB, csB, n, acc, alpha, this.scratch(`gemm${t}`, sb)]
      : [a, b + 4 * s * csB, c + 4 * s, m, e - s, k, rsA, csA, rsB, csB, n, acc, alpha, this.scratch(`gemm${t}`, sb)]));
  }

  private fillPtr(y: number, n: number, value: number): void {
    if (n > 0) this.par("fillF32", this.cut(n, 4, n).map(([s, e]) => [y + 4 * s, e - s, value]));
  }

  /** Copies n floats; split across threads only between distinct buffers (an overlapping move stays whole). */
  private copyPtr(dst: number, src: number, n: number, distinct: boolean): void {
    const blocks = distinct ? this.cut(n, 4, n) : [[0, n] as [number, number]];
    this.par("copyF32", blocks.map(([s, e]) => [dst + 4 * s, src + 4 * s, e - s]));
  }

  /** Multiply-adds of the last spike-sparse conv chosen by convSparse (for the thread split). */
  private convSparseWork = 0;

  /**
   * Whether a conv2d / weight-gradient call with this x takes the spike-driven kernels: the caller marked x
   * as spikes (xSparse) and its measured density is at most CONV_SPARSE_DENSITY_MAX (or the override).
   */
  private convSparse(x: Buf, at: Conv2dAttrs): boolean {
    if (!at.xSparse) return false;
    const n = at.batch * at.cIn * at.h * at.w;
    if (n === 0) return false;
    const nnz = this.countNonzero(this.p(x), n);
    this.convSparseWork = nnz * at.kh * at.kw * at.cOut;
    return nnz <= (this.sparseDensityMax ?? CONV_SPARSE_DENSITY_MAX) * n;
  }

  /** dst[0..n) += each of parts[·][0..n) in turn (other threads' partial sums). */
  private sumInto(dst: number, parts: number[], n: number): void {
    for (const src of parts) this.ex.binary(dst, src, dst, n, BINARY_OPS.add, 0, 1, 1);
  }

  /**
   * Where block t (columns from s) of a scan writes its α-gradient: its own slice of dAlpha when parameters
   * are per neuron; otherwise dAlpha itself for block 0 and a scratch row (summed in by sumInto) for the rest.
   */
  private dAlphaBlock(dAlpha: number, perNeuron: boolean, P: number, t: number, s: number): number {
    return !dAlpha ? 0 : perNeuron ? dAlpha + 4 * s : t === 0 ? dAlpha : this.scratch(`dAlpha${t}`, 4 * P);
  }

  private makeKernels(): Partial<Kernels> {
    const ex = this.ex;
    const fb = kernelsOverViews(refArrayKernels, (b) => this.view(b));
    const k: Partial<Kernels> = {
      unary: ({ x, y }, at) => {
        const px = this.p(x), py = this.p(y);
        this.par("unary", this.cut(at.n, 4, at.n).map(([s, e]) => [px + 4 * s, py + 4 * s, e - s, UNARY_OPS[at.op], at.p ?? 0]));
      },

      binary: (io, at) => {
        if (io.a.length === 1 && io.b.length === 1 && io.y.length > 1) {
          // both scalars, larger output: an expand (autograd's reduction backward) is a fill
          const n = at.yShape.reduce((p, d) => p * d, 1);
          this.fillPtr(this.p(io.y), n, binaryFn(at.op)(this.view(io.a)[0]!, this.view(io.b)[0]!));
          return;
        }
        const layout = binaryLayout(io.a.length, io.b.length, at.aShape, at.bShape, at.yShape);
        if (!layout) return fb.binary(io, at);
        const { code, n, L, lb } = layout;
        const pa = this.p(io.a), pb = this.p(io.b), py = this.p(io.y);
        // Blocks keep each layout's indexing: whole periods L for a repeating row (3/4), whole cycles of
        // the column (L·lb) for 5/6; the repeating operand is not offset.
        const align = code <= 2 ? 4 : code <= 4 ? L : L * lb;
        const offA = code !== 2 && code !== 4 && code !== 6, offB = code !== 1 && code !== 3 && code !== 5;
        this.par("binary", this.cut(n, align, n).map(([s, e]) =>
          [offA ? pa + 4 * s : pa, offB ? pb + 4 * s : pb, py + 4 * s, e - s, BINARY_OPS[at.op], code, L, lb]));
      },

      fill: ({ y }, at) => {
        this.fillPtr(this.p(y), at.n, at.value);
      },

      copy: ({ x, y }, at) => {
        if (at.n <= 0) return;
        this.copyPtr(this.p(y) + 4 * at.dstOffset, this.p(x) + 4 * at.srcOffset, at.n, x.id !== y.id);
      },

      permute: (io, at) => {
        const plan = permutePlan(at.shape, at.perm);
        if (!plan) return fb.permute(io, at);
        const total = at.shape.reduce((s, d) => s * d, 1);
        if (plan.identity) {
          if (total > 0) this.copyPtr(this.p(io.y), this.p(io.x), total, io.x.id !== io.y.id);
          return;
        }
        ex.transposeBlocks(this.p(io.x), this.p(io.y), plan.outer, plan.rows, plan.cols, plan.inner);
      },

      reduce: ({ x, y }, at) => {
        const px = this.p(x), py = this.p(y), { outer, mid, inner } = at;
        this.par("reduce", this.cut(outer, 1, outer * mid * inner).map(([s, e]) =>
          [px + 4 * s * mid * inner, py + 4 * s * inner, e - s, mid, inner, REDUCE_OPS[at.op]]));
      },

      gemm: ({ a, b, c }, at) => {
        this.gemmPtr(this.p(a), this.p(b), this.p(c), at.m, at.n, at.k, at.transA, at.transB, at.accumulate,
          at.alpha ?? 1, at.aSparse ?? false);
      },

      conv2d: ({ x, w, y }, at) => {
        const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = at;
        const K = cIn * kh * kw, HW = outH * outW;
        if (this.convSparse(x, at)) {
          // channels-last weights [K, cOut]: each input spike adds whole rows of them
          const wT = this.scratch("convWT", K * cOut * 4);
          ex.transposeBlocks(this.p(w), wT, 1, cOut, K, 1);
          const px = this.p(x), py = this.p(y);
          this.par("conv2dSparse", this.cut(batch, 1, this.convSparseWork, PAR_MIN_MACS).map(([s, e], t) =>
            [px + 4 * s * cIn * h * W, wT, py + 4 * s * cOut * HW, e - s, cIn, h, W, cOut, kh, kw, strideH, strideW, padH, padW,
              outH, outW, this.scratch(`convT${t}`, HW * cOut * 4)]));
          return;
        }
        const direct = isPointwise(at);
        const px = this.p(x), pw = this.p(w), py = this.p(y);
        const blocks = this.cut(batch, 1, batch * cOut * HW * K, PAR_MIN_MACS);
        if (blocks.length > 1) {
          // images split between threads, each with its own im2col and gemm scratch
          this.par("conv2dBatch", blocks.map(([s, e], t) => [px + 4 * s * cIn * h * W, pw, py + 4 * s * cOut * HW, e - s, cIn, h, W,
            cOut, kh, kw, strideH, strideW, padH, padW, outH, outW, direct ? 0 : this.scratch(`col${t}`, K * HW * 4),
            this.scratch(`gemm${t}`, ex.gemmScratchBytes())]));
          return;
        }
        const col = direct ? 0 : this.scratch("col0", K * HW * 4);
        this.scratch("gemm0", ex.gemmScratchBytes());
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
        const pdy = this.p(dy), pw = this.p(w), pdx = this.p(dx);
        const blocks = this.cut(batch, 1, batch * cOut * HW * K, PAR_MIN_MACS);
        if (blocks.length > 1) {
          this.par("conv2dBackwardDataBatch", blocks.map(([s, e], t) => [pdy + 4 * s * cOut * HW, pw, pdx + 4 * s * cIn * h * W, e - s,
            cIn, h, W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW, direct ? 0 : this.scratch(`col${t}`, K * HW * 4),
            this.scratch(`gemm${t}`, ex.gemmScratchBytes())]));
          return;
        }
        const col = direct ? 0 : this.scratch("col0", K * HW * 4);
        this.scratch("gemm0", ex.gemmScratchBytes());
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
        if (batch === 0) { this.fillPtr(this.p(dw), cOut * K, 0); return; }
        if (this.convSparse(x, at)) {
          // per block of images a channels-last partial dwᵀ [K, cOut]; summed, then transposed into dw
          const px = this.p(x), pdy = this.p(dy);
          const parts = this.cut(batch, 1, this.convSparseWork, PAR_MIN_MACS).map(([s, e], t) =>
            [px + 4 * s * cIn * h * W, pdy + 4 * s * cOut * HW, this.scratch(`convDW${t}`, K * cOut * 4), e - s, cIn, h, W, cOut,
              kh, kw, strideH, strideW, padH, padW, outH, outW, this.scratch(`convT${t}`, HW * cOut * 4)]);
          this.par("conv2dSparseFilter", parts);
          const dwT = parts[0]![2]!;
          this.sumInto(dwT, parts.slice(1).map((pt) => pt[2]!), K * cOut);
          ex.transposeBlocks(dwT, this.p(dw), 1, K, cOut, 1);
          return;
        }
        const direct = isPointwise(at);
        const px = this.p(x), pdy = this.p(dy), pdw = this.p(dw);
        const blocks = this.cut(batch, 1, batch * cOut * HW * K, PAR_MIN_MACS);
        if (blocks.length > 1) {
          // block 0 writes dw, the others partial sums in scratch, added below
          const parts = blocks.map(([s, e], t) => [px + 4 * s * cIn * h * W, pdy + 4 * s * cOut * HW,
            t === 0 ? pdw : this.scratch(`convDWd${t}`, cOut * K * 4), e - s, cIn, h, W, cOut, kh, kw, strideH, strideW, padH, padW,
            outH, outW, direct ? 0 : this.scratch(`col${t}`, K * HW * 4), this.scratch(`gemm${t}`, ex.gemmScratchBytes())]);
          this.par("conv2dBackwardFilterBatch", parts);
          this.sumInto(pdw, parts.slice(1).map((pt) => pt[2]!), cOut * K);
          return;
        }
        const col = direct ? 0 : this.scratch("col0", K * HW * 4);
        this.scratch("gemm0", ex.gemmScratchBytes());
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
        const { T, N, P } = at;
        const { blocks, perNeuron } = this.neuronBlocks(T, N, P);
        const x = this.p(io.x), v0 = this.p(io.v0), alpha = this.p(io.alpha), theta = this.p(io.theta), sub = this.p(io.sub);
        const minV = at.hasMinV ? this.po(io.minV) : 0, spikes = this.p(io.spikes), v = this.p(io.v);
        this.par("lifForward", blocks.map(([s, e], t) => {
          const q = perNeuron ? s : 0, Pb = perNeuron ? e - s : P;
          return [x + 4 * s, v0 + 4 * s, alpha + 4 * q, theta + 4 * q, sub + 4 * q, off(minV, q), spikes + 4 * s,
            v + 4 * s, T, e - s, Pb, at.maxSpikes, this.scratch(`lif${t}`, ex.lifScratchBytes(Pb)), N, at.reset === "zero" ? 1 : 0];
        }));
      },

      lifBackward: (io, at) => {
        const { T, N, P } = at;
        const [kind, q0, q1, q2, q3, q4, q5] = surrogateArgs(at.surrogate);
        const withAlpha = io.dAlpha && io.spikes && io.v0;
        if (io.dAlpha && !withAlpha) this.view(io.dAlpha).fill(0, 0, P);
        const { blocks, perNeuron } = this.neuronBlocks(T, N, P);
        const gV = this.po(io.gV), v = this.p(io.v), alpha = this.p(io.alpha), theta = this.p(io.theta);
        // gS the same at every step (at.gSP): the kernel reads one row of N; a shorter period is tiled to N here.
        let gS = this.p(io.gS);
        const gSP = spikeGradPeriod(at);
        if (gSP !== undefined && gSP !== N) {
          const row = this.scratch("lifGS", 4 * N);
          const dst = new Float32Array(this.mem.buffer, row, N);
          // doubling copies: log2(N / gSP) calls, not N / gSP (a JS call per period cost 5 ms at N = 65,536)
          dst.set(this.view(io.gS).subarray(0, gSP));
          for (let len = gSP; len < N; len *= 2) dst.copyWithin(len, 0, Math.min(len, N - len));
          gS = row;
        }
        const sub = this.p(io.sub), minV = at.hasMinV ? this.po(io.minV) : 0, dx = this.p(io.dx), dv0 = this.p(io.dv0);
        const spikes = this.po(io.spikes), v0 = this.po(io.v0), dAlpha = withAlpha ? this.p(io.dAlpha!) : 0;
        const dTheta = this.po(io.dTheta);
        const parts = blocks.map(([s, e], t) => {
          const q = perNeuron ? s : 0, Pb = perNeuron ? e - s : P;
          return [off(gS, s), off(gV, s), v + 4 * s, alpha + 4 * q, theta + 4 * q, sub + 4 * q, off(minV, q), dx + 4 * s,
            dv0 + 4 * s, off(spikes, s), off(v0, s), this.dAlphaBlock(dAlpha, perNeuron, P, t, s), T, e - s, Pb, at.mode === "exodus" ? 1 : 0, kind,
            q0, q1, q2, q3, q4, q5, this.scratch(`lif${t}`, ex.lifScratchBytes(Pb)), at.maxSpikes, N, gSP === undefined ? 1 : 0,
            at.reset === "zero" ? 1 : 0, !dTheta ? 0 : perNeuron ? dTheta + 4 * q : t === 0 ? dTheta : this.scratch(`dTheta${t}`, 4 * P),
            at.thetaInReset ? 1 : 0];
        });
        this.par("lifBackward", parts);
        if (dAlpha && !perNeuron) this.sumInto(dAlpha, parts.slice(1).map((pt) => pt[11]!), P);
        if (dTheta && !perNeuron) this.sumInto(dTheta, parts.slice(1).map((pt) => pt[28]!), P);
      },

      leakyForward: (io, at) => {
        const { T, N, P } = at;
        const { blocks, perNeuron } = this.neuronBlocks(T, N, P);
        const x = this.p(io.x), v0 = this.p(io.v0), alpha = this.p(io.alpha), y = this.p(io.y);
        this.par("leakyForward", blocks.map(([s, e]) =>
          [x + 4 * s, v0 + 4 * s, alpha + 4 * (perNeuron ? s : 0), y + 4 * s, T, e - s, perNeuron ? e - s : P, N]));
      },

      leakyBackward: (io, at) => {
        const { T, N, P } = at;
        const withAlpha = io.dAlpha && io.y && io.v0;
        if (io.dAlpha && !withAlpha) this.view(io.dAlpha).fill(0, 0, P);
        const { blocks, perNeuron } = this.neuronBlocks(T, N, P);
        const gY = this.p(io.gY), alpha = this.p(io.alpha), dx = this.p(io.dx), dv0 = this.p(io.dv0);
        const y = this.po(io.y), v0 = this.po(io.v0), dAlpha = withAlpha ? this.p(io.dAlpha!) : 0;
        const parts = blocks.map(([s, e], t) => {
          const Pb = perNeuron ? e - s : P;
          return [gY + 4 * s, alpha + 4 * (perNeuron ? s : 0), dx + 4 * s, dv0 + 4 * s, off(y, s), off(v0, s),
            this.dAlphaBlock(dAlpha, perNeuron, P, t, s), T, e - s,
            Pb, this.scratch(`lif${t}`, ex.lifScratchBytes(Pb)), N];
        });
        this.par("leakyBackward", parts);
        if (dAlpha && !perNeuron) this.sumInto(dAlpha, parts.slice(1).map((pt) => pt[6]!), P);
      },

      spikeFn: (io, at) => {
        const v = this.p(io.v), theta = this.p(io.theta), sp = this.p(io.s);
        this.par("spikeFn", this.cut(at.n, paramAlign(at.P), at.n).map(([s, e]) =>
          [v + 4 * s, theta, sp + 4 * s, e - s, at.P, at.maxSpikes]));
      },

      surrogateGrad: (io, at) => {
        const [kind, q0, q1, q2, q3, q4, q5] = surrogateArgs(at.surrogate);
        const v = this.p(io.v), theta = this.p(io.theta), g = this.p(io.g), dv = this.p(io.dv);
        this.par("surrogateGrad", this.cut(at.n, paramAlign(at.P), at.n).map(([s, e]) =>
          [v + 4 * s, theta, g + 4 * s, dv + 4 * s, e - s, at.P, kind, q0, q1, q2, q3, q4, q5]));
      },

      adamUpdate: ({ p, g, m, v }, at) => {
        const invBc1 = 1 / (1 - Math.pow(at.beta1, at.step));
        const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(at.beta2, at.step));
        const pp = this.p(p), pg = this.p(g), pm = this.p(m), pv = this.p(v);
        this.par("adamUpdate", this.cut(at.n, 4, at.n).map(([s, e]) => [pp + 4 * s, pg + 4 * s, pm + 4 * s, pv + 4 * s,
          e - s, at.lr, at.beta1, at.beta2, at.eps, at.weightDecay, at.decoupled ? 1 : 0, invBc1, invSqrtBc2]));
      },

      sgdUpdate: ({ p, g, buf }, at) => {
        const pp = this.p(p), pg = this.p(g), pb = at.momentum !== 0 ? this.p(buf) : 0;
        this.par("sgdUpdate", this.cut(at.n, 4, at.n).map(([s, e]) => [pp + 4 * s, pg + 4 * s, off(pb, s), e - s,
          at.lr, at.momentum, at.dampening, at.nesterov ? 1 : 0, at.weightDecay, at.first ? 1 : 0]));
      },
    };
    return k;
  }
}

/**
 * Threads default: EXODUS_THREADS, else the machine's available parallelism, at most 8. A count outside
 * [1, 64] is a ConfigError (callers that fall back to another backend on load failures must let it through).
 */
export function resolveThreads(requested: number | undefined): number {
  const env = platform.env("EXODUS_THREADS");
  const want = requested ?? (env !== undefined && env !== "" ? Number(env) : platform.defaultThreads());
  if (!Number.isInteger(want) || want < 1 || want > 64) {
    throw new ConfigError(`wasm backend: threads must be an integer in [1, 64] (got ${requested ?? `EXODUS_THREADS=${env}`})`);
  }
  // Shared wasm memory needs SharedArrayBuffer (in browsers: a cross-origin isolated page, COOP + COEP headers).
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
  if (typeof SharedArrayBuffer === "undefined" || !isolated) return 1;
  if (want > 1 && !platform.canBlock()) {
    throw new ConfigError(
      `wasm backend: ${want} threads need a thread that may block (Atomics.wait), which a page's main thread may not; ` +
        `train in a Web Worker, or use threads: 1 here`,
    );
  }
  return want;
}

export interface WasmBackendOptions {
  variant?: WasmVariant | "auto";
  /** Kernel threads including the calling one (see resolveThreads). */
  threads?: number;
  /** An already compiled module (createWasmBackend); otherwise the constructor loads it synchronously. */
  compiled?: { module: WasmModule; variant: WasmVariant };
}

/**
 * Loads the module without blocking and starts the kernel threads, resolving once they have all answered:
 * the only way in a browser, where a worker's own workers start only after it returns to its event loop.
 * `wasmBase`: the URL the .wasm files are served from (browser; default: next to the bundle).
 */
export async function createWasmBackend(opts: Omit<WasmBackendOptions, "compiled"> & { wasmBase?: string | URL } = {}): Promise<WasmBackend> {
  const threads = resolveThreads(opts.threads);
  const compiled = await loadWasmModuleAsync(opts.variant ?? "auto", threads > 1, opts.wasmBase);
  const backend = new WasmBackend({ ...opts, threads, compiled });
  await backend.ready();
  return backend;
}
