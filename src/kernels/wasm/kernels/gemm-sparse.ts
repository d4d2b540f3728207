/**
 * The spike-sparse gemm paths of the wasm backend (assembly/gemm.ts gemmSparseA, gemmSparseAT): when `a` is
 * marked as spikes, its nonzeros are counted (on all threads) and, below the thresholds measured here, only
 * they are multiplied. gemm.ts falls back to the dense kernel otherwise.
 */
import type { WasmContext } from "./context.js";
import { PAR_MIN_MACS } from "../parallel.js";

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

/** Nonzeros among len floats at x; per-thread counts in scratch, summed here, when the call is large enough. */
export function countNonzero({ ex, heap, par }: WasmContext, x: number, len: number): number {
  const blocks = par.cut(len, 4, len);
  if (blocks.length === 1) return ex.countNonzero(x, len);
  const out = heap.scratch("nnz", 64 * blocks.length);
  par.run("countNonzeroTo", blocks.map(([s, e], t) => [x + s * 4, e - s, out + 64 * t]));
  const counts = new Int32Array(heap.mem.buffer, out, 16 * blocks.length);
  let total = 0;
  for (let t = 0; t < blocks.length; t++) total += counts[16 * t]!;
  return total;
}

/**
 * c (+)= alpha·op(a)·op(b) on the spike-sparse path when a's density is below its threshold (then true);
 * false, having written nothing, when the dense kernel should run. Threads split c's rows.
 */
export function gemmSparse(cx: WasmContext, a: number, b: number, c: number, m: number, n: number, k: number,
  transA: boolean, transB: boolean, acc: number, alpha: number): boolean {
  const { ex, heap, par } = cx;
  const nnz = countNonzero(cx, a, m * k);
  const max = transA ? (SPARSE_DENSITY_MAX.transA * n) / (n + SPARSE_AT_N0) : SPARSE_DENSITY_MAX.rows;
  if (!(nnz <= (cx.tuning.sparseDensityMax ?? max) * m * k)) return false;
  let bp = b;
  if (transB) {
    // b is stored [n, k]: make it [k, n] so nonzero entries of a select contiguous rows
    bp = heap.scratch("sparseB", k * n * 4);
    ex.transposeBlocks(b, bp, 1, n, k, 1);
  }
  const work = nnz * n + m * n;
  if (transA) {
    // a stored [k, m]: a thread owns a block of c's rows, i.e. of a's columns (row stride m). Below
    // SPARSE_AT_SCATTER_MAX it scatters rows of b into c (kb = 0); above, it indexes its columns' nonzeros
    // kb rows of a at a time (kb sized so the block's index, 8 bytes a nonzero, is ≈ 128 KiB and stays in
    // L2) and gathers them into c (see gemmSparseAT).
    const scatter = nnz < SPARSE_AT_SCATTER_MAX * m * k;
    par.run("gemmSparseAT", par.cut(m, 4, work, PAR_MIN_MACS).map(([s, e], t) => {
      const rows = e - s;
      const fit = Math.round((16384 * m * k) / (Math.max(nnz, 1) * rows)); // rows of a whose index is ≈ 128 KiB
      const kbMax = Math.min(k, 2048);
      const kb = scatter ? 0 : Math.min(kbMax, Math.max(256, fit));
      // Sized for the largest kb and a full block (kbMax·rows entries), not this call's nonzeros: a shape
      // always reserves the same scratch, so a training loop's memory stops growing after its first step
      // (pages beyond the entries a call writes are never touched).
      const bytes = scatter ? 0 : 16 * (rows + 1) + 160 + 96 * kbMax + 8 * kbMax * rows;
      return [a + 4 * s, bp, c + 4 * s * n, rows, n, k, acc, alpha, m, kb, scatter ? 0 : heap.scratch(`sparseAT${t}`, bytes)];
    }));
  } else {
    par.run("gemmSparseA", par.cut(m, 1, work, PAR_MIN_MACS).map(([s, e], t) =>
      [a + 4 * s * k, bp, c + 4 * s * n, e - s, n, k, acc, alpha, heap.scratch(`sparseIdx${t}`, k * 8)]));
  }
  return true;
}
