/**
 * The spiking core's parameter tensors (what its step and its fused scan read), and the whole-sequence
 * signature `SpikingEngine` that `gradcheck` calls directly on a description (spiking-step.ts adapts it to
 * the generic engines). Engines live beside the neurons, never inside neuron classes: a neuron is one
 * description, one step, and the ways to differentiate it (docs/neurons.md §3).
 */
import type { Tensor } from "../../tensor/tensor.js";
import type { SpikingDescription } from "../dynamics.js";

export interface SpikingParams {
  /** [P] membrane decay (ones for IAF). */
  alphaMem: Tensor;
  /** [P] synaptic decay, when the layer has a synapse. */
  alphaSyn: Tensor | null;
  /** [P], differentiable when the threshold is trained (docs/gradients.md §6). */
  theta: Tensor;
  /** [P] membrane subtract value m (or reset value for MembraneReset); the θ tensor itself when m = θ is tied to a trained θ. */
  membraneSubtract: Tensor;
  /** [P] or null. */
  minV: Tensor | null;
  /** [P] (1 − α_mem) for normInput, computed once per call by the step's `prepare`. */
  normFactor?: Tensor | null;
}

export interface SpikingRun {
  /** [T, N] layer input (before synapse and norm_input). */
  x: Tensor;
  /** [N] post-reset membrane state before the first step. */
  v0: Tensor;
  /** [N] synaptic current before the first step (when the layer has a synapse). */
  i0: Tensor | null;
}

export interface SpikingResult {
  spikes: Tensor; // [T, N]
  /** Pre-reset, post-clip membrane potential [T, N]. */
  v: Tensor;
  /** Post-reset state after the last step [N]. */
  vLast: Tensor;
  /** Synaptic current after the last step [N]. */
  iLast: Tensor | null;
}

export type SpikingEngine = (d: SpikingDescription, p: SpikingParams, r: SpikingRun) => SpikingResult;
