/**
 * conv2d, its two gradients and pooling of the wasm backend (assembly/conv.ts), NCHW. Dense: im2col + gemm
 * per image on one thread (a 1×1, stride-1, unpadded conv skips im2col), or images split between threads,
 * each with its own im2col and gemm scratch. With `xSparse` and a sparse enough x: the spike-driven kernels.
 */
import type { Buf, Conv2dAttrs, Kernels } from "../../contract.js";
import { PAR_MIN_MACS } from "../parallel.js";
import { isPointwise } from "../plan.js";
import type { WasmContext } from "./context.js";
import { fillPtr } from "./elementwise.js";
import { gemmPtr } from "./gemm.js";
import { countNonzero } from "./gemm-sparse.js";

/**
 * Below this fraction of nonzeros in x, conv2d and its weight gradient with xSparse take the spike-driven
 * kernels (assembly/conv.ts). Measured with `node --import tsx bench/kernels.ts --conv` (2 threads, 200
 * images; dense = im2col + gemm split over images): the forward breaks even at ≈ 28 % (16×16×16 → 32, 3×3)
 * and ≈ 35 % (2×34×34 → 16, 5×5) density, the weight gradient at ≈ 33 % and ≈ 50 %; 3.6–5.1× faster at 5 %.
 */
export const CONV_SPARSE_DENSITY_MAX = 0.25;

/**
 * Whether a conv2d / weight-gradient call with this x takes the spike-driven kernels: the caller marked x
 * as spikes (xSparse) and its measured density is at most CONV_SPARSE_DENSITY_MAX (or the override). Returns
 * the call's multiply-adds (for the thread split) when it does, null when the dense path runs.
 */
function convSparseWork(cx: WasmContext, x: Buf, at: Conv2dAttrs): number | null {
  if (!at.xSparse) return null;
  const n = at.batch * at.cIn * at.h * at.w;
  if (n === 0) return null;
  const nnz = countNonzero(cx, cx.heap.p(x), n);
  return nnz <= (cx.tuning.sparseDensityMax ?? CONV_SPARSE_DENSITY_MAX) * n ? nnz * at.kh * at.kw * at.cOut : null;
}

export function conv2dKernels(cx: WasmContext):
  Pick<Kernels, "conv2d" | "conv2dBackwardData" | "conv2dBackwardFilter" | "pool2d" | "pool2dBackward"> {
  const { ex, heap, par } = cx;
  return {
    conv2d: ({ x, w, y }, at) => {
      const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = at;
      const K = cIn * kh * kw, HW = outH * outW;
      const sparseWork = convSparseWork(cx, x, at);
      if (sparseWork !== null) {
        // channels-last weights [K, cOut]: each input spike adds whole rows of them
        const wT = heap.scratch("convWT", K * cOut * 4);
        ex.transposeBlocks(heap.p(w), wT, 1, cOut, K, 1);
        const px = heap.p(x), py = heap.p(y);
        par.run("conv2dSparse", par.cut(batch, 1, sparseWork, PAR_MIN_MACS).map(([s, e], t) =>
          [px + 4 * s * cIn * h * W, wT, py + 4 * s * cOut * HW, e - s, cIn, h, W, cOut, kh, kw, strideH, strideW, padH, padW,
            outH, outW, heap.scratch(`convT${t}`, HW * cOut * 4)]));
        return;
      }
      const direct = isPointwise(at);
      const px = heap.p(x), pw = heap.p(w), py = heap.p(y);
      const blocks = par.cut(batch, 1, batch * cOut * HW * K, PAR_MIN_MACS);
      if (blocks.length > 1) {
        // images split between threads, each with its own im2col and gemm scratch
        par.run("conv2dBatch", blocks.map(([s, e], t) => [px + 4 * s * cIn * h * W, pw, py + 4 * s * cOut * HW, e - s, cIn, h, W,
          cOut, kh, kw, strideH, strideW, padH, padW, outH, outW, direct ? 0 : heap.scratch(`col${t}`, K * HW * 4),
          heap.scratch(`gemm${t}`, ex.gemmScratchBytes())]));
        return;
      }
      const col = direct ? 0 : heap.scratch("col0", K * HW * 4);
      heap.scratch("gemm0", ex.gemmScratchBytes());
      for (let b = 0; b < batch; b++) {
        const xb = px + b * cIn * h * W * 4;
        if (!direct) ex.im2col(xb, col, cIn, h, W, kh, kw, strideH, strideW, padH, padW, outH, outW);
        gemmPtr(cx, pw, direct ? xb : col, py + b * cOut * HW * 4, cOut, HW, K, false, false, false, 1, false);
      }
    },

    conv2dBackwardData: ({ dy, w, dx }, at) => {
      const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = at;
      const K = cIn * kh * kw, HW = outH * outW;
      const direct = isPointwise(at);
      const pdy = heap.p(dy), pw = heap.p(w), pdx = heap.p(dx);
      const blocks = par.cut(batch, 1, batch * cOut * HW * K, PAR_MIN_MACS);
      if (blocks.length > 1) {
        par.run("conv2dBackwardDataBatch", blocks.map(([s, e], t) => [pdy + 4 * s * cOut * HW, pw, pdx + 4 * s * cIn * h * W, e - s,
          cIn, h, W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW, direct ? 0 : heap.scratch(`col${t}`, K * HW * 4),
          heap.scratch(`gemm${t}`, ex.gemmScratchBytes())]));
        return;
      }
      const col = direct ? 0 : heap.scratch("col0", K * HW * 4);
      heap.scratch("gemm0", ex.gemmScratchBytes());
      for (let b = 0; b < batch; b++) {
        const dxb = pdx + b * cIn * h * W * 4;
        // dcol[K, HW] = wᵀ·dy_b, then scattered back (col2im zeroes dx_b first)
        gemmPtr(cx, pw, pdy + b * cOut * HW * 4, direct ? dxb : col, K, HW, cOut, true, false, false, 1, false);
        if (!direct) ex.col2im(col, dxb, cIn, h, W, kh, kw, strideH, strideW, padH, padW, outH, outW);
      }
    },

    conv2dBackwardFilter: ({ x, dy, dw }, at) => {
      const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = at;
      const K = cIn * kh * kw, HW = outH * outW;
      if (batch === 0) { fillPtr(cx, heap.p(dw), cOut * K, 0); return; }
      const sparseWork = convSparseWork(cx, x, at);
      if (sparseWork !== null) {
        // per block of images a channels-last partial dwᵀ [K, cOut]; summed, then transposed into dw
        const px = heap.p(x), pdy = heap.p(dy);
        const parts = par.cut(batch, 1, sparseWork, PAR_MIN_MACS).map(([s, e], t) =>
          [px + 4 * s * cIn * h * W, pdy + 4 * s * cOut * HW, heap.scratch(`convDW${t}`, K * cOut * 4), e - s, cIn, h, W, cOut,
            kh, kw, strideH, strideW, padH, padW, outH, outW, heap.scratch(`convT${t}`, HW * cOut * 4)]);
        par.run("conv2dSparseFilter", parts);
        const dwT = parts[0]![2]!;
        par.sumInto(dwT, parts.slice(1).map((pt) => pt[2]!), K * cOut);
        ex.transposeBlocks(dwT, heap.p(dw), 1, K, cOut, 1);
        return;
      }
      const direct = isPointwise(at);
      const px = heap.p(x), pdy = heap.p(dy), pdw = heap.p(dw);
      const blocks = par.cut(batch, 1, batch * cOut * HW * K, PAR_MIN_MACS);
      if (blocks.length > 1) {
        // block 0 writes dw, the others partial sums in scratch, added below
        const parts = blocks.map(([s, e], t) => [px + 4 * s * cIn * h * W, pdy + 4 * s * cOut * HW,
          t === 0 ? pdw : heap.scratch(`convDWd${t}`, cOut * K * 4), e - s, cIn, h, W, cOut, kh, kw, strideH, strideW, padH, padW,
          outH, outW, direct ? 0 : heap.scratch(`col${t}`, K * HW * 4), heap.scratch(`gemm${t}`, ex.gemmScratchBytes())]);
        par.run("conv2dBackwardFilterBatch", parts);
        par.sumInto(pdw, parts.slice(1).map((pt) => pt[2]!), cOut * K);
        return;
      }
      const col = direct ? 0 : heap.scratch("col0", K * HW * 4);
      heap.scratch("gemm0", ex.gemmScratchBytes());
      for (let b = 0; b < batch; b++) {
        const xb = px + b * cIn * h * W * 4;
        if (!direct) ex.im2col(xb, col, cIn, h, W, kh, kw, strideH, strideW, padH, padW, outH, outW);
        // dw[cOut, K] (+)= dy_b[cOut, HW] · col_bᵀ
        gemmPtr(cx, pdy + b * cOut * HW * 4, direct ? xb : col, pdw, cOut, K, HW, false, true, b > 0, 1, false);
      }
    },

    pool2d: ({ x, y }, at) => {
      const scale = at.mode === "avg" ? 1 / (at.kh * at.kw) : 1;
      ex.pool2d(heap.p(x), heap.p(y), at.planes, at.h, at.w, at.kh, at.kw, at.strideH, at.strideW, at.outH, at.outW, scale);
    },

    pool2dBackward: ({ dy, dx }, at) => {
      const scale = at.mode === "avg" ? 1 / (at.kh * at.kw) : 1;
      ex.pool2dBackward(heap.p(dy), heap.p(dx), at.planes, at.h, at.w, at.kh, at.kw, at.strideH, at.strideW, at.outH, at.outW, scale);
    },
  };
}
