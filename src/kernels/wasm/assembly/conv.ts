// im2col / col2im for conv2d through gemm, and sum/avg pooling, for the wasm backend (NCHW, one image per
// call). backend.ts drives the per-image gemm calls; col is a scratch block of [cIn·kh·kw, outH·outW].

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
