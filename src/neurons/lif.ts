/**
 * LIF: leaky integrate-and-fire neuron, optionally with a synaptic current (spec §1.1–1.2).
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
import type { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/ops/index.js";
import { ConfigError } from "../errors.js";
import { checkAlphas, checkTau, toArray, type PerNeuron } from "./dynamics.js";
import { alphaFromTau, SpikingLayer, type SpikingOptions } from "./spiking-layer.js";

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
    super(opts, { integrateOnly: false, normInput: opts.normInput ?? true, defaultName: opts.name ?? "LIF", perNeuron: [opts.tauMem] });
    this.trainAlphas = !!opts.trainAlphas;
    const taus = toArray(opts.tauMem);
    const vals = taus.length === this.P ? taus : new Array<number>(this.P).fill(taus[0]!);
    const topts = { dtype: opts.dtype ?? "float32", backend: opts.backend } as const;
    if (this.trainAlphas) {
      const alphas = vals.map((t) => Math.exp(-1 / t));
      checkAlphas(this.layerName, alphas);
      this.registerParameter("alphaMem", tensor(alphas, [this.P], topts));
    } else {
      this.registerParameter("tauMem", tensor(vals, [this.P], topts));
    }
    if (opts.trainTau === false) for (const p of this.parameters()) if (p.name === "tauMem" || p.name === "alphaMem") p.requiresGrad = false;
  }

  protected alphaMem(): Tensor {
    return this.trainAlphas ? this.parameter("alphaMem")! : alphaFromTau(this.parameter("tauMem")!);
  }
}
