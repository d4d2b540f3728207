/**
 * LIF: leaky integrate-and-fire neuron, optionally with a synaptic current (docs/neurons.md §1).
 *
 *   i_t = α_syn·i_{t−1} + (decayEarly ? α_syn·in_t : in_t)          (only with tauSyn)
 *   x_t = normInput ? (1 − α)·i_t : i_t
 *   v_t = max(α·(v_{t−1} − m·s_{t−1}) + x_t, minVMem),   s_t = min(⌊v_t/θ⌋, cap)·1[v_t ≥ θ]
 *   α = exp(−1/tauMem), m = membrane subtract (default θ), θ = spikeThreshold.
 *
 * Example:
 *   const lif = new LIF({ tauMem: 20, gradient: "exodus" });   // exact gradients (the default)
 *   const spikes = lif.forward(x);                              // x: [T, B, ...features]
 */
import { ConfigError } from "../errors.js";
import { checkTau, type PerNeuron } from "./dynamics.js";
import { SpikingLayer, type SpikingOptions } from "./spiking-layer.js";

export interface LIFOptions extends SpikingOptions {
  /** Membrane time constant in steps (α = exp(−1/τ)). */
  tauMem: PerNeuron;
  /** Scale the input by (1 − α). Default true (sinabs). */
  normInput?: boolean;
  /** Train α directly (parameter alphaMem) instead of τ (parameter tauMem). */
  trainAlphas?: boolean;
  /** Whether τ (or α) is trainable. Default true. */
  trainTau?: boolean;
}

export class LIF extends SpikingLayer {
  readonly trainAlphas: boolean;

  constructor(opts: LIFOptions) {
    if (opts.tauMem === undefined) throw new ConfigError("LIF: tauMem is required (membrane time constant in steps), e.g. new LIF({ tauMem: 20 })");
    checkTau(opts.name ?? "LIF", "tauMem", opts.tauMem);
    super(opts, { integrateOnly: false, normInput: opts.normInput ?? true, defaultName: "LIF", perNeuron: [opts.tauMem] });
    this.trainAlphas = !!opts.trainAlphas;
    this.registerDecay("Mem", opts.tauMem, { trainAlphas: this.trainAlphas, trainable: opts.trainTau !== false });
  }
}
