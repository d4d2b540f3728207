/**
 * Network ops: matmul (gemm with transposes), linear, conv2d, sum/avg pooling, softmax cross-entropy.
 * Backward kernels are ordinary kernels (conv2dBackwardData / conv2dBackwardFilter, pool2dBackward).
 */
import type { Conv2dAttrs, Pool2dAttrs } from "../../kernels/contract.js";
import { ShapeError } from "../../errors.js";
import { isGradEnabled, record } from "../autograd.js";
import { fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { empty, emptyLike, kernel, sameDevice } from "./core.js";
import { add } from "./elementwise.js";
import { reshape } from "./shape-ops.js";

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** a holds spikes (mostly-zero counts): lets the backend use its spike-sparse path. Default: `a.spikes`. */
  aSparse?: boolean;
}

function gemmRaw(a: Tensor, b: Tensor, transA: boolean, transB: boolean, aSparse = false): Tensor {
  const [ar, ac] = a.shape as [number, number];
  const [br, bc] = b.shape as [number, number];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: ${fmt(a.shape)}${transA ? "ᵀ" : ""} · ${fmt(b.shape)}${transB ? "ᵀ" : ""} (${k} vs ${kb})`,
    );
  }
  const c = empty([m, n], a.dtype, a.backend);
  kernel(a.backend, "gemm", { a: a.buf, b: b.buf, c: c.buf }, { m, n, k, transA, transB, accumulate: false, aSparse });
  return c;
}

/** op(a)·op(b) for 2-D tensors. */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError(`matmul: needs 2-D tensors, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  sameDevice("matmul", a, b);
  const tA = !!opts.transA;
  const tB = !!opts.transB;
  const aSparse = opts.aSparse ?? a.spikes;
  const c = gemmRaw(a, b, tA, tB, aSparse);
  record("matmul", [a, b], [c], ([g]) => {
    // C = op(A)·op(B):  dA = g·op(B)ᵀ (transposed back if transA), dB = op(A)ᵀ·g (transposed back if transB)
    const da = !a.requiresGrad ? null : tA ? gemmRaw(b, g!, tB, true) : gemmRaw(g!, b, false, !tB);
    let db: Tensor | null = null;
    if (b.requiresGrad) {
      if (!tB) db = gemmRaw(a, g!, !tA, false, aSparse);
      else if (aSparse) {
        // dB = gᵀ·op(A) has the spikes as its second operand; compute (op(A)ᵀ·g)ᵀ instead so the
        // spike-sparse kernel (sparse first operand) applies, then transpose the small weight-shaped result.
        const dbT = gemmRaw(a, g!, !tA, false, true);
        db = empty([dbT.shape[1]!, dbT.shape[0]!], a.dtype, a.backend);
        kernel(a.backend, "permute", { x: dbT.buf, y: db.buf }, { shape: [...dbT.shape], perm: [1, 0] });
        dbT.dispose();
      } else db = gemmRaw(g!, a, true, tA, false);
    }
    return [da, db];
  });
  return c;
}

/** y = x·wᵀ + b with x:[M, in], w:[out, in], b:[out]. `aSparse` defaults to `x.spikes`. */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null, opts: { aSparse?: boolean } = {}): Tensor {
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== w.shape[1]) {
    throw new ShapeError(`linear: input ${fmt(x.shape)} does not match weight ${fmt(w.shape)} (expected [M, ${w.shape[1]}])`);
  }
  const y = matmul(x, w, { transB: true, aSparse: opts.aSparse });
  return b ? add(y, b) : y;
}

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  /**
   * x holds spikes (mostly zeros): the forward and the weight gradient may skip zeros (Conv2dAttrs.xSparse).
   * Default: `x.spikes`.
   */
  sparseInput?: boolean;
}

function pair(v: number | [number, number] | undefined, d: number): [number, number] {
  return v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v;
}

/** 2-D cross-correlation, x:[B, C, H, W], w:[O, C, kh, kw] (PyTorch semantics), optional bias [O]. */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  if (x.rank !== 4 || w.rank !== 4 || x.shape[1] !== w.shape[1]) {
    throw new ShapeError(`conv2d: input ${fmt(x.shape)} does not match weight ${fmt(w.shape)} (expected [B, ${w.shape[1]}, H, W])`);
  }
  sameDevice("conv2d", x, w);
  const [strideH, strideW] = pair(opts.stride, 1);
  const [padH, padW] = pair(opts.padding, 0);
  const [batch, cIn, h, wd] = x.shape as [number, number, number, number];
  const [cOut, , kh, kw] = w.shape as [number, number, number, number];
  const outH = Math.floor((h + 2 * padH - kh) / strideH) + 1;
  const outW = Math.floor((wd + 2 * padW - kw) / strideW) + 1;
  if (outH < 1 || outW < 1) throw new ShapeError(`conv2d: kernel ${kh}×${kw} does not fit input ${h}×${wd} with padding ${padH},${padW}`);
  const at: Conv2dAttrs = { batch, cIn, h, w: wd, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW, xSparse: opts.sparseInput ?? x.spikes };
  const y = empty([batch, cOut, outH, outW], x.dtype, x.backend);
  kernel(x.backend, "conv2d", { x: x.buf, w: w.buf, y: y.buf }, at);
  record("conv2d", [x, w], [y], ([g]) => {
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    if (x.requiresGrad) {
      dx = emptyLike(x);
      kernel(x.backend, "conv2dBackwardData", { dy: g!.buf, w: w.buf, dx: dx.buf }, at);
    }
    if (w.requiresGrad) {
      dw = emptyLike(w);
      kernel(x.backend, "conv2dBackwardFilter", { x: x.buf, dy: g!.buf, dw: dw.buf }, at);
    }
    return [dx, dw];
  });
  if (!bias) return y;
  return add(y, reshape(bias, [1, cOut, 1, 1]));
}

function pool(x: Tensor, mode: "sum" | "avg", kernelSize: number | [number, number], stride?: number | [number, number]): Tensor {
  if (x.rank !== 4) throw new ShapeError(`${mode}Pool2d: needs [B, C, H, W], got ${fmt(x.shape)}`);
  const [kh, kw] = pair(kernelSize, 2);
  const [strideH, strideW] = pair(stride ?? kernelSize, 2);
  const [b, c, h, w] = x.shape as [number, number, number, number];
  const outH = Math.floor((h - kh) / strideH) + 1;
  const outW = Math.floor((w - kw) / strideW) + 1;
  if (outH < 1 || outW < 1) throw new ShapeError(`${mode}Pool2d: window ${kh}×${kw} does not fit ${h}×${w}`);
  const at: Pool2dAttrs = { mode, planes: b * c, h, w, kh, kw, strideH, strideW, outH, outW };
  const y = empty([b, c, outH, outW], x.dtype, x.backend);
  kernel(x.backend, "pool2d", { x: x.buf, y: y.buf }, at);
  y.spikes = x.spikes; // pooled spikes are still mostly zeros (counts, or counts / window for avg)
  record(`${mode}Pool2d`, [x], [y], ([g]) => {
    const dx = emptyLike(x);
    kernel(x.backend, "pool2dBackward", { dy: g!.buf, dx: dx.buf }, at);
    return [dx];
  });
  return y;
}

export const sumPool2d = (x: Tensor, k: number | [number, number], stride?: number | [number, number]): Tensor => pool(x, "sum", k, stride);
export const avgPool2d = (x: Tensor, k: number | [number, number], stride?: number | [number, number]): Tensor => pool(x, "avg", k, stride);

/** Mean over rows of −log softmax(logits)[label]; logits [R, C], labels R class indices. */
export function softmaxCrossEntropy(logits: Tensor, labels: ArrayLike<number>): Tensor {
  if (logits.rank !== 2) throw new ShapeError(`softmaxCrossEntropy: logits must be [rows, classes], got ${fmt(logits.shape)}`);
  const [rows, classes] = logits.shape as [number, number];
  if (labels.length !== rows) throw new ShapeError(`softmaxCrossEntropy: ${labels.length} labels for ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new ShapeError(`softmaxCrossEntropy: label ${l} at row ${i} is not a class index in 0..${classes - 1}`);
    }
  }
  const lab = empty([rows], logits.dtype, logits.backend);
  logits.backend.upload(lab.buf, labels);
  const lossRows = empty([rows], logits.dtype, logits.backend);
  // the softmax − onehot gradient comes out of the same kernel pass; only ask for it when it will be recorded
  const dl = logits.requiresGrad && isGradEnabled() ? emptyLike(logits) : null;
  kernel(logits.backend, "softmaxCrossEntropy", { logits: logits.buf, labels: lab.buf, loss: lossRows.buf, ...(dl ? { dlogits: dl.buf } : {}) }, { rows, classes });
  const y = empty([], logits.dtype, logits.backend);
  kernel(logits.backend, "reduce", { x: lossRows.buf, y: y.buf }, { op: "mean", outer: 1, mid: rows, inner: 1 });
  lab.dispose();
  lossRows.dispose();
  record("softmaxCrossEntropy", [logits], [y], ([g]) => {
    // d mean / d logits = (softmax − onehot)/rows · g
    const gs = g!.shareAs([1, 1]);
    const out = emptyLike(logits);
    const scaled = emptyLike(logits);
    kernel(logits.backend, "unary", { x: dl!.buf, y: scaled.buf }, { op: "scale", n: dl!.size, p: 1 / rows });
    kernel(logits.backend, "binary", { a: scaled.buf, b: gs.buf, y: out.buf }, { op: "mul", aShape: [rows, classes], bShape: [1, 1], yShape: [rows, classes] });
    scaled.dispose();
    gs.dispose();
    return [out];
  });
  return y;
}

