/**
 * Elementwise kernels of the wasm backend (assembly/elementwise.ts): unary and binary ops (broadcasts that fit
 * no fast layout of plan.ts run as ref code on views of the same memory), fill, copy, permute, and the BPTT
 * path's spike function and surrogate gradient. Each call is cut into aligned blocks across the threads.
 */
import { kernelsOverViews } from "../../array-backend.js";
import { binaryFn } from "../../broadcast.js";
import type { Kernels } from "../../contract.js";
import { refArrayKernels } from "../../ref/index.js";
import { BINARY_OPS, UNARY_OPS, surrogateArgs } from "../abi.js";
import { binaryLayout, paramAlign, permutePlan } from "../plan.js";
import type { WasmContext } from "./context.js";

/** y[0..n) = value, split across threads. */
export function fillPtr(cx: WasmContext, y: number, n: number, value: number): void {
  if (n > 0) cx.par.run("fillF32", cx.par.cut(n, 4, n).map(([s, e]) => [y + 4 * s, e - s, value]));
}

/** Copies n floats; split across threads only between distinct buffers (an overlapping move stays whole). */
export function copyPtr(cx: WasmContext, dst: number, src: number, n: number, distinct: boolean): void {
  const blocks = distinct ? cx.par.cut(n, 4, n) : [[0, n] as [number, number]];
  cx.par.run("copyF32", blocks.map(([s, e]) => [dst + 4 * s, src + 4 * s, e - s]));
}

export function elementwiseKernels(cx: WasmContext):
  Pick<Kernels, "unary" | "binary" | "fill" | "copy" | "permute" | "spikeFn" | "surrogateGrad"> {
  const { ex, heap, par } = cx;
  const fb = kernelsOverViews(refArrayKernels, (b) => heap.view(b));
  return {
    unary: ({ x, y }, at) => {
      const px = heap.p(x), py = heap.p(y);
      par.run("unary", par.cut(at.n, 4, at.n).map(([s, e]) => [px + 4 * s, py + 4 * s, e - s, UNARY_OPS[at.op], at.p ?? 0]));
    },

    binary: (io, at) => {
      if (io.a.length === 1 && io.b.length === 1 && io.y.length > 1) {
        // both scalars, larger output: an expand (autograd's reduction backward) is a fill
        const n = at.yShape.reduce((p, d) => p * d, 1);
        fillPtr(cx, heap.p(io.y), n, binaryFn(at.op)(heap.view(io.a)[0]!, heap.view(io.b)[0]!));
        return;
      }
      const layout = binaryLayout(io.a.length, io.b.length, at.aShape, at.bShape, at.yShape);
      if (!layout) return fb.binary(io, at);
      const { code, n, L, lb } = layout;
      const pa = heap.p(io.a), pb = heap.p(io.b), py = heap.p(io.y);
      // Blocks keep each layout's indexing: whole periods L for a repeating row (3/4), whole cycles of
      // the column (L·lb) for 5/6; the repeating operand is not offset.
      const align = code <= 2 ? 4 : code <= 4 ? L : L * lb;
      const offA = code !== 2 && code !== 4 && code !== 6, offB = code !== 1 && code !== 3 && code !== 5;
      par.run("binary", par.cut(n, align, n).map(([s, e]) =>
        [offA ? pa + 4 * s : pa, offB ? pb + 4 * s : pb, py + 4 * s, e - s, BINARY_OPS[at.op], code, L, lb]));
    },

    fill: ({ y }, at) => {
      fillPtr(cx, heap.p(y), at.n, at.value);
    },

    copy: ({ x, y }, at) => {
      if (at.n <= 0) return;
      copyPtr(cx, heap.p(y) + 4 * at.dstOffset, heap.p(x) + 4 * at.srcOffset, at.n, x.id !== y.id);
    },

    permute: (io, at) => {
      const plan = permutePlan(at.shape, at.perm);
      if (!plan) return fb.permute(io, at);
      const total = at.shape.reduce((s, d) => s * d, 1);
      if (plan.identity) {
        if (total > 0) copyPtr(cx, heap.p(io.y), heap.p(io.x), total, io.x.id !== io.y.id);
        return;
      }
      ex.transposeBlocks(heap.p(io.x), heap.p(io.y), plan.outer, plan.rows, plan.cols, plan.inner);
    },

    spikeFn: (io, at) => {
      const v = heap.p(io.v), theta = heap.p(io.theta), sp = heap.p(io.s);
      par.run("spikeFn", par.cut(at.n, paramAlign(at.P), at.n).map(([s, e]) =>
        [v + 4 * s, theta, sp + 4 * s, e - s, at.P, at.maxSpikes]));
    },

    surrogateGrad: (io, at) => {
      const [kind, q0, q1, q2, q3, q4, q5] = surrogateArgs(at.surrogate);
      const v = heap.p(io.v), theta = heap.p(io.theta), g = heap.p(io.g), dv = heap.p(io.dv);
      par.run("surrogateGrad", par.cut(at.n, paramAlign(at.P), at.n).map(([s, e]) =>
        [v + 4 * s, theta, g + 4 * s, dv + 4 * s, e - s, at.P, kind, q0, q1, q2, q3, q4, q5]));
    },
  };
}
