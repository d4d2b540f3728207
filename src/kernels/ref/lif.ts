/**
 * ref neuron scans: LIF forward (spec §1.1), EXODUS / SLAYER backward (spec §3.2), leaky integrator
 * forward/backward. Written for clarity; the oracle for the wasm and WGSL versions.
 */
import { spikeGradPeriod, type ArrayKernels } from "../contract.js";
import { surrogateValue } from "../surrogate-math.js";
import { rounder } from "./util.js";

export const lif: Pick<ArrayKernels, "lifForward" | "lifBackward" | "leakyForward" | "leakyBackward"> = {
  lifForward({ x, v0, alpha, theta, sub, minV, spikes, v }, { T, N, P, maxSpikes, hasMinV }) {
    // Round after every op in float32 so the result equals the op-by-op BPTT path bit for bit (spec §8.13).
    const R = rounder(v);
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
        // §1.1: subtract the previous step's spikes, decay, integrate, clip, then spike.
        cur = R(R(a * R(cur - R(act * m))) + x[i]!);
        if (cur < lo) cur = lo;
        act = cur >= th ? Math.trunc(R(cur / th)) : 0;
        if (maxSpikes > 0 && act > maxSpikes) act = maxSpikes;
        spikes[i] = act;
        v[i] = cur;
      }
    }
  },

  lifBackward(io, at) {
    const { gS, gV, v, alpha, theta, sub, minV, dx, dv0, spikes, v0, dAlpha } = io;
    const { T, N, P, hasMinV, surrogate, mode } = at;
    const gSP = spikeGradPeriod(at);
    if (dAlpha) dAlpha.fill(0, 0, P);
    for (let n = 0; n < N; n++) {
      const p = n % P;
      const a = alpha[p]!;
      const th = theta[p]!;
      // SLAYER ignores that the reset depends on v: m := 0 in the recursion (spec §3.3).
      const m = mode === "exodus" ? sub[p]! : 0;
      const lo = hasMinV && minV ? minV[p]! : -Infinity;
      let lam = 0;
      let ncNext = 0;
      for (let t = T - 1; t >= 0; t--) {
        const i = t * N + n;
        const vt = v[i]!;
        const sig = surrogateValue(surrogate, vt, th);
        const y = sig * gS[gSP ? n % gSP : i]! + (gV ? gV[i]! : 0);
        // §3.2: λ_t = y_t + nc_{t+1}·α(1 − mσ_t)·λ_{t+1}
        lam = t === T - 1 ? y : y + ncNext * a * (1 - m * sig) * lam;
        const nc = vt > lo ? 1 : 0;
        dx[i] = nc * lam;
        ncNext = nc;
      }
      dv0[n] = a * dx[n]!;
      if (dAlpha && spikes && v0) {
        // dα = Σ_t dx_t · vpost_{t−1}, vpost_{−1} = v0, vpost_t = v_t − m·s_t (true m, also for SLAYER).
        const mm = sub[p]!;
        let acc = dx[n]! * v0[n]!;
        for (let t = 1; t < T; t++) {
          const j = (t - 1) * N + n;
          acc += dx[t * N + n]! * (v[j]! - mm * spikes[j]!);
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
