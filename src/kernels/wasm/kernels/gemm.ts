/**
 * gemm of the wasm backend (assembly/gemm.ts): dense, packed, threads splitting c's rows (or columns when c
 * is short and wide); with `aSparse`, the spike-sparse path of gemm-sparse.ts when a is sparse enough.
 * gemmPtr works on raw pointers, so the conv2d kernels (conv2d.ts) use it for their per-image products.
 */
import type { Kernels } from "../../contract.js";
import { PAR_MIN_MACS } from "../parallel.js";
import type { WasmContext } from "./context.js";
import { gemmSparse } from "./gemm-sparse.js";

/** c[m, n] (+)= alpha·op(a)·op(b) on raw pointers, dense or spike-sparse. */
export function gemmPtr(cx: WasmContext, a: number, b: number, c: number, m: number, n: number, k: number, transA: boolean,
  transB: boolean, accumulate: boolean, alpha: number, aSparse: boolean): void {
  const { ex, heap, par } = cx;
  const acc = accumulate ? 1 : 0;
  if (aSparse && m > 0 && n > 0 && k > 0 && gemmSparse(cx, a, b, c, m, n, k, transA, transB, acc, alpha)) return;
  const rsA = transA ? 1 : k, csA = transA ? m : 1, rsB = transB ? 1 : n, csB = transB ? k : 1;
  const sb = ex.gemmScratchBytes();
  const work = m * n * k;
  // Rows unless c is short and wide (each thread packs all of b for its rows: rows keep that share small).
  const byRows = m >= n || m >= 256;
  const blocks = byRows ? par.cut(m, 4, work, PAR_MIN_MACS) : par.cut(n, 8, work, PAR_MIN_MACS);
  par.run("gemm", blocks.map(([s, e], t) => byRows
    ? [a + 4 * s * rsA, b, c + 4 * s * n, e - s, n, k, rsA, csA, rsB, csB, n, acc, alpha, heap.scratch(`gemm${t}`, sb)]
    : [a, b + 4 * s * csB, c + 4 * s, m, e - s, k, rsA, csA, rsB, csB, n, acc, alpha, heap.scratch(`gemm${t}`, sb)]));
}

export function gemmKernels(cx: WasmContext): Pick<Kernels, "gemm"> {
  const { heap } = cx;
  return {
    gemm: ({ a, b, c }, at) => {
      gemmPtr(cx, heap.p(a), heap.p(b), heap.p(c), at.m, at.n, at.k, at.transA, at.transB, at.accumulate,
        at.alpha ?? 1, at.aSparse ?? false);
    },
  };
}
