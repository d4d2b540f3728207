/**
 * WGSL neuron scans: one invocation per neuron looping over time. The [T, N] time-major layout makes
 * consecutive invocations touch consecutive addresses at every step (coalesced). Per-neuron parameters
 * of length P are read at n % P. `opq` keeps each product rounded before the add, as ref does, so the
 * forward scans are bit-equal to ref (docs/gradients.md §11). The zero reset and the threshold gradient follow
 * docs/gradients.md §5–§6.
 */
import type { SurrogateSpec } from "../../contract.js";
import { MAIN_1D, SPIKE_FN, surrogateWgsl } from "./common.js";

/**
 * lifForward, docs/gradients.md §1:
 *   u_t = α(v_{t−1} − m·s_{t−1}) + x_t,  v_t = max(u_t, θlow),  s_t = min(⌊v_t/θ⌋, cap)·1[v_t ≥ θ].
 * zero: u_t = α·v_{t−1}·(1 − s_{t−1}) + x_t (docs/gradients.md §5; SingleSpike, `sub` unused).
 * Words: 1 N, 2 T, 3 P, 4 cap.
 */
export function lifForwardWgsl(hasMinV: boolean, zero = false): string {
  return `${SPIKE_FN}
${MAIN_1D}
  let N = pu(1u);
  if (gi >= N) { return; }
  let T = pu(2u); let p = gi % pu(3u); let cap = pu(4u);
  let a = alpha[p]; let th = theta[p]; ${zero ? "" : "let m = sub[p];"}
  ${hasMinV ? "let lo = minV[p];" : ""}
  var cur = v0[gi];
  var act = 0.0;
  var i = gi;
  for (var t = 0u; t < T; t++) {
    ${zero ? "cur = opq(a * opq(cur * (1.0 - act))) + xs[i];" : "cur = opq(a * (cur - opq(act * m))) + xs[i];"}
    ${hasMinV ? "if (cur < lo) { cur = lo; }" : ""}
    act = spikeCount(cur, th, cap);
    spikes[i] = act;
    vs[i] = cur;
    i += N;
  }
}`;
}

export interface LifBackwardShape {
  surrogate: SurrogateSpec;
  exodus: boolean;
  hasMinV: boolean;
  hasGV: boolean;
  /** Write per-neuron dα partials Σ_t dx_t·vpost_{t−1} to `partial` (reduced over n % P afterwards). */
  dAlpha: boolean;
  /** The zero reset (docs/gradients.md §5): spikes recomputed from v with cap word 10. */
  zero?: boolean;
  /** Write per-neuron dθ partials (docs/gradients.md (6.1)) to `partialT`. */
  dTheta?: boolean;
  /** m = θ: dθ also collects −α·s_t·dx_{t+1} (subtract reset only). */
  thetaInReset?: boolean;
}

/**
 * lifBackward, docs/gradients.md §3 (exodus) / §4 (slayer: m := 0):
 *   y_t = σ_t·gS_t + gV_t;  λ_{T−1} = y_{T−1};  λ_t = y_t + nc_{t+1}·α(1 − m·σ_t)·λ_{t+1};
 *   dx_t = nc_t·λ_t;  dv0 = α·dx_0;  partial_n = Σ_t dx_t·vpost_{t−1}, vpost_{−1} = v0, vpost = v − m_true·s.
 * Words: 1 N, 2 T, 3 P, 4..8 surrogate, 9 gSP (0: gS is [T, N]; else gS is the same at every step, read at
 * n % gSP).
 */
export function lifBackwardWgsl(s: LifBackwardShape): string {
  if (s.zero || s.dTheta) return lifBackwardExtWgsl(s);
  return `${surrogateWgsl(s.surrogate, 4)}
${MAIN_1D}
  let N = pu(1u);
  if (gi >= N) { return; }
  let T = pu(2u); let p = gi % pu(3u);
  let gSP = pu(9u);
  let a = alpha[p]; let th = theta[p];
  let mTrue = sub[p];
  let m = ${s.exodus ? "mTrue" : "0.0"};
  ${s.hasMinV ? "let lo = minV[p];" : ""}
  var lam = 0.0;
  var ncNext = 0.0;
  var d = 0.0;
  var acc = 0.0;
  for (var t = T; t > 0u; t--) {
    let i = (t - 1u) * N + gi;
    let vt = vs[i];
    let sig = surr(vt, th);
    let y = sig * gS[select(i, gi % max(gSP, 1u), gSP != 0u)]${s.hasGV ? " + gV[i]" : ""};
    if (t == T) { lam = y; } else { lam = y + ncNext * a * (1.0 - m * sig) * lam; }
    let nc = ${s.hasMinV ? "select(0.0, 1.0, vt > lo)" : "1.0"};
    d = nc * lam;
    dx[i] = d;
    ncNext = nc;
    ${s.dAlpha ? `var vprev = v0[gi];
    if (t > 1u) { vprev = vs[i - N] - mTrue * spikes[i - N]; }
    acc += d * vprev;` : ""}
  }
  dv0[gi] = a * d;
  ${s.dAlpha ? "partial[gi] = acc;" : ""}
}`;
}

/**
 * The general sweep: the zero reset (docs/gradients.md (5.2)) and/or the threshold gradient (6.1):
 *   subtract: dx_t = nc_t·(y_t + α(1 − mσ_t)·dx_{t+1}),  zero: dx_t = nc_t·(y_t + α(1 − s_t − v_t·σ_t)·dx_{t+1})
 *   (slayer: m := 0, and no −v_t·σ_t);  dθ_n = Σ_t −σ_t·∂L/∂s_t [− α·s_t·dx_{t+1} when m = θ].
 * Spikes are recomputed from v (spikeCount, cap word 10); dα reads vpost from v too.
 * Words: as lifBackwardWgsl, plus 10 cap.
 */
function lifBackwardExtWgsl(s: LifBackwardShape): string {
  const ex = s.exodus;
  return `${SPIKE_FN}
${surrogateWgsl(s.surrogate, 4)}
${MAIN_1D}
  let N = pu(1u);
  if (gi >= N) { return; }
  let T = pu(2u); let p = gi % pu(3u);
  let gSP = pu(9u); let cap = pu(10u);
  let a = alpha[p]; let th = theta[p];
  let mTrue = ${s.zero ? "0.0" : "sub[p]"};
  let m = ${ex ? "mTrue" : "0.0"};
  ${s.hasMinV ? "let lo = minV[p];" : ""}
  var dxNext = 0.0;
  var acc = 0.0;
  var accT = 0.0;
  for (var t = T; t > 0u; t--) {
    let i = (t - 1u) * N + gi;
    let vt = vs[i];
    let sig = surr(vt, th);
    let g = gS[select(i, gi % max(gSP, 1u), gSP != 0u)];
    let y = sig * g${s.hasGV ? " + gV[i]" : ""};
    ${s.zero
      ? `let st = spikeCount(vt, th, cap);
    let d = y + a * (1.0 - st - ${ex ? "vt * sig" : "0.0"}) * dxNext;
    ${s.dTheta ? `accT -= sig * (g - ${ex ? "a * vt * dxNext" : "0.0"});` : ""}`
      : `let d = y + a * (1.0 - m * sig) * dxNext;
    ${s.dTheta ? `accT -= sig * (g - a * m * dxNext);` : ""}
    ${s.dTheta && s.thetaInReset ? "accT -= a * spikeCount(vt, th, cap) * dxNext;" : ""}`}
    dxNext = ${s.hasMinV ? "select(0.0, d, vt > lo)" : "d"};
    dx[i] = dxNext;
    ${s.dAlpha ? `var vprev = v0[gi];
    if (t > 1u) {
      let pv = vs[i - N];
      vprev = ${s.zero ? "pv * (1.0 - spikeCount(pv, th, cap))" : "pv - mTrue * spikeCount(pv, th, cap)"};
    }
    acc += dxNext * vprev;` : ""}
  }
  dv0[gi] = a * dxNext;
  ${s.dAlpha ? "partial[gi] = acc;" : ""}
  ${s.dTheta ? "partialT[gi] = accT;" : ""}
}`;
}

/** leakyForward, docs/gradients.md §10: y_t = α·y_{t−1} + x_t, y_{−1} = v0. Words: 1 N, 2 T, 3 P. */
export function leakyForwardWgsl(): string {
  return `${MAIN_1D}
  let N = pu(1u);
  if (gi >= N) { return; }
  let T = pu(2u); let a = alpha[gi % pu(3u)];
  var cur = v0[gi];
  var i = gi;
  for (var t = 0u; t < T; t++) { cur = opq(a * cur) + xs[i]; ys[i] = cur; i += N; }
}`;
}

/**
 * leakyBackward, docs/gradients.md §10: g_t = α·g_{t+1} + gY_t; dx = g; dv0 = α·g_0; partial_n = Σ_t g_t·y_{t−1}.
 * Words: 1 N, 2 T, 3 P.
 */
export function leakyBackwardWgsl(dAlpha: boolean): string {
  return `${MAIN_1D}
  let N = pu(1u);
  if (gi >= N) { return; }
  let T = pu(2u); let a = alpha[gi % pu(3u)];
  var g = 0.0;
  var acc = 0.0;
  for (var t = T; t > 0u; t--) {
    let i = (t - 1u) * N + gi;
    g = gY[i] + a * g;
    dx[i] = g;
    ${dAlpha ? "if (t > 1u) { acc += g * ys[i - N]; } else { acc += g * v0[gi]; }" : ""}
  }
  dv0[gi] = a * g;
  ${dAlpha ? "partial[gi] = acc;" : ""}
}`;
}
