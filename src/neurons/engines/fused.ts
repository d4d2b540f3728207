/**
 * The fused engines, EXODUS and SLAYER: one forward scan kernel for the whole sequence (spec §1.1) and
 * one backward kernel — EXODUS with the implicit-function-theorem reset term α(1 − mσ) (spec §3.2),
 * SLAYER with it dropped (m := 0, spec §3.3); the zero reset and the θ gradient of docs/gradients.md §5–§6.
 * The optional synapse is the fused leaky-integrator scan.
 */
import type { Tensor } from "../../tensor/tensor.js";
import { leakyScan, lifScan, mul, oneMinus, reshape, select0, sub } from "../../tensor/ops/index.js";
import type { SpikingDescription } from "../dynamics.js";
import type { SpikingEngine, SpikingParams, SpikingResult, SpikingRun } from "./types.js";

/** x:[T, N] times a per-neuron [P] vector (row n uses n % P). */
export function mulPerNeuron(x: Tensor, p: Tensor): Tensor {
  const P = p.size;
  const lead = x.shape.slice(0, -1);
  const N = x.shape[x.rank - 1]!;
  const y = mul(reshape(x, [...lead, N / P, P]), p);
  return reshape(y, x.shape);
}

function fused(mode: "exodus" | "slayer"): SpikingEngine {
  return (d: SpikingDescription, p: SpikingParams, r: SpikingRun): SpikingResult => {
    const T = r.x.shape[0]!;
    // validateSpiking admits only MembraneReset(0) here: the zero reset.
    const zero = d.reset.kind === "reset";
    let cur = r.x;
    let iAll: Tensor | null = null;
    if (d.hasSynapse && p.alphaSyn) {
      // decay_early: the synapse sees α_syn·in (sinabs semantics, spec §1.2)
      const xin = d.decayEarly ? mulPerNeuron(cur, p.alphaSyn) : cur;
      iAll = leakyScan(xin, r.i0!, p.alphaSyn);
      cur = iAll;
    }
    if (d.normInput) cur = mulPerNeuron(cur, oneMinus(p.alphaMem));
    const { spikes, v } = lifScan(cur, r.v0, p.alphaMem, p.theta, p.sub, p.minV, {
      maxSpikes: d.spikeFn.maxSpikes,
      surrogate: d.surrogate.spec,
      mode,
      reset: zero ? "zero" : "subtract",
    });
    // The state after the last step is the explicit reset op (vpost = v − m·s, spec §1.1, or v·(1 − s),
    // docs/gradients.md §5), so gradients reaching it (next chunk's v0) flow into g_v and g_s.
    const vT = select0(v, T - 1);
    const sT = select0(spikes, T - 1);
    const vLast = zero ? mul(vT, oneMinus(sT)) : sub(vT, mulPerNeuron(sT, p.sub));
    const iLast = iAll ? select0(iAll, T - 1) : null;
    return { spikes, v, vLast, iLast };
  };
}

export const exodusEngine: SpikingEngine = fused("exodus");
export const slayerEngine: SpikingEngine = fused("slayer");

/** Non-spiking leaky integrator (ExpLeak), fused: out_t = α·out_{t−1} + x'_t. */
export function leakyFused(x: Tensor, v0: Tensor, alpha: Tensor, normInput: boolean, decayEarly: boolean): Tensor {
  let cur = x;
  if (normInput) cur = mulPerNeuron(cur, oneMinus(alpha));
  if (decayEarly) cur = mulPerNeuron(cur, alpha);
  return leakyScan(cur, v0, alpha);
}
