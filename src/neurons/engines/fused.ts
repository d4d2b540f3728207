/**
 * The fused engines, EXODUS and SLAYER, looked up by the neuron's kind. A fused implementation runs the whole
 * sequence as one forward scan kernel with one backward kernel:
 * - "spiking-lif" (LIF, IAF): `lifScan` — EXODUS with the reset term of docs/gradients.md §3 (subtract)
 *   and §5 (reset to zero), SLAYER with it dropped (§4), the θ gradient of §6; the optional synapse is the
 *   fused leaky-integrator scan.
 * - "leaky" (ExpLeak): `leakyScan`; EXODUS and SLAYER coincide, there is no reset.
 * A kind with no row here runs on "bptt" only; asking for "exodus"/"slayer" is a ConfigError.
 */
import { ConfigError } from "../../errors.js";
import { leakyScan, lifScan, mul, oneMinus, reshape, select0, sub } from "../../tensor/ops/index.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { GradientEngine, SpikingDescription } from "../dynamics.js";
import type { LeakyDescription, LeakyParams } from "../exp-leak.js";
import type { Neuron, NeuronOutput, NeuronRun, NeuronState } from "../neuron.js";
import type { SpikingParams } from "./types.js";

export type FusedEngine = Exclude<GradientEngine, "bptt">;

/**
 * Runs one kind's fused scan. The table below pairs each kind with the description and parameter types
 * its step uses, so the casts in the rows are the only place those types are asserted.
 */
export type FusedImplementation = (mode: FusedEngine, neuron: Neuron, params: unknown, run: NeuronRun) => NeuronOutput;

/** x:[T, N] times a per-neuron [P] vector (row n uses n % P). */
export function mulPerNeuron(x: Tensor, p: Tensor): Tensor {
  const P = p.size;
  const lead = x.shape.slice(0, -1);
  const N = x.shape[x.rank - 1]!;
  const y = mul(reshape(x, [...lead, N / P, P]), p);
  return reshape(y, x.shape);
}

function spikingLif(mode: FusedEngine, n: Neuron, params: unknown, r: NeuronRun): NeuronOutput {
  const d = n.description as SpikingDescription;
  const p = params as SpikingParams;
  const T = r.x.shape[0]!;
  // validateSpiking admits only MembraneReset(0) on the fused engines: the zero reset.
  const zero = d.reset.kind === "reset";
  let cur = r.x;
  let iAll: Tensor | null = null;
  if (d.hasSynapse && p.alphaSyn) {
    // decayEarly: the synapse sees α_syn·in (sinabs semantics, docs/neurons.md §1)
    const xin = d.decayEarly ? mulPerNeuron(cur, p.alphaSyn) : cur;
    iAll = leakyScan(xin, r.state.iSyn!, p.alphaSyn);
    cur = iAll;
  }
  if (d.normInput) cur = mulPerNeuron(cur, oneMinus(p.alphaMem));
  const { spikes, v } = lifScan(cur, r.state.vMem!, p.alphaMem, p.theta, p.membraneSubtract, p.minV, {
    maxSpikes: d.spikeFn.maxSpikes,
    surrogate: d.surrogate.spec,
    mode,
    reset: zero ? "zero" : "subtract",
  });
  // The state after the last step is the explicit reset op (v − m·s, or v·(1 − s): docs/gradients.md §1,
  // §7), so gradients reaching it (the next chunk's v0) flow into g_v and g_s.
  const vT = select0(v, T - 1);
  const sT = select0(spikes, T - 1);
  const vMem = zero ? mul(vT, oneMinus(sT)) : sub(vT, mulPerNeuron(sT, p.membraneSubtract));
  const state: NeuronState = iAll ? { vMem, iSyn: select0(iAll, T - 1) } : { vMem };
  return { out: spikes, state, record: { v } };
}

function leaky(_mode: FusedEngine, n: Neuron, params: unknown, r: NeuronRun): NeuronOutput {
  const d = n.description as LeakyDescription;
  const p = params as LeakyParams;
  let cur = r.x;
  if (d.normInput) cur = mulPerNeuron(cur, oneMinus(p.alpha));
  if (d.decayEarly) cur = mulPerNeuron(cur, p.alpha);
  const y = leakyScan(cur, r.state.vMem!, p.alpha);
  return { out: y, state: { vMem: select0(y, r.x.shape[0]! - 1) }, record: {} };
}

/** kind → fused implementation (the same one serves "exodus" and "slayer"; the mode picks the backward). */
export const FUSED: Readonly<Record<string, FusedImplementation>> = {
  "spiking-lif": spikingLif,
  leaky,
};

/** The gradient engines that can run a neuron of this kind. */
export function enginesFor(kind: string): GradientEngine[] {
  return Object.hasOwn(FUSED, kind) ? ["exodus", "bptt", "slayer"] : ["bptt"];
}

/** The fused implementation for `kind`, or a ConfigError naming the engines that exist for it. */
export function fusedFor(kind: string, engine: FusedEngine, layer: string): FusedImplementation {
  if (!Object.hasOwn(FUSED, kind)) {
    throw new ConfigError(
      `${layer}: the '${kind}' neuron has no fused implementation, so gradient "${engine}" cannot run it ` +
        `(engines that exist for it: ${enginesFor(kind).join(", ")}); use gradient: "bptt"`,
    );
  }
  return FUSED[kind]!;
}
