/**
 * IAF: integrate-and-fire, "LIF with tauMem = ∞" (α ≡ 1 exactly, no τ parameter, normInput off).
 *
 *   v_t = max(v_{t−1} − m·s_{t−1} + x_t, minVMem),   s_t = min(⌊v_t/θ⌋, cap)·1[v_t ≥ θ]
 *
 * Example: new IAF({ spikeThreshold: 1, gradient: "exodus" })
 */
import { ones } from "../tensor/ops/index.js";
import { SpikingLayer, type SpikingOptions } from "./spiking-layer.js";

export class IAF extends SpikingLayer {
  constructor(opts: SpikingOptions = {}) {
    super(opts, { integrateOnly: true, normInput: false, defaultName: "IAF" });
    // α ≡ 1 as a buffer: the step reads it like LIF's decay, and it never trains.
    this.registerBuffer("alphaMem", ones([this.P], this.tensorOpts));
  }
}
