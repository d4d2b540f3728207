/** ref conv2d forward / x-backward / weight-backward and sum/avg pooling (direct loops, NCHW). */
import type { ArrayKernels } from "../contract.js";

export const conv: Pick<
  ArrayKernels,
  "conv2d" | "conv2dBackwardData" | "conv2dBackwardFilter" | "pool2d" | "pool2dBackward"
> = {
  conv2d({ x, w, y }, a) {
    const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = a;
    for (let b = 0; b < batch; b++)
      for (let o = 0; o < cOut; o++)
        for (let oy = 0; oy < outH; oy++)
          for (let ox = 0; ox < outW; ox++) {
            let acc = 0;
            for (let c = 0; c < cIn; c++)
              for (let ky = 0; ky < kh; ky++) {
                const iy = oy * strideH - padH + ky;
                if (iy < 0 || iy >= h) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ox * strideW - padW + kx;
                  if (ix < 0 || ix >= W) continue;
                  acc += x[((b * cIn + c) * h + iy) * W + ix]! * w[((o * cIn + c) * kh + ky) * kw + kx]!;
                }
              }
            y[((b * cOut + o) * outH + oy) * outW + ox] = acc;
          }
  },

  conv2dBackwardData({ dy, w, dx }, a) {
    const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = a;
    const acc = new Float64Array(batch * cIn * h * W);
    for (let b = 0; b < batch; b++)
      for (let o = 0; o < cOut; o++)
        for (let oy = 0; oy < outH; oy++)
          for (let ox = 0; ox < outW; ox++) {
            const g = dy[((b * cOut + o) * outH + oy) * outW + ox]!;
            if (g === 0) continue;
            for (let c = 0; c < cIn; c++)
              for (let ky = 0; ky < kh; ky++) {
                const iy = oy * strideH - padH + ky;
                if (iy < 0 || iy >= h) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ox * strideW - padW + kx;
                  if (ix < 0 || ix >= W) continue;
                  acc[((b * cIn + c) * h + iy) * W + ix]! += g * w[((o * cIn + c) * kh + ky) * kw + kx]!;
                }
              }
          }
    dx.set(acc);
  },

  conv2dBackwardFilter({ x, dy, dw }, a) {
    const { batch, cIn, h, w: W, cOut, kh, kw, strideH, strideW, padH, padW, outH, outW } = a;
    for (let o = 0; o < cOut; o++)
      for (let c = 0; c < cIn; c++)
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            let acc = 0;
            for (let b = 0; b < batch; b++)
              for (let oy = 0; oy < outH; oy++) {
                const iy = oy * strideH - padH + ky;
                if (iy < 0 || iy >= h) continue;
                for (let ox = 0; ox < outW; ox++) {
                  const ix = ox * strideW - padW + kx;
                  if (ix < 0 || ix >= W) continue;
                  acc += x[((b * cIn + c) * h + iy) * W + ix]! * dy[((b * cOut + o) * outH + oy) * outW + ox]!;
                }
              }
            dw[((o * cIn + c) * kh + ky) * kw + kx] = acc;
          }
  },

  pool2d({ x, y }, { mode, planes, h, w, kh, kw, strideH, strideW, outH, outW }) {
    const scale = mode === "avg" ? 1 / (kh * kw) : 1;
    for (let p = 0; p < planes; p++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          let acc = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) acc += x[(p * h + oy * strideH + ky) * w + ox * strideW + kx]!;
          y[(p * outH + oy) * outW + ox] = acc * scale;
        }
  },

  pool2dBackward({ dy, dx }, { mode, planes, h, w, kh, kw, strideH, strideW, outH, outW }) {
    const scale = mode === "avg" ? 1 / (kh * kw) : 1;
    const acc = new Float64Array(planes * h * w);
    for (let p = 0; p < planes; p++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          const g = dy[(p * outH + oy) * outW + ox]! * scale;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) acc[(p * h + oy * strideH + ky) * w + ox * strideW + kx]! += g;
        }
    dx.set(acc);
  },
};
