/**
 * The wasm CPU backend: float32 buffers in one wasm linear memory, kernels compiled from AssemblyScript
 * (./assembly, built by scripts/build-wasm.mjs into ./build/{simd,relaxed}.wasm), loaded by module.ts
 * (synchronously in Node, `createWasmBackend` anywhere). No registration here: registry.ts owns the name.
 * This class wires the parts: heap.ts owns linear memory (a size-class pool, so a training loop stops
 * growing it), parallel.ts cuts calls across the threads of threads.ts, and kernels/<family>.ts adapt the
 * contract's kernels to the module's exports. Kernels it lacks run as ref code on views of the same memory
 * (registry.ts).
 */
import { type Backend, type Buf, type DType, type FArray, type Kernels, type MemoryStats } from "../contract.js";
import { PARALLEL_EXPORTS, WA, type WasmExports, type WasmModule } from "./abi.js";
import { WasmHeap } from "./heap.js";
import { conv2dKernels } from "./kernels/conv2d.js";
import type { WasmContext } from "./kernels/context.js";
import { elementwiseKernels } from "./kernels/elementwise.js";
import { gemmKernels } from "./kernels/gemm.js";
import { leakyKernels } from "./kernels/leaky.js";
import { lifKernels } from "./kernels/lif.js";
import { optimKernels } from "./kernels/optim.js";
import { reduceKernels } from "./kernels/reduce.js";
import { loadWasmModule, loadWasmModuleAsync, type WasmVariant } from "./module.js";
import { Parallel, resolveThreads } from "./parallel.js";
import { KernelThreads } from "./threads.js";

export { binaryLayout, permutePlan } from "./plan.js";
export { loadWasmModule, loadWasmModuleAsync, type WasmVariant } from "./module.js";
export { resolveThreads } from "./parallel.js";
export { sizeClass } from "./heap.js";
export { SPARSE_DENSITY_MAX } from "./kernels/gemm-sparse.js";
export { CONV_SPARSE_DENSITY_MAX } from "./kernels/conv2d.js";

export class WasmBackend implements Backend {
  readonly name = "wasm" as const;
  readonly dtypes: readonly DType[] = ["float32"];
  readonly variant: WasmVariant;
  private readonly heap: WasmHeap;
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
    const ex = instance.exports as unknown as WasmExports;
    this.variant = variant;
    this.threads = threads;
    if (shared) this.pool = new KernelThreads(module, shared, threads - 1, PARALLEL_EXPORTS);
    this.heap = new WasmHeap(shared ?? ex.memory, ex.heapBase());
    const cx: WasmContext = { ex, heap: this.heap, par: new Parallel(ex, this.pool, this), tuning: this };
    this.kernels = {
      ...elementwiseKernels(cx), ...reduceKernels(cx), ...gemmKernels(cx), ...conv2dKernels(cx),
      ...lifKernels(cx), ...leakyKernels(cx), ...optimKernels(cx),
    };
  }

  // ---- memory (heap.ts) ------------------------------------------------------------------------------

  alloc(dtype: DType, length: number): Buf {
    return this.heap.alloc(dtype, length);
  }

  free(buf: Buf): void {
    this.heap.free(buf);
  }

  /** Live view over linear memory; invalid after the next alloc/free (memory.grow detaches the buffer). */
  view(buf: Buf): Float32Array {
    return this.heap.view(buf);
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
    return this.heap.stats();
  }

  /** Linear memory size in bytes (what the OS sees); for the no-growth tests. */
  memoryBytes(): number {
    return this.heap.mem.buffer.byteLength;
  }

  /** Resolves once the kernel threads have started (or been dropped, with a warning). */
  async ready(): Promise<void> {
    await this.pool?.ready();
  }

  dispose(): void {
    this.pool?.terminate();
    this.heap.reset();
  }
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
