import { gemm } from "./gemm";

// im2col / col2im for conv2d through gemm, and sum/avg pooling, for the wasm backend (NCHW, one image per
// call). ../kernels/conv2d.ts drives the per-image gemm calls; col is a scratch block of [cIn·kh·kw, outH·outW].

/** col[(c·kh + ky)·kw + kx, oy·outW + ox] = x[c, oy·sH − pH + ky, ox·sW − pW + kx] (0 outside). */
export function im2col(x: usize, col: usize, cIn: i32, h: i32, w: i32, kh: i32, kw: i32, sH: i32, sW: i32,
  pH: i32, pW: i32, outH: i32, outW: i32): void {
  let dst = col;
  for (let c = 0; c < cIn; c++)
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++)
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * sH - pH + ky;
          const rowOk = iy >= 0 && iy < h;
          const src = x + ((<usize>(c * h + iy) * <usize>w) << 2);
          for (let ox = 0; ox < outW; ox++, dst += 4) {
            const ix = ox * sW - pW + kx;
            store<f32>(dst, rowOk && ix >= 0 && ix < w ? load<f32>(src + (<usize>ix << 2)) : 0);
          }
        }
}

/** The adjoint of im2col: dx (zeroed here) += col scattered back. */
export function col2im(col: usize, dx: usize, cIn: i32, h: i32, w: i32, kh: i32, kw: i32, sH: i32, sW: i32,
  pH: i32, pW: i32, outH: i32, outW: i32): void {
  memory.fill(dx, 0, (<usize>cIn * <usize>h * <usize>w) << 2);
  let src = col;
  for (let c = 0; c < cIn; c++)
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++)
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * sH - pH + ky;
          const rowOk = iy >= 0 && iy < h;
          const dst = dx + ((<usize>(c * h + iy) * <usize>w) << 2);
          for (let ox = 0; ox < outW; ox++, src += 4) {
            const ix = ox * sW - pW + kx;
            if (rowOk && ix >= 0 && ix < w) {
              const d = dst + (<usize>ix << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src));
            }
          }
        }
}

/** x:[planes, h, w] → y:[planes, outH, outW]; window sum (f64), times scale (1 or 1/(kh·kw)). */
export function pool2d(x: usize, y: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32, sH: i32, sW: i32,
  outH: i32, outW: i32, scale: f64): void {
  let dst = y;
  for (let p = 0; p < planes; p++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++, dst += 4) {
        let acc: f64 = 0;
        for (let ky = 0; ky < kh; ky++) {
          const row = x + ((<usize>((p * h + oy * sH + ky) * w + ox * sW)) << 2);
          for (let kx = 0; kx < kw; kx++) acc += <f64>load<f32>(row + (<usize>kx << 2));
        }
        store<f32>(dst, <f32>(acc * scale));
      }
}

/** dx = pool2d adjoint: each dy spread over its window (scaled). */
export function pool2dBackward(dy: usize, dx: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32, sH: i32,
  sW: i32, outH: i32, outW: i32, scale: f64): void {
  memory.fill(dx, 0, (<usize>planes * <usize>h * <usize>w) << 2);
  let src = dy;
  for (let p = 0; p < planes; p++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++, src += 4) {
        const g = <f32>(<f64>load<f32>(src) * scale);
        for (let ky = 0; ky < kh; ky++) {
          const row = dx + ((<usize>((p * h + oy * sH + ky) * w + ox * sW)) << 2);
          for (let kx = 0; kx < kw; kx++) {
            const d = row + (<usize>kx << 2);
            store<f32>(d, load<f32>(d) + g);
          }
        }
      }
}

// ---- spike-driven conv2d (x mostly zero): cost ∝ nonzeros of x · kh·kw · cOut ------------------------------
// Each nonzero input x[c, iy, ix] = v touches the outputs (oy, ox) with oy·sH − pH + ky = iy, ox·sW − pW + kx = ix;
// channels-last scratch rows ([pixel, cOut]) make every touch one contiguous SIMD axpy over cOut.

// @ts-ignore: decorator
@inline function axpy(dst: usize, src: usize, n: i32, s: f32): void {
  const v = f32x4.splat(s);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(v, v128.load(src + o))));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + s * load<f32>(src + o));
  }
}

/**
 * Every nonzero x[c, iy, ix] = v of one image (xb) against every tap (ky, kx) that maps it onto an output
 * pixel p: the forward adds v·wT[tap] to pix[p]; the weight gradient (grad) adds v·pix[p] to wT[tap].
 * pix: [outH·outW, cOut] channels last; wT: [cIn·kh·kw, cOut].
 */
function spikeTaps(xb: usize, pix: usize, wT: usize, cIn: i32, h: i32, w: i32, cOut: i32, kh: i32, kw: i32,
  sH: i32, sW: i32, pH: i32, pW: i32, outH: i32, outW: i32, grad: bool): void {
  const rowB = <usize>cOut << 2;
  for (let c = 0; c < cIn; c++)
    for (let iy = 0; iy < h; iy++) {
      const xrow = xb + ((<usize>(c * h + iy) * <usize>w) << 2);
      for (let ix = 0; ix < w; ix++) {
        const v = load<f32>(xrow + (<usize>ix << 2));
        if (v == 0) continue;
        for (let ky = 0; ky < kh; ky++) {
          const ty = iy + pH - ky;
          if (ty < 0 || ty % sH != 0) continue;
          const oy = ty / sH;
          if (oy >= outH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const tx = ix + pW - kx;
            if (tx < 0 || tx % sW != 0) continue;
            const ox = tx / sW;
            if (ox >= outW) continue;
            const pp = pix + <usize>(oy * outW + ox) * rowB, wp = wT + <usize>((c * kh + ky) * kw + kx) * rowB;
            if (grad) axpy(wp, pp, cOut, v);
            else axpy(pp, wp, cOut, v);
          }
        }
      }
    }
}

/**
 * Forward for nb images: y[b] (NCHW) = conv(x[b], w) from wT = w as [cIn·kh·kw, cOut] (channels last).
 * scratch: outH·outW·cOut floats (the channels-last output of one image, transposed into y at the end).
 */
export function conv2dSparse(x: usize, wT: usize, y: usize, nb: i32, cIn: i32, h: i32, w: i32, cOut: i32, kh: i32,
  kw: i32, sH: i32, sW: i32, pH: i32, pW: i32, outH: i32, outW: i32, scratch: usize): void {
  const HW = outH * outW;
  const rowB = <usize>cOut << 2;
  for (let b = 0; b < nb; b++) {
    memory.fill(scratch, 0, <usize>HW * rowB);
    const xb = x + ((<usize>b * <usize>cIn * <usize>h * <usize>w) << 2);
    spikeTaps(xb, scratch, wT, cIn, h, w, cOut, kh, kw, sH, sW, pH, pW, outH, outW, false);
    // [HW, cOut] → y[b] as [cOut, HW]
    const yb = y + ((<usize>b * <usize>cOut * <usize>HW) << 2);
    for (let p = 0; p < HW; p++) {
      const src = scratch + <usize>p * rowB;
      for (let o = 0; o < cOut; o++) store<f32>(yb + ((<usize>o * <usize>HW + <usize>p) << 2), load<f32>(src + (<usize>o << 2)));
    }
  }
}

/**
 * Weight gradient for nb images, accumulated: dwT[(c·kh + ky)·kw + kx, o] (zeroed here first) += Σ x·dy over
 * the nonzeros of x. dy[b] is NCHW; scratch holds one image's dy channels-last (outH·outW·cOut floats).
 */
export function conv2dSparseFilter(x: usize, dy: usize, dwT: usize, nb: i32, cIn: i32, h: i32, w: i32, cOut: i32,
  kh: i32, kw: i32, sH: i32, sW: i32, pH: i32, pW: i32, outH: i32, outW: i32, scratch: usize): void {
  const HW = outH * outW;
  const rowB = <usize>cOut << 2;
  memory.fill(dwT, 0, <usize>(cIn * kh * kw) * rowB);
  for (let b = 0; b < nb; b++) {
    const dyb = dy + ((<usize>b * <usize>cOut * <usize>HW) << 2);
    for (let o = 0; o < cOut; o++) {
      const src = dyb + ((<usize>o * <usize>HW) << 2);
      for (let p = 0; p < HW; p++) store<f32>(scratch + <usize>p * rowB + (<usize>o << 2), load<f32>(src + (<usize>p << 2)));
    }
    const xb = x + ((<usize>b * <usize>cIn * <usize>h * <usize>w) << 2);
    spikeTaps(xb, scratch, dwT, cIn, h, w, cOut, kh, kw, sH, sW, pH, pW, outH, outW, true);
  }
}

// ---- dense conv2d for a block of nb images (one thread's share): im2col + gemm per image -----------------

// @ts-ignore: decorator
@inline function pointwise(kh: i32, kw: i32, sH: i32, sW: i32, pH: i32, pW: i32): bool {
  return kh == 1 && kw == 1 && sH == 1 && sW == 1 && pH == 0 && pW == 0;
}

/** y[b] = w[cOut, K] · col(x[b]) for nb images. col: K·outH·outW floats (unused when 1×1); gs: gemmScratchBytes(). */
export function conv2dBatch(x: usize, wt: usize, y: usize, nb: i32, cIn: i32, h: i32, w: i32, cOut: i32, kh: i32, kw: i32,
  sH: i32, sW: i32, pH: i32, pW: i32, outH: i32, outW: i32, col: usize, gs: usize): void {
  const K = cIn * kh * kw, HW = outH * outW;
  const direct = pointwise(kh, kw, sH, sW, pH, pW);
  for (let b = 0; b < nb; b++) {
    const xb = x + ((<usize>b * <usize>cIn * <usize>h * <usize>w) << 2);
    if (!direct) im2col(xb, col, cIn, h, w, kh, kw, sH, sW, pH, pW, outH, outW);
    gemm(wt, direct ? xb : col, y + ((<usize>b * <usize>cOut * <usize>HW) << 2), cOut, HW, K, K, 1, HW, 1, HW, 0, 1, gs);
  }
}

/** dx[b] = col2im(wᵀ · dy[b]) for nb images (the input gradient). */
export function conv2dBackwardDataBatch(dy: usize, wt: usize, dx: usize, nb: i32, cIn: i32, h: i32, w: i32, cOut: i32,
  kh: i32, kw: i32, sH: i32, sW: i32, pH: i32, pW: i32, outH: i32, outW: i32, col: usize, gs: usize): void {
  const K = cIn * kh * kw, HW = outH * outW;
  const direct = pointwise(kh, kw, sH, sW, pH, pW);
  for (let b = 0; b < nb; b++) {
    const dxb = dx + ((<usize>b * <usize>cIn * <usize>h * <usize>w) << 2);
    gemm(wt, dy + ((<usize>b * <usize>cOut * <usize>HW) << 2), direct ? dxb : col, K, HW, cOut, 1, K, HW, 1, HW, 0, 1, gs);
    if (!direct) col2im(col, dxb, cIn, h, w, kh, kw, sH, sW, pH, pW, outH, outW);
  }
}

/** dw[cOut, K] = Σ_b dy[b] · col(x[b])ᵀ over nb images (overwritten, not accumulated across calls). */
export function conv2dBackwardFilterBatch(x: usize, dy: usize, dw: usize, nb: i32, cIn: i32, h: i32, w: i32, cOut: i32,
  kh: i32, kw: i32, sH: i32, sW: i32, pH: i32, pW: i32, outH: i32, outW: i32, col: usize, gs: usize): void {
  const K = cIn * kh * kw, HW = outH * outW;
  const direct = pointwise(kh, kw, sH, sW, pH, pW);
  for (let b = 0; b < nb; b++) {
    const xb = x + ((<usize>b * <usize>cIn * <usize>h * <usize>w) << 2);
    if (!direct) im2col(xb, col, cIn, h, w, kh, kw, sH, sW, pH, pW, outH, outW);
    gemm(dy + ((<usize>b * <usize>cOut * <usize>HW) << 2), direct ? xb : col, dw, cOut, K, HW, HW, 1, 1, HW, K, b > 0 ? 1 : 0, 1, gs);
  }
}
