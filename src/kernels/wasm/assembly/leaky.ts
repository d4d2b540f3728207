// The leaky integrator's scans for the wasm backend (docs/gradients.md §10), forward and backward, called
// from ../kernels/leaky.ts. P == 1 or P % 4 == 0: row-streaming like lif-forward.ts; other P: per-neuron-group
// scans with the time loop inside. Rounded op by op like the ref (no FMA).
import { ROW, W, addLanesToParams, ld, prm, setRow, st } from "./scan";

// Parameter vector for lanes at index q (P % 4 == 0) or the hoisted splat (P == 1).
// @ts-ignore: decorator
@inline function pv(ptr: usize, q: i32, uniform: bool, splat: v128): v128 {
  return uniform ? splat : v128.load(ptr + (<usize>q << 2));
}

function leakyFwd4(x: usize, v0: usize, alpha: usize, y: usize, T: i32, N: i32, P: i32, n: i32, scalar: bool): void {
  const a = prm(alpha, n, P, scalar);
  let cur = ld(v0 + (<usize>n << 2), scalar);
  const stride = <usize>ROW << 2;
  let off = <usize>n << 2;
  for (let t = 0; t < T; t++, off += stride) {
    cur = f32x4.add(f32x4.mul(a, cur), ld(x + off, scalar)); // §10, rounded op by op like the ref
    st(y + off, cur, scalar);
  }
}

/** Row-streaming leaky forward (P == 1 or P % 4 == 0): y_{t−1} is read back from y, like lifFwdRows (lif-forward.ts). */
// @ts-ignore: decorator
@inline function leakyFwdRows(x: usize, v0: usize, alpha: usize, y: usize, T: i32, N: i32, P: i32, N4: i32, uniform: bool): void {
  const aS = v128.load32_splat(alpha);
  const stride = <usize>ROW << 2;
  for (let n0 = 0; n0 < N4; n0 += W) {
    const n1 = min(N4, n0 + W);
    for (let t = 0; t < T; t++) {
      const row = <usize>t * stride;
      let q = uniform ? 0 : n0 % P;
      for (let n = n0; n < n1; n += 4) {
        const o = row + (<usize>n << 2);
        const prev = t == 0 ? v128.load(v0 + (<usize>n << 2)) : v128.load(y + o - stride);
        // §10, rounded op by op like the ref (no FMA)
        v128.store(y + o, f32x4.add(f32x4.mul(pv(alpha, q, uniform, aS), prev), v128.load(x + o)));
        if (!uniform) { q += 4; if (q >= P) q = 0; }
      }
    }
  }
}

/** Row-streaming leaky backward: g_{t+1} is dx_{t+1}, one row below; dα partial sums in scratch (W floats). */
// @ts-ignore: decorator
@inline function leakyBwdRows(gY: usize, alpha: usize, dx: usize, dv0: usize, y: usize, v0: usize, dAlpha: usize,
  T: i32, N: i32, P: i32, N4: i32, scratch: usize, uniform: bool): void {
  const aS = v128.load32_splat(alpha);
  const stride = <usize>ROW << 2;
  const withAlpha = dAlpha != 0;
  for (let n0 = 0; n0 < N4; n0 += W) {
    const n1 = min(N4, n0 + W);
    if (withAlpha) memory.fill(scratch, 0, <usize>W << 2);
    for (let t = T - 1; t >= 0; t--) {
      const row = <usize>t * stride;
      let q = uniform ? 0 : n0 % P;
      for (let n = n0; n < n1; n += 4) {
        const o = row + (<usize>n << 2);
        const a = pv(alpha, q, uniform, aS);
        let g = v128.load(gY + o);
        if (t < T - 1) g = f32x4.add(g, f32x4.mul(a, v128.load(dx + o + stride))); // g_t = gY_t + α·g_{t+1}
        v128.store(dx + o, g);
        if (withAlpha) {
          const prev = t > 0 ? v128.load(y + o - stride) : v128.load(v0 + (<usize>n << 2));
          const so = scratch + (<usize>(n - n0) << 2);
          v128.store(so, f32x4.add(v128.load(so), f32x4.mul(g, prev)));
        }
        if (t == 0) v128.store(dv0 + (<usize>n << 2), f32x4.mul(a, g));
        if (!uniform) { q += 4; if (q >= P) q = 0; }
      }
    }
    if (withAlpha) {
      for (let n = n0; n < n1; n++) {
        const pa = dAlpha + (<usize>(n % P) << 2);
        store<f32>(pa, load<f32>(pa) + load<f32>(scratch + (<usize>(n - n0) << 2)));
      }
    }
  }
}

/** docs/gradients.md §10: y_t = α·y_{t−1} + x_t, y_{−1} = v0. */
export function leakyForward(x: usize, v0: usize, alpha: usize, y: usize, T: i32, N: i32, P: i32, ld: i32): void {
  setRow(ld, N);
  let n = 0;
  if (P == 1 || (P & 3) == 0) {
    n = N & ~3;
    if (P == 1) leakyFwdRows(x, v0, alpha, y, T, N, P, n, true);
    else leakyFwdRows(x, v0, alpha, y, T, N, P, n, false);
  }
  for (; n + 4 <= N; n += 4) leakyFwd4(x, v0, alpha, y, T, N, P, n, false);
  for (; n < N; n++) leakyFwd4(x, v0, alpha, y, T, N, P, n, true);
}

function leakyBwd4(gY: usize, alpha: usize, dx: usize, dv0: usize, y: usize, v0: usize, dAlpha: usize,
  T: i32, N: i32, P: i32, n: i32, scalar: bool): void {
  const a = prm(alpha, n, P, scalar);
  const stride = <usize>ROW << 2;
  let g = f32x4.splat(0);
  let acc = f32x4.splat(0);
  const withAlpha = dAlpha != 0;
  let off = (<usize>(T - 1) * stride) + (<usize>n << 2);
  for (let t = T - 1; t >= 0; t--, off -= stride) {
    g = f32x4.add(ld(gY + off, scalar), f32x4.mul(a, g)); // (10.1), the adjoint of the scan
    st(dx + off, g, scalar);
    if (withAlpha) {
      const prev = t > 0 ? ld(y + off - stride, scalar) : ld(v0 + (<usize>n << 2), scalar);
      acc = f32x4.add(acc, f32x4.mul(g, prev));
    }
  }
  st(dv0 + (<usize>n << 2), f32x4.mul(a, g), scalar);
  if (withAlpha) {
    addLanesToParams(dAlpha, acc, n, P, scalar);
  }
}

/**
 * g_t = α·g_{t+1} + gY_t; dx = g; dv0 = α·g_0; dα_p = Σ g_t·y_{t−1}. y, v0, dAlpha = 0 when absent.
 * scratch: lifScratchBytes(P).
 */
export function leakyBackward(gY: usize, alpha: usize, dx: usize, dv0: usize, y: usize, v0: usize, dAlpha: usize,
  T: i32, N: i32, P: i32, scratch: usize, ld: i32): void {
  setRow(ld, N);
  if (dAlpha) memory.fill(dAlpha, 0, <usize>P << 2);
  if (T <= 0) {
    for (let n = 0; n < N; n++) store<f32>(dv0 + (<usize>n << 2), 0);
    return;
  }
  let n = 0;
  if (P == 1 || (P & 3) == 0) {
    n = N & ~3;
    if (P == 1) leakyBwdRows(gY, alpha, dx, dv0, y, v0, dAlpha, T, N, P, n, scratch, true);
    else leakyBwdRows(gY, alpha, dx, dv0, y, v0, dAlpha, T, N, P, n, scratch, false);
  }
  for (; n + 4 <= N; n += 4) leakyBwd4(gY, alpha, dx, dv0, y, v0, dAlpha, T, N, P, n, false);
  for (; n < N; n++) leakyBwd4(gY, alpha, dx, dv0, y, v0, dAlpha, T, N, P, n, true);
}
