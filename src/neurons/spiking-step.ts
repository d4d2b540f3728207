/**
 * The spiking core (LIF, IAF) as a neuron: its description (dynamics.ts) plus this step. One step, in the
 * fused scan's float32 op order (so `bptt` and the fused engines give identical spikes):
 *
 *   i_t = α_syn·i_{t−1} + (decayEarly ? α_syn·in_t : in_t)        (with a synapse)
 *   u_t = α·vpost_{t−1} + (normInput ? (1 − α) : 1)·i_t
 *   v_t = max(u_t, minVMem),   s_t = S(v_t; θ)                     (docs/gradients.md §1)
 *   vpost_t = v_t − m·s_t  |  v_t·(1 − s_t)  |  v_t·(1 − s_t) + r·s_t
 *
 * The reset is written as tensor ops on a differentiable s: the tape differentiates it (docs/gradients.md §2).
 */
import { add, clampMinBy, mul, oneMinus, spikeFn, sub } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import type { GradientEngine, SpikingDescription } from "./dynamics.js";
import { runNeuron } from "./engines/run.js";
import type { SpikingEngine, SpikingParams, SpikingResult } from "./engines/types.js";
import type { Neuron, NeuronState, StepResult } from "./neuron.js";

export const SPIKING_KIND = "spiking-lif";

export function spikingStep(d: SpikingDescription, state: NeuronState, x: Tensor, p: SpikingParams): StepResult {
  let cur = x;
  let i = state.iSyn ?? null;
  if (i && p.alphaSyn) {
    i = add(mul(i, p.alphaSyn), d.decayEarly ? mul(x, p.alphaSyn) : x);
    cur = i;
  }
  if (d.normInput) cur = mul(cur, p.normFactor ?? oneMinus(p.alphaMem));
  const u = add(mul(state.vMem!, p.alphaMem), cur);
  const v = p.minV ? clampMinBy(u, p.minV) : u;
  const s = spikeFn(v, p.theta, d.spikeFn.maxSpikes, d.surrogate.spec);
  let vpost: Tensor;
  if (d.reset.kind === "subtract") {
    // p.membraneSubtract may be the θ parameter itself (m = θ): autograd then follows θ into the reset too.
    vpost = sub(v, mul(s, p.membraneSubtract));
  } else {
    // MembraneReset (SingleSpike): vpost = v·(1 − s) + r·s with s differentiable, not detached
    // (docs/gradients.md §5); r = 0 is the zero reset, written without the r·s term so the float32 ops
    // are the fused scan's.
    vpost = mul(v, oneMinus(s));
    if (d.reset.resetValue !== 0) vpost = add(vpost, mul(s, p.membraneSubtract));
  }
  return { out: s, state: i ? { vMem: vpost, iSyn: i } : { vMem: vpost }, record: { v } };
}

/** The spiking core of a description as a neuron any engine runs: state vMem (and iSyn with a synapse). */
export function spikingNeuron(d: SpikingDescription): Neuron<SpikingDescription, SpikingParams> {
  return {
    kind: SPIKING_KIND,
    emitsSpikes: true,
    layer: d.layer,
    description: d,
    stateNames: d.hasSynapse ? ["vMem", "iSyn"] : ["vMem"],
    prepare: (p) => (d.normInput ? { ...p, normFactor: oneMinus(p.alphaMem) } : p),
    step: (state, x, p) => spikingStep(d, state, x, p),
  };
}

/** A whole-sequence engine on a bare description (what `gradcheck` drives), through the generic engine table. */
export function spikingEngine(engine: GradientEngine): SpikingEngine {
  return (d, p, r): SpikingResult => {
    const n = spikingNeuron(d);
    const state: Record<string, Tensor> = { vMem: r.v0 };
    if (d.hasSynapse && r.i0) state.iSyn = r.i0;
    const out = runNeuron(engine, { ...n, stateNames: Object.keys(state) }, p, { x: r.x, state, P: p.theta.size });
    return { spikes: out.out, v: out.record.v!, vLast: out.state.vMem!, iLast: out.state.iSyn ?? null };
  };
}

export const exodusEngine: SpikingEngine = spikingEngine("exodus");
export const slayerEngine: SpikingEngine = spikingEngine("slayer");
export const bpttEngine: SpikingEngine = spikingEngine("bptt");
