/**
 * A neuron is a description plus a step function (docs/neurons.md §3). The step is a pure function of named
 * state tensors, one input time step and per-neuron parameter tensors, written with ordinary tensor ops, so
 * the `bptt` engine can unroll any neuron and the tape differentiates it; `exodus` and `slayer` run a fused
 * whole-sequence implementation looked up by `kind` (engines/fused.ts).
 *
 * Shapes inside a step: every state tensor and the input x_t are [N/P, P] (rows × neurons), every
 * per-neuron parameter is [P] and broadcasts over the rows.
 */
import type { Tensor } from "../tensor/tensor.js";

/** Named state tensors (vMem, iSyn, …): [N] between calls, [N/P, P] inside a step. */
export type NeuronState = Readonly<Record<string, Tensor>>;

export interface StepResult {
  /** The layer's output at this step: spikes, or the potential of a non-spiking neuron. */
  out: Tensor;
  /** The next state: one tensor for every name in `Neuron.stateNames`. */
  state: NeuronState;
  /** Per-step tensors the layer keeps besides the output (e.g. the pre-reset potential `v`); stacked over time. */
  record?: Readonly<Record<string, Tensor>>;
}

export interface Neuron<D = unknown, Pm = unknown> {
  /** Key of the fused-engine table ("spiking-lif", "leaky"); a kind without a row runs on "bptt" only. */
  readonly kind: string;
  /** Layer name for error messages. */
  readonly layer: string;
  /** The constants the step and a fused implementation read (flags, spike function, surrogate, …). */
  readonly description: D;
  /**
   * The step's output is spikes (counts per step). The layer then marks its output `Tensor.spikes`, so a
   * following Linear/Conv2d takes the spike-sparse path. Default false (a potential or another real value).
   */
  readonly emitsSpikes?: boolean;
  /** The state tensors the step reads and returns, by name. */
  readonly stateNames: readonly string[];
  /**
   * Optional: tensors derived from the parameters once per call (e.g. (1 − α) for normInput), so the tape
   * holds one node for them instead of one per step. Returns the parameters the step then receives.
   */
  prepare?(params: Pm): Pm;
  /** One time step from tensor ops. */
  step(state: NeuronState, x: Tensor, params: Pm): StepResult;
}

/** What an engine runs: the whole sequence of one layer call. */
export interface NeuronRun {
  /** [T, N] layer input, N = batch × features (row n holds neuron n mod P). */
  x: Tensor;
  /** Initial state, [N] per name in `Neuron.stateNames`. */
  state: NeuronState;
  /** Number of neurons with their own parameters (the parameters are [P]). */
  P: number;
}

export interface NeuronOutput {
  /** [T, N] outputs. */
  out: Tensor;
  /** State after the last step, [N] per name. */
  state: NeuronState;
  /** [T, N] per recorded name. */
  record: Readonly<Record<string, Tensor>>;
}
