/**
 * How the wasm backend splits a kernel call across its threads (threads.ts runs the blocks): the thread
 * count a backend gets, the cut of a call into aligned blocks (one block when the call is too small to pay
 * for waking the workers), the neuron-column blocks of a scan, and the sum of per-thread partial results.
 */
import { platform } from "#platform";
import { ConfigError } from "../../errors.js";
import { BINARY_OPS, type ParallelExport, type WasmExports } from "./abi.js";
import { gcd } from "./plan.js";
import type { KernelThreads } from "./threads.js";

/** Calls below these sizes run on one thread (a dispatch costs ~10–30 µs): floats streamed, multiply-adds. */
export const PAR_MIN_ELEMS = 1 << 16;
export const PAR_MIN_MACS = 1 << 21;

export class Parallel {
  /**
   * `pool`: the worker threads (null: one thread); `tuning.parallelMinWork` overrides the smallest call worth
   * splitting (0: split every call), read at every call (WasmBackend.parallelMinWork: tests, benches).
   */
  constructor(
    private readonly ex: WasmExports,
    private readonly pool: KernelThreads | null,
    private readonly tuning: { readonly parallelMinWork: number | undefined },
  ) {}

  /**
   * Cuts [0, total) into one block per thread, block starts multiples of `align`; a single block when the
   * call is too small (`work` below `min`) to pay for waking the workers.
   */
  cut(total: number, align: number, work: number, min: number = PAR_MIN_ELEMS): [number, number][] {
    const nt = this.pool?.count ?? 1;
    const units = Math.floor(total / align);
    const parts = Math.min(nt, units);
    if (parts <= 1 || work < (this.tuning.parallelMinWork ?? min)) return [[0, total]];
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
  run(fn: ParallelExport, parts: number[][]): void {
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
  neuronBlocks(T: number, N: number, P: number): { blocks: [number, number][]; perNeuron: boolean } {
    if (P === N && P > 1) {
      return P % 4 === 0 ? { blocks: this.cut(N, 4, T * N), perNeuron: true } : { blocks: [[0, N]], perNeuron: false };
    }
    return { blocks: this.cut(N, P === 1 ? 4 : (P * 4) / gcd(P, 4), T * N), perNeuron: false };
  }

  /** dst[0..n) += each of parts[·][0..n) in turn (other threads' partial sums). */
  sumInto(dst: number, parts: number[], n: number): void {
    for (const src of parts) this.ex.binary(dst, src, dst, n, BINARY_OPS.add, 0, 1, 1);
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
