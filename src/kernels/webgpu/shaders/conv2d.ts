/**
 * WGSL conv2d (NCHW cross-correlation, as PyTorch) forward, data-backward and filter-backward, and sum/avg
 * pooling forward/backward. All are gathers — one invocation per output element — so no atomics are
 * needed: backward-data finds, for each input pixel, the output positions whose window covers it.
 * Conv words: 1 count, 2 batch, 3 cIn, 4 h, 5 w, 6 cOut, 7 kh, 8 kw, 9 strideH, 10 strideW, 11 padH,
 * 12 padW, 13 outH, 14 outW. Pool words: 1 count, 2 planes, 3 h, 4 w, 5 kh, 6 kw, 7 strideH, 8 strideW,
 * 9 outH, 10 outW, 11 scale (f32).
 */
import { MAIN_1D } from "./common.js";

const CONV_PARAMS = `
  let B = pu(2u); let C = pu(3u); let H = i32(pu(4u)); let W = i32(pu(5u)); let O = pu(6u);
  let KH = pu(7u); let KW = pu(8u); let SH = i32(pu(9u)); let SW = i32(pu(10u));
  let PH = i32(pu(11u)); let PW = i32(pu(12u)); let OH = pu(13u); let OW = pu(14u);`;

/** y[b,o,oy,ox] = Σ_{c,ky,kx} x[b,c,oy·sh−ph+ky, ox·sw−pw+kx]·w[o,c,ky,kx]. */
export function conv2dWgsl(): string {
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  ${CONV_PARAMS}
  let ox = gi % OW; let oy = (gi / OW) % OH; let o = (gi / (OW * OH)) % O; let b = gi / (OW * OH * O);
  var acc = 0.0;
  for (var c = 0u; c < C; c++) {
    for (var ky = 0u; ky < KH; ky++) {
      let iy = i32(oy) * SH - PH + i32(ky);
      if (iy < 0 || iy >= H) { continue; }
      for (var kx = 0u; kx < KW; kx++) {
        let ix = i32(ox) * SW - PW + i32(kx);
        if (ix < 0 || ix >= W) { continue; }
        acc += xs[((b * C + c) * u32(H) + u32(iy)) * u32(W) + u32(ix)] * ws[((o * C + c) * KH + ky) * KW + kx];
      }
    }
  }
  ys[gi] = acc;
}`;
}

/** dx[b,c,iy,ix] = Σ_{o,ky,kx : oy·sh−ph+ky = iy, ox·sw−pw+kx = ix} dy[b,o,oy,ox]·w[o,c,ky,kx]. */
export function conv2dBackwardDataWgsl(): string {
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  ${CONV_PARAMS}
  let ix = i32(gi % u32(W)); let iy = i32((gi / u32(W)) % u32(H));
  let c = (gi / u32(W * H)) % C; let b = gi / (u32(W * H) * C);
  var acc = 0.0;
  for (var o = 0u; o < O; o++) {
    for (var ky = 0u; ky < KH; ky++) {
      let ty = iy + PH - i32(ky);
      if (ty < 0 || ty % SH != 0) { continue; }
      let oy = ty / SH;
      if (oy >= i32(OH)) { continue; }
      for (var kx = 0u; kx < KW; kx++) {
        let tx = ix + PW - i32(kx);
        if (tx < 0 || tx % SW != 0) { continue; }
        let ox = tx / SW;
        if (ox >= i32(OW)) { continue; }
        acc += dys[((b * O + o) * OH + u32(oy)) * OW + u32(ox)] * ws[((o * C + c) * KH + ky) * KW + kx];
      }
    }
  }
  dx[gi] = acc;
}`;
}

/** dw[o,c,ky,kx] = Σ_{b,oy,ox} x[b,c,oy·sh−ph+ky, ox·sw−pw+kx]·dy[b,o,oy,ox]. */
export function conv2dBackwardFilterWgsl(): string {
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  ${CONV_PARAMS}
  let kx = gi % KW; let ky = (gi / KW) % KH; let c = (gi / (KW * KH)) % C; let o = gi / (KW * KH * C);
  var acc = 0.0;
  for (var b = 0u; b < B; b++) {
    for (var oy = 0u; oy < OH; oy++) {
      let iy = i32(oy) * SH - PH + i32(ky);
      if (iy < 0 || iy >= H) { continue; }
      for (var ox = 0u; ox < OW; ox++) {
        let ix = i32(ox) * SW - PW + i32(kx);
        if (ix < 0 || ix >= W) { continue; }
        acc += xs[((b * C + c) * u32(H) + u32(iy)) * u32(W) + u32(ix)] * dys[((b * O + o) * OH + oy) * OW + ox];
      }
    }
  }
  dw[gi] = acc;
}`;
}

const POOL_PARAMS = `
  let H = pu(3u); let W = pu(4u); let KH = pu(5u); let KW = pu(6u);
  let SH = pu(7u); let SW = pu(8u); let OH = pu(9u); let OW = pu(10u); let scale = pf(11u);`;

/** y[p,oy,ox] = scale·Σ_{ky,kx} x[p, oy·sh+ky, ox·sw+kx]. */
export function pool2dWgsl(): string {
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  ${POOL_PARAMS}
  let ox = gi % OW; let oy = (gi / OW) % OH; let p = gi / (OW * OH);
  var acc = 0.0;
  for (var ky = 0u; ky < KH; ky++) {
    for (var kx = 0u; kx < KW; kx++) { acc += xs[(p * H + oy * SH + ky) * W + ox * SW + kx]; }
  }
  ys[gi] = acc * scale;
}`;
}

/** dx[p,iy,ix] = scale·Σ over windows (oy, ox) covering (iy, ix) of dy[p,oy,ox]. */
export function pool2dBackwardWgsl(): string {
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  ${POOL_PARAMS}
  let ix = gi % W; let iy = (gi / W) % H; let p = gi / (W * H);
  // oy·SH ≤ iy < oy·SH + KH  ⇔  ceil((iy−KH+1)/SH) ≤ oy ≤ iy/SH
  var oyLo = 0u; if (iy + 1u > KH) { oyLo = (iy + 1u - KH + SH - 1u) / SH; }
  var oxLo = 0u; if (ix + 1u > KW) { oxLo = (ix + 1u - KW + SW - 1u) / SW; }
  let oyHi = min(iy / SH + 1u, OH); let oxHi = min(ix / SW + 1u, OW);
  var acc = 0.0;
  for (var oy = oyLo; oy < oyHi; oy++) {
    for (var ox = oxLo; ox < oxHi; ox++) { acc += dys[(p * OH + oy) * OW + ox] * scale; }
  }
  dx[gi] = acc;
}`;
}
