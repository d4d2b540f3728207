// LIF backward scans for the wasm backend: EXODUS / SLAYER (docs/gradients.md §3, §4) with the α-gradient
// (§2), called from ../kernels/lif.ts. P == 1 or P % 4 == 0 with the subtractive reset takes the row path
// (lif-backward-rows.ts); other P and the tails (N % 4) a per-neuron-group scan with the time loop inside
// (lifBwd4); the zero reset and the threshold gradient (§5, §6) the general sweep lifBwdExt4.
import { surrK1, surrK2, surrogate4 } from "./simd";
import { ROW, addLanesToParams, ld, prm, setRow, spikeOf, st } from "./scan";
import { lifBwdRows } from "./lif-backward-rows";

function lifBwd4(gS: usize, gV: usize, v: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  dx: usize, dv0: usize, spikes: usize, v0: usize, dAlpha: usize, T: i32, N: i32, P: i32, exodus: bool,
  kind: i32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32, n: i32, scalar: bool, gsStep: usize): void {
  const a = prm(alpha, n, P, scalar), th = prm(theta, n, P, scalar);
  const mTrue = prm(sub, n, P, scalar);
  // SLAYER: m := 0 in the recursion (docs/gradients.md §4); the α-gradient still uses the true reset.
  const m = exodus ? mTrue : f32x4.splat(0);
  const lo = minV ? prm(minV, n, P, scalar) : f32x4.splat(-Infinity);
  const k1 = surrK1(kind, th, q0), k2 = surrK2(kind, th, q0, q1);
  const one = f32x4.splat(1);
  const stride = <usize>ROW << 2;
  let lam = f32x4.splat(0);
  let ncNext = f32x4.splat(0); // all-zero mask: λ_{T−1} = y_{T−1}
  let acc = f32x4.splat(0);
  const withAlpha = dAlpha != 0;
  let off = (<usize>(T - 1) * stride) + (<usize>n << 2);
  let goff = (<usize>(T - 1) * gsStep) + (<usize>n << 2);
  for (let t = T - 1; t >= 0; t--, off -= stride, goff -= gsStep) {
    const vt = ld(v + off, scalar);
    const sig = surrogate4(kind, vt, th, k1, k2, q0, q1, q2, q3, q4, q5);
    let y = f32x4.mul(sig, ld(gS + goff, scalar));
    if (gV) y = f32x4.add(y, ld(gV + off, scalar));
    // §3 (3.3): λ_t = y_t + nc_{t+1}·α(1 − m·σ_t)·λ_{t+1}
    const carry = f32x4.mul(f32x4.mul(a, f32x4.sub(one, f32x4.mul(m, sig))), lam);
    lam = f32x4.add(y, v128.and(carry, ncNext));
    const nc = f32x4.gt(vt, lo);
    const d = v128.and(lam, nc); // dx_t = nc_t·λ_t
    st(dx + off, d, scalar);
    ncNext = nc;
    if (withAlpha && t > 0) {
      // dα += dx_t · vpost_{t−1}, vpost = v − m·s with the true m (docs/gradients.md §2, (2.5))
      const pv = ld(v + off - stride, scalar), ps = ld(spikes + off - stride, scalar);
      acc = f32x4.add(acc, f32x4.mul(d, f32x4.sub(pv, f32x4.mul(mTrue, ps))));
    }
  }
  // After the loop lam·nc_0 = dx_0.
  const dx0 = v128.and(lam, ncNext);
  st(dv0 + (<usize>n << 2), f32x4.mul(a, dx0), scalar);
  if (withAlpha) {
    acc = f32x4.add(acc, f32x4.mul(dx0, ld(v0 + (<usize>n << 2), scalar)));
    addLanesToParams(dAlpha, acc, n, P, scalar);
  }
}

/**
 * The general backward sweep: the zero reset (docs/gradients.md (5.2)) and/or the threshold gradient (6.1),
 * for either reset. Spikes are recomputed from v with the forward's ops. A plain 4-lane scan per neuron
 * group; the specialised row path (lif-backward-rows.ts) stays the subtractive reset's without dθ.
 */
function lifBwdExt4(gS: usize, gV: usize, v: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  dx: usize, dv0: usize, v0: usize, dAlpha: usize, dTheta: usize, T: i32, P: i32, exodus: bool, zero: bool,
  thetaReset: bool, maxSpikes: i32, kind: i32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32, n: i32,
  scalar: bool, gsStep: usize): void {
  const a = prm(alpha, n, P, scalar), th = prm(theta, n, P, scalar);
  const mTrue = prm(sub, n, P, scalar);
  // SLAYER detaches the reset from the spike (docs/gradients.md §4): its ∂ρ/∂s terms are multiplied by 0.
  const ex = f32x4.splat(exodus ? 1 : 0);
  const m = f32x4.mul(ex, mTrue);
  const lo = minV ? prm(minV, n, P, scalar) : f32x4.splat(-Infinity);
  const k1 = surrK1(kind, th, q0), k2 = surrK2(kind, th, q0, q1);
  const one = f32x4.splat(1);
  const cap = f32x4.splat(<f32>maxSpikes);
  const capped = maxSpikes > 0;
  const stride = <usize>ROW << 2;
  let dxNext = f32x4.splat(0);
  let accA = f32x4.splat(0);
  let accT = f32x4.splat(0);
  const withAlpha = dAlpha != 0, withTheta = dTheta != 0;
  let off = (<usize>(T - 1) * stride) + (<usize>n << 2);
  let goff = (<usize>(T - 1) * gsStep) + (<usize>n << 2);
  for (let t = T - 1; t >= 0; t--, off -= stride, goff -= gsStep) {
    const vt = ld(v + off, scalar);
    const sig = surrogate4(kind, vt, th, k1, k2, q0, q1, q2, q3, q4, q5);
    const g = ld(gS + goff, scalar);
    let y = f32x4.mul(sig, g);
    if (gV) y = f32x4.add(y, ld(gV + off, scalar));
    let d: v128;
    if (!zero) {
      // (3.3): dx_t = nc_t·(y_t + α(1 − mσ_t)·dx_{t+1})
      d = f32x4.add(y, f32x4.mul(f32x4.mul(a, f32x4.sub(one, f32x4.mul(m, sig))), dxNext));
      if (withTheta) {
        // (6.1): −σ_t·(g_s − α·m·dx_{t+1}), and −α·s_t·dx_{t+1} when m = θ
        accT = f32x4.sub(accT, f32x4.mul(sig, f32x4.sub(g, f32x4.mul(f32x4.mul(a, m), dxNext))));
        if (thetaReset) accT = f32x4.sub(accT, f32x4.mul(f32x4.mul(a, spikeOf(vt, th, cap, capped)), dxNext));
      }
    } else {
      // (5.2): dx_t = nc_t·(y_t + α(1 − s_t − v_t·σ_t)·dx_{t+1})
      const sv = spikeOf(vt, th, cap, capped);
      const vs = f32x4.mul(ex, f32x4.mul(vt, sig));
      d = f32x4.add(y, f32x4.mul(f32x4.mul(a, f32x4.sub(f32x4.sub(one, sv), vs)), dxNext));
      // (6.1) with ∂L/∂s_t = g_s − α·v_t·dx_{t+1}
      if (withTheta) accT = f32x4.sub(accT, f32x4.mul(sig, f32x4.sub(g, f32x4.mul(f32x4.mul(f32x4.mul(ex, a), vt), dxNext))));
    }
    dxNext = v128.and(d, f32x4.gt(vt, lo));
    st(dx + off, dxNext, scalar);
    if (withAlpha && t > 0) {
      // (2.5): dα += dx_t · vpost_{t−1} with the true reset
      const pv = ld(v + off - stride, scalar);
      const ps = spikeOf(pv, th, cap, capped);
      const post = zero ? f32x4.mul(pv, f32x4.sub(one, ps)) : f32x4.sub(pv, f32x4.mul(mTrue, ps));
      accA = f32x4.add(accA, f32x4.mul(dxNext, post));
    }
  }
  st(dv0 + (<usize>n << 2), f32x4.mul(a, dxNext), scalar);
  if (withAlpha) {
    accA = f32x4.add(accA, f32x4.mul(dxNext, ld(v0 + (<usize>n << 2), scalar)));
    addLanesToParams(dAlpha, accA, n, P, scalar);
  }
  if (withTheta) addLanesToParams(dTheta, accT, n, P, scalar);
}

/**
 * docs/gradients.md §3 EXODUS (exodus = 1) or §4 SLAYER (exodus = 0) backward scan. gV, minV, dAlpha = 0 when absent
 * (dAlpha needs spikes and v0). Surrogate `kind` and q0..q5 as in simd.ts surrogate4. scratch: lifScratchBytes().
 * maxSpikes as in the forward: the row path recomputes s_{t−1} from v_{t−1} (bit-identical to the forward's
 * spikes) instead of reading the spikes array. gsRow: 1 when gS is [T, ·] (row stride ld), 0 when gS is one
 * row of N values used at every step (LifBackwardAttrs.gSP, expanded to N by ../kernels/lif.ts).
 * zero = 1: the zero reset (docs/gradients.md §5). dTheta ([P], 0 when absent): the threshold gradient (§6),
 * with the reset's θ-path when thetaInReset = 1. Either runs the general sweep lifBwdExt4.
 */
export function lifBackward(gS: usize, gV: usize, v: usize, alpha: usize, theta: usize, sub: usize, minV: usize,
  dx: usize, dv0: usize, spikes: usize, v0: usize, dAlpha: usize, T: i32, N: i32, P: i32, exodus: i32,
  kind: i32, q0: f32, q1: f32, q2: f32, q3: f32, q4: f32, q5: f32, scratch: usize, maxSpikes: i32, ld: i32,
  gsRow: i32, zero: i32, dTheta: usize, thetaInReset: i32): void {
  setRow(ld, N);
  // gS's row step in bytes: a full [T, ·] array, or 0 for one row used at every step (gsRow == 0).
  const gsStep: usize = gsRow != 0 ? <usize>ROW << 2 : 0;
  if (dAlpha) memory.fill(dAlpha, 0, <usize>P << 2);
  if (dTheta) memory.fill(dTheta, 0, <usize>P << 2);
  if (T <= 0) {
    for (let n = 0; n < N; n++) store<f32>(dv0 + (<usize>n << 2), 0);
    return;
  }
  let n = 0;
  if (zero != 0 || dTheta != 0) {
    const ex = exodus != 0, zr = zero != 0, tr = thetaInReset != 0;
    // dα on this path needs only v0 (spikes are recomputed from v)
    const dA = v0 ? dAlpha : 0;
    for (; n + 4 <= N; n += 4)
      lifBwdExt4(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dA, dTheta, T, P, ex, zr, tr, maxSpikes, kind, q0, q1, q2, q3, q4, q5, n, false, gsStep);
    for (; n < N; n++)
      lifBwdExt4(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dA, dTheta, T, P, ex, zr, tr, maxSpikes, kind, q0, q1, q2, q3, q4, q5, n, true, gsStep);
    return;
  }
  if (P == 1 || (P & 3) == 0) {
    n = N & ~3;
    // One specialised copy per surrogate kind (type-encoded, see kindOf in lif-backward-rows.ts).
    const ex = exodus != 0;
    switch (kind) {
      case 0: lifBwdRows<u8>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep); break;
      case 1: lifBwdRows<u16>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep); break;
      case 2: lifBwdRows<u32>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep); break;
      case 3: lifBwdRows<u64>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep); break;
      default: lifBwdRows<i8>(gS, gV, v, alpha, theta, sub, minV, dx, dv0, v0, dAlpha, T, N, P, ex, maxSpikes, q0, q1, q2, q3, q4, q5, n, scratch, gsStep);
    }
  }
  for (; n + 4 <= N; n += 4)
    lifBwd4(gS, gV, v, alpha, theta, sub, minV, dx, dv0, spikes, v0, dAlpha, T, N, P, exodus != 0, kind, q0, q1, q2, q3, q4, q5, n, false, gsStep);
  for (; n < N; n++)
    lifBwd4(gS, gV, v, alpha, theta, sub, minV, dx, dv0, spikes, v0, dAlpha, T, N, P, exodus != 0, kind, q0, q1, q2, q3, q4, q5, n, true, gsStep);
}
