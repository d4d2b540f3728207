/**
 * ref neuron scans: LIF forward (docs/gradients.md §1), EXODUS / SLAYER backward (§3, §4), leaky integrator (§10)
 * forward/backward, with the zero reset and the threshold gradient of docs/gradients.md §5–§6. Written for
 * clarity; the oracle for the wasm and WGSL versions.
 */
import { spikeGradPeriod, type ArrayKernels } from "../contract.js";
import { surrogateValue } from "../surrogate-math.js";
import { rounder } from "./util.js";

/** §1 (1.3): s = min(⌊v/θ⌋, cap)·1[v ≥ θ] (cap 0 = unlimited), the forward's ops, so backward recomputes it exactly. */
function spikeCount(v: number, th: number, maxSpikes: number, R: (x: number) => number): number {
  let k = v >= th ? Math.trunc(R(v / th)) : 0;
  if (maxSpikes > 0 && k > maxSpikes) k = maxSpikes;
  return k;
}

export const lif: Pick<ArrayKernels, "lifForward" | "lifBackward" | "leakyForward" | "leakyBackward"> = {
  lifForward({ x, v0, alpha, theta, sub, minV, spikes, v }, { T, N, P, maxSpikes, hasMinV, reset }) {
    // Round after every op in float32 so the result equals the op-by-op BPTT path bit for bit (docs/gradients.md §11).
    const R = rounder(v);
    const zero = reset === "zero";
    for (let n = 0; n < N; n++) {
      const p = n % P;
      const a = alpha[p]!;
      const th = theta[p]!;
      const m = sub[p]!;
      const lo = hasMinV && minV ? minV[p]! : -Infinity;
      let cur = v0[n]!;
      let act = 0;
      for (let t = 0; t < T; t++) {
        const i = t * N + n;
        // §1: reset by the previous step's spikes, decay, integrate, clip, then spike. The zero reset
        // (docs/gradients.md §5) multiplies by (1 − s): the op BPTT differentiates.
        const post = zero ? R(cur * (1 - act)) : R(cur - R(act * m));
        cur = R(R(a * post) + x[i]!);
        if (cur < lo) cur = lo;
        act = spikeCount(cur, th, maxSpikes, R);
        spikes[i] = act;
        v[i] = cur;
      }
    }
  },

  lifBackward(io, at) {
    const { gS, gV, v, alpha, theta, sub, minV, dx, dv0, spikes, v0, dAlpha, dTheta } = io;
    const { T, N, P, hasMinV, surrogate, mode, maxSpikes } = at;
    const zero = at.reset === "zero";
    const exodus = mode === "exodus";
    const gSP = spikeGradPeriod(at);
    const R = rounder(v);
    if (dAlpha) dAlpha.fill(0, 0, P);
    if (dTheta) dTheta.fill(0, 0, P);
    for (let n = 0; n < N; n++) {
      const p = n % P;
      const a = alpha[p]!;
      const th = theta[p]!;
      const mTrue = sub[p]!;
      // SLAYER detaches the reset from the spike (docs/gradients.md §4): m := 0 in the recursion.
      const m = exodus ? mTrue : 0;
      const lo = hasMinV && minV ? minV[p]! : -Infinity;
      const thetaReset = !zero && !!at.thetaInReset;
      let dxNext = 0;
      let dth = 0;
      for (let t = T - 1; t >= 0; t--) {
        const i = t * N + n;
        const vt = v[i]!;
        const sig = surrogateValue(surrogate, vt, th);
        const g = gS[gSP ? n % gSP : i]!;
        const y = sig * g + (gV ? gV[i]! : 0);
        let d: number;
        if (!zero) {
          // §3 (docs/gradients.md (3.3)): dx_t = nc_t·(y_t + α(1 − mσ_t)·dx_{t+1})
          d = y + a * (1 - m * sig) * dxNext;
          if (dTheta) {
            // §6: ∂L/∂s_t = g_s − α·m·dx_{t+1} (exodus), ∂s/∂θ = −σ; m = θ adds −α·s_t·dx_{t+1}.
            dth -= sig * (g - a * m * dxNext);
            if (thetaReset) dth -= a * spikeCount(vt, th, maxSpikes, R) * dxNext;
          }
        } else {
          // §5: dx_t = nc_t·(y_t + α(1 − s_t − v_t·σ_t)·dx_{t+1}); SLAYER drops the −v_t·σ_t term.
          const s = spikeCount(vt, th, maxSpikes, R);
          d = y + a * (1 - s - (exodus ? vt * sig : 0)) * dxNext;
          if (dTheta) dth -= sig * (g - (exodus ? a * vt * dxNext : 0));
        }
        dxNext = vt > lo ? d : 0;
        dx[i] = dxNext;
      }
      dv0[n] = a * dx[n]!;
      if (dTheta) dTheta[p] = dTheta[p]! + dth;
      if (dAlpha && (spikes || zero) && v0) {
        // dα = Σ_t dx_t · vpost_{t−1}, vpost_{−1} = v0; vpost = v − m·s (true m, also for SLAYER) or v·(1 − s).
        let acc = dx[n]! * v0[n]!;
        for (let t = 1; t < T; t++) {
          const j = (t - 1) * N + n;
          const vj = v[j]!;
          const post = zero ? vj * (1 - spikeCount(vj, th, maxSpikes, R)) : vj - mTrue * spikes![j]!;
          acc += dx[t * N + n]! * post;
        }
        dAlpha[p] = dAlpha[p]! + acc;
      }
    }
  },

  leakyForward({ x, v0, alpha, y }, { T, N, P }) {
    const R = rounder(y);
    for (let n = 0; n < N; n++) {
      const a = alpha[n % P]!;
      let cur = v0[n]!;
      for (let t = 0; t < T; t++) {
        const i = t * N + n;
        cur = R(R(a * cur) + x[i]!);
        y[i] = cur;
      }
    }
  },

  leakyBackward({ gY, alpha, dx, dv0, y, v0, dAlpha }, { T, N, P }) {
    if (dAlpha) dAlpha.fill(0, 0, P);
    for (let n = 0; n < N; n++) {
      const p = n % P;
      const a = alpha[p]!;
      let g = 0;
      let acc = 0;
      for (let t = T - 1; t >= 0; t--) {
        const i = t * N + n;
        g = gY[i]! + a * g;
        dx[i] = g;
        if (dAlpha && y && v0) acc += g * (t > 0 ? y[i - N]! : v0[n]!);
      }
      dv0[n] = a * g;
      if (dAlpha && y && v0) dAlpha[p] = dAlpha[p]! + acc;
    }
  },
};
