/**
 * WGSL neuron scans: one invocation per neuron looping over time. The [T, N] time-major layout makes
 * consecutive invocations touch consecutive addresses at every step (coalesced). Per-neuron parameters
 * of length P are read at n % P. `opq` keeps each product rounded before the add, as ref does, so the
 * forward scans are bit-equal to ref (spec §8.13).
 */
import type { SurrogateSpec } from "../../contract.js";
import { MAIN_1D, SPIKE_FN, surrogateWgsl } from "./common.js";

/**
 * lifForward, spec §1.1:
 *   u_t = α(v_{t−1} − m·s_{t−1}) + x_t,  v_t = max(u_t, θlow),  s_t = min(⌊v_t/θ⌋, cap)·1[v_t ≥ θ].
 * Words: 1 N, 2 T, 3 P, 4 cap.
 */
export function lifForwardWgsl(hasMinV: boolean): string {
  return `${SPIKE_FN}
${MAIN_1D}
  let N = pu(1u);
  if (gi >= N) { return; }
  let T = pu(2u); let p = gi % pu(3u); let cap = pu(4u);
  let a = alpha[p]; let th = theta[p]; let m = sub[p];
  ${hasMinV ? "let lo = minV[p];" : ""}
  var cur = v0[gi];
  var act = 0.0;
  var i = gi;
  for (var t = 0u; t < T; t++) {
    cur = opq(a * (cur - opq(act * m))) + xs[i];
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
}

/**
 * lifBackward, spec §3.2 (exodus) / §3.3 (slayer: m := 0):
 *   y_t = σ_t·gS_t + gV_t;  λ_{T−1} = y_{T−1};  λ_t = y_t + nc_{t+1}·α(1 − m·σ_t)·λ_{t+1};
 *   dx_t = nc_t·λ_t;  dv0 = α·dx_0;  partial_n = Σ_t dx_t·vpost_{t−1}, vpost_{−1} = v0, vpost = v − m_true·s.
 * Words: 1 N, 2 T, 3 P, 4..8 surrogate, 9 gSP (0: gS is [T, N]; else gS is the same at every step, read at
 * n % gSP).
 */
export function lifBackwardWgsl(s: LifBackwardShape): string {
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

/** leakyForward, spec §1.2: y_t = α·y_{t−1} + x_t, y_{−1} = v0. Words: 1 N, 2 T, 3 P. */
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
 * leakyBackward, spec §3.2: g_t = α·g_{t+1} + gY_t; dx = g; dv0 = α·g_0; partial_n = Σ_t g_t·y_{t−1}.
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
