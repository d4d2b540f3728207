/**
 * SpikingLayer: the base of LIF and IAF — the spiking core (spiking-step.ts) on a StatefulLayer. Holds the
 * per-neuron constants (θ, m, minVMem as buffers, τ or α as trainable parameters, θ trainable on request)
 * and the state slots vMem and iSyn. Input and output are time-major [T, B, ...F].
 */
import { ConfigError, NumericalError } from "../errors.js";
import { noGrad } from "../tensor/autograd.js";
import { mul, ones, reshape, sum, tensor, unaryRaw } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkAlphas, toArray, validateSpiking, type PerNeuron, type SpikingDescription } from "./dynamics.js";
import type { SpikingParams } from "./engines/types.js";
import type { Neuron } from "./neuron.js";
import { MembraneSubtract, type ResetMechanism } from "./reset.js";
import { SPIKING_KIND, spikingNeuron } from "./spiking-step.js";
import { StatefulLayer, type StatefulOptions } from "./stateful.js";
import { MultiSpike, type SpikeFunction } from "./spikes.js";
import { SingleExponential, type Surrogate } from "./surrogates.js";

/** Options shared by every spiking layer. */
export interface SpikingOptions extends StatefulOptions {
  spikeThreshold?: PerNeuron;
  /**
   * Train θ with exact gradients on every engine (docs/gradients.md §6): true or "perNeuron" — one value per
   * neuron (parameter `spikeThreshold`, [P]); "shared" — one value for the layer. With MembraneSubtract()
   * (no explicit value) the reset subtracts the trained θ. Default false (θ is a buffer).
   */
  trainThreshold?: boolean | "perNeuron" | "shared";
  spikeFn?: SpikeFunction;
  reset?: ResetMechanism;
  surrogate?: Surrogate;
  minVMem?: PerNeuron | null;
  /** Synaptic time constant in steps; adds a leaky-integrator synapse before the membrane. */
  tauSyn?: PerNeuron | null;
  /** The synapse sees α_syn·input (sinabs semantics). Default true. */
  decayEarly?: boolean;
  /**
   * SLAYER's spike-escape pdf ρ (docs/neurons.md §2) for gradient: "slayer": ρ = SingleExponential(gradWidth =
   * tauRho, gradScale = scaleRho). scaleRho is SLAYER's per-layer gradient scale, the knob EXODUS makes
   * unnecessary. Setting either replaces `surrogate`; only valid with gradient: "slayer".
   */
  tauRho?: number;
  scaleRho?: number;
  /** Scan the whole input for NaN/Inf on every call (the final state is always checked). */
  checkInputs?: boolean;
}

export abstract class SpikingLayer extends StatefulLayer<SpikingDescription, SpikingParams> {
  readonly spikeFn: SpikeFunction;
  readonly reset: ResetMechanism;
  readonly surrogate: Surrogate;
  protected readonly desc: SpikingDescription;
  protected readonly checkInputs: boolean;
  /** The reset subtracts the trained θ parameter (MembraneSubtract() with trainThreshold). */
  private readonly thetaIsReset: boolean;
  private readonly neuron_: Neuron<SpikingDescription, SpikingParams>;
  /** Pre-reset membrane potential [T, B, ...F] of the last forward (valid inside the caller's scope). */
  lastV: Tensor | null = null;
  /** Output spikes of the last forward (valid inside the caller's scope). */
  lastSpikes: Tensor | null = null;

  constructor(
    opts: SpikingOptions,
    variant: { integrateOnly: boolean; normInput: boolean; defaultName: string; perNeuron?: readonly (PerNeuron | null | undefined)[] },
  ) {
    const reset = opts.reset ?? new MembraneSubtract();
    super(opts, {
      kind: SPIKING_KIND,
      state: ["vMem", "iSyn"],
      defaultName: variant.defaultName,
      perNeuron: [opts.spikeThreshold, opts.minVMem, opts.tauSyn, reset instanceof MembraneSubtract ? reset.subtractValue : null, ...(variant.perNeuron ?? [])],
    });
    this.spikeFn = opts.spikeFn ?? MultiSpike;
    this.reset = reset;
    if (opts.tauRho !== undefined || opts.scaleRho !== undefined) {
      if (this.gradient !== "slayer") {
        throw new ConfigError(`${this.layerName}: tauRho/scaleRho configure SLAYER's gradient; use them with gradient: "slayer" (or set surrogate for "${this.gradient}")`);
      }
      this.surrogate = new SingleExponential({ gradWidth: opts.tauRho ?? 0.5, gradScale: opts.scaleRho ?? 1 });
    } else {
      this.surrogate = opts.surrogate ?? new SingleExponential();
    }
    this.checkInputs = !!opts.checkInputs;
    const threshold = opts.spikeThreshold ?? 1;
    const minV = opts.minVMem ?? null;
    const tt = opts.trainThreshold;
    if (tt !== undefined && tt !== true && tt !== false && tt !== "perNeuron" && tt !== "shared") {
      throw new ConfigError(`${this.layerName}: trainThreshold must be true, false, "perNeuron" or "shared", got ${JSON.stringify(tt)}`);
    }
    const trainThreshold = tt === true ? "perNeuron" : tt || false;
    if (trainThreshold === "shared" && Array.isArray(threshold) && new Set(threshold).size > 1) {
      throw new ConfigError(`${this.layerName}: trainThreshold: "shared" trains one θ, but spikeThreshold has ${threshold.length} different values; pass one number or use trainThreshold: "perNeuron"`);
    }
    this.desc = {
      layer: this.layerName,
      spikeFn: this.spikeFn,
      reset: this.reset,
      surrogate: this.surrogate,
      threshold,
      minVMem: minV,
      normInput: variant.normInput,
      decayEarly: opts.decayEarly ?? true,
      hasSynapse: opts.tauSyn !== undefined && opts.tauSyn !== null,
      integrateOnly: variant.integrateOnly,
      trainThreshold,
    };
    validateSpiking(this.desc, this.gradient, null);
    this.neuron_ = spikingNeuron(this.desc);
    const topts = this.tensorOpts;
    if (trainThreshold === "shared") this.registerParameter("spikeThreshold", tensor([toArray(threshold)[0]!], [1], topts));
    else if (trainThreshold) this.registerParameter("spikeThreshold", this.perNeuronTensor(threshold));
    else this.registerBuffer("spikeThreshold", this.perNeuronTensor(threshold));
    // m = θ with a trained θ: the reset reads the θ parameter itself (no stale copy), docs/gradients.md §6.
    this.thetaIsReset = !!trainThreshold && this.reset instanceof MembraneSubtract && this.reset.subtractValue === null;
    if (!this.thetaIsReset) {
      const subValue = this.reset instanceof MembraneSubtract ? (this.reset.subtractValue ?? threshold) : this.reset.resetValue;
      this.registerBuffer("membraneSubtract", this.perNeuronTensor(subValue));
    }
    if (minV !== null) this.registerBuffer("minVMem", this.perNeuronTensor(minV));
    if (opts.tauSyn !== undefined && opts.tauSyn !== null) this.registerDecay("Syn", opts.tauSyn);
  }

  protected neuron(): Neuron<SpikingDescription, SpikingParams> {
    return this.neuron_;
  }

  /** [P] threshold: the buffer, or the trained parameter (a shared one broadcast to P, so its gradient sums). */
  private theta(): Tensor {
    const b = this.buffer("spikeThreshold");
    if (b) return b;
    const p = this.parameter("spikeThreshold")!;
    if (p.backend.downloadSync) {
      // a trained θ that crossed zero makes ⌊v/θ⌋ meaningless: stop with the cause rather than train on
      for (const v of p.dataSync()) {
        if (!(v > 0) || !Number.isFinite(v)) {
          throw new NumericalError(`${this.layerName}: the trained spike threshold reached ${v}; it must stay positive — lower the learning rate or the threshold's weight decay`);
        }
      }
    }
    return p.size === this.P ? p : mul(p, ones([this.P], { dtype: p.dtype, backend: p.backend }));
  }

  /** [P] membrane decay α_mem as a differentiable tensor (ones for IAF). */
  protected alphaMem(): Tensor {
    return this.decay("Mem")!;
  }

  get vMem(): Tensor | null {
    return this.stateOf("vMem");
  }
  get iSyn(): Tensor | null {
    return this.stateOf("iSyn");
  }

  protected stepParams(x: Tensor): SpikingParams {
    const alphaMem = this.alphaMem();
    if (x.backend.downloadSync) noGrad(() => checkAlphas(this.layerName, alphaMem.dataSync()));
    const theta = this.theta();
    return {
      alphaMem,
      alphaSyn: this.decay("Syn"),
      theta,
      membraneSubtract: this.thetaIsReset ? theta : this.buffer("membraneSubtract")!,
      minV: this.buffer("minVMem") ?? null,
    };
  }

  override forward(x: Tensor): Tensor {
    const L = this.layerName;
    const run = this.beginRun(x);
    if (this.checkInputs) assertFinite(x, `${L} input`);
    const out = this.runSteps(run, this.stepParams(x));
    if (x.backend.downloadSync) assertFinite(out.state.vMem!, `${L} state (the input or a parameter holds NaN/Inf)`);
    this.setState(out.state);
    this.lastV = reshape(out.record.v!, x.shape);
    this.lastSpikes = reshape(out.out, x.shape);
    this.lastSpikes.spikes = true; // a fact of the tensor: the next Linear/Conv2d takes the spike-sparse path
    return this.lastSpikes;
  }

  override describe(): string {
    return `${this.constructor.name}(gradient=${this.gradient}, ${this.spikeFn}, ${this.reset}, ${this.surrogate})`;
  }
}

/** Throws NumericalError naming `where` when t holds NaN or ±Inf (CPU backends). */
export function assertFinite(t: Tensor, where: string): void {
  noGrad(() => {
    const bad = unaryRaw("isNonFinite", t);
    const n = sum(bad);
    const count = n.dataSync()[0]!;
    bad.dispose();
    n.dispose();
    if (count > 0) {
      throw new NumericalError(`${where}: ${count} NaN/Inf value(s) found; check the input data, the learning rate and the layer's parameters`);
    }
  });
}
