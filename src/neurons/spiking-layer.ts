/**
 * SpikingLayer: the base module of LIF and IAF. Holds the per-neuron constants (θ, m, minVMem as buffers,
 * τ or α as trainable parameters), the explicit state (vMem, iSyn) carried across calls with gradients
 * flowing through it, and selects the gradient engine. Input and output are time-major [T, B, ...F].
 */
import { ConfigError, NumericalError, ShapeError } from "../errors.js";
import type { BackendName, DType, Backend } from "../kernels/contract.js";
import { Module } from "../layers/module.js";
import { noGrad } from "../tensor/autograd.js";
import { exp, mul, mulScalar, ones, powScalar, reshape, sum, tensor, unaryRaw, zeros } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkAlphas, checkGradient, checkTau, toArray, validateSpiking, type GradientEngine, type PerNeuron, type SpikingDescription } from "./dynamics.js";
import { bpttEngine } from "./engines/bptt.js";
import { exodusEngine, slayerEngine } from "./engines/fused.js";
import type { SpikingEngine, SpikingParams } from "./engines/types.js";
import { MembraneSubtract, type ResetMechanism } from "./reset.js";
import { StateSlot } from "./state.js";
import { MultiSpike, type SpikeFunction } from "./spikes.js";
import { SingleExponential, type Surrogate } from "./surrogates.js";

export const ENGINES: Record<GradientEngine, SpikingEngine> = {
  exodus: exodusEngine,
  slayer: slayerEngine,
  bptt: bpttEngine,
};

/** Options shared by every spiking layer. */
export interface SpikingOptions {
  /** How gradients are computed: "exodus" (default, exact), "bptt" (reference), "slayer" (baseline). */
  gradient?: GradientEngine;
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
  /** Per-neuron parameter shape (the feature shape F); default: scalars, or the length of array options. */
  shape?: readonly number[];
  /**
   * SLAYER's spike-escape pdf ρ (spec §7) for gradient: "slayer": ρ = SingleExponential(gradWidth = tauRho,
   * gradScale = scaleRho). scaleRho is SLAYER's per-layer gradient scale, the knob EXODUS makes unnecessary.
   * Setting either replaces `surrogate`; only valid with gradient: "slayer".
   */
  tauRho?: number;
  scaleRho?: number;
  /** Layer name used in error messages. */
  name?: string;
  /** Scan the whole input for NaN/Inf on every call (the final state is always checked). */
  checkInputs?: boolean;
  dtype?: DType;
  backend?: Backend | BackendName;
}

export abstract class SpikingLayer extends Module {
  readonly gradient: GradientEngine;
  readonly spikeFn: SpikeFunction;
  readonly reset: ResetMechanism;
  readonly surrogate: Surrogate;
  readonly layerName: string;
  readonly P: number;
  protected readonly desc: SpikingDescription;
  protected readonly checkInputs: boolean;
  /** The reset subtracts the trained θ parameter (MembraneSubtract() with trainThreshold). */
  private readonly thetaIsReset: boolean;
  private readonly vMem_ = new StateSlot();
  private readonly iSyn_ = new StateSlot();
  /** Pre-reset membrane potential [T, B, ...F] of the last forward (valid inside the caller's scope). */
  lastV: Tensor | null = null;
  /** Output spikes of the last forward (valid inside the caller's scope). */
  lastSpikes: Tensor | null = null;

  constructor(
    opts: SpikingOptions,
    kind: { integrateOnly: boolean; normInput: boolean; defaultName: string; perNeuron?: readonly (PerNeuron | null | undefined)[] },
  ) {
    super();
    this.layerName = opts.name ?? kind.defaultName;
    this.gradient = checkGradient(opts.gradient ?? "exodus", this.layerName);
    this.spikeFn = opts.spikeFn ?? MultiSpike;
    this.reset = opts.reset ?? new MembraneSubtract();
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
      normInput: kind.normInput,
      decayEarly: opts.decayEarly ?? true,
      hasSynapse: opts.tauSyn !== undefined && opts.tauSyn !== null,
      integrateOnly: kind.integrateOnly,
      trainThreshold,
    };
    validateSpiking(this.desc, this.gradient, null);
    const lens = [threshold, minV, opts.tauSyn, this.reset instanceof MembraneSubtract ? this.reset.subtractValue : null, ...(kind.perNeuron ?? [])]
      .filter((v): v is readonly number[] => Array.isArray(v))
      .map((v) => v.length);
    const shapeP = opts.shape ? opts.shape.reduce((a, b) => a * b, 1) : 1;
    const P = Math.max(shapeP, ...lens, 1);
    for (const l of lens) {
      if (l !== P) throw new ConfigError(`${this.layerName}: per-neuron options have lengths ${lens.join(", ")}; they must all equal ${P} (or be scalars)`);
    }
    if (shapeP !== 1 && shapeP !== P) throw new ConfigError(`${this.layerName}: shape [${opts.shape}] has ${shapeP} neurons but parameters have ${P}`);
    this.P = P;
    const topts = { dtype: opts.dtype ?? "float32", backend: opts.backend };
    const expand = (v: PerNeuron): number[] => {
      const a = toArray(v);
      return a.length === P ? a : new Array<number>(P).fill(a[0]!);
    };
    if (trainThreshold === "shared") this.registerParameter("spikeThreshold", tensor([toArray(threshold)[0]!], [1], topts));
    else if (trainThreshold) this.registerParameter("spikeThreshold", tensor(expand(threshold), [P], topts));
    else this.registerBuffer("spikeThreshold", tensor(expand(threshold), [P], topts));
    // m = θ with a trained θ: the reset reads the θ parameter itself (no stale copy), docs/gradients.md §6.
    this.thetaIsReset = !!trainThreshold && this.reset instanceof MembraneSubtract && this.reset.subtractValue === null;
    if (!this.thetaIsReset) {
      const subValue = this.reset instanceof MembraneSubtract ? (this.reset.subtractValue ?? threshold) : this.reset.resetValue;
      this.registerBuffer("membraneSubtract", tensor(expand(subValue), [P], topts));
    }
    if (minV !== null) this.registerBuffer("minVMem", tensor(expand(minV), [P], topts));
    if (opts.tauSyn !== undefined && opts.tauSyn !== null) {
      checkTau(this.layerName, "tauSyn", opts.tauSyn);
      this.registerParameter("tauSyn", tensor(expand(opts.tauSyn), [P], topts));
    }
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
  protected abstract alphaMem(): Tensor;

  protected alphaSyn(): Tensor | null {
    const tau = this.parameter("tauSyn");
    return tau ? alphaFromTau(tau) : null;
  }

  get vMem(): Tensor | null {
    return this.vMem_.value;
  }
  get iSyn(): Tensor | null {
    return this.iSyn_.value;
  }

  /** Sets the state (post-reset membrane potential, synaptic current), e.g. to continue a recording. */
  setState(s: { vMem?: Tensor | null; iSyn?: Tensor | null }): void {
    if (s.vMem !== undefined) this.vMem_.set(s.vMem);
    if (s.iSyn !== undefined) this.iSyn_.set(s.iSyn);
  }

  protected override resetOwnState(): void {
    this.vMem_.set(null);
    this.iSyn_.set(null);
  }

  protected override detachOwnState(): void {
    this.vMem_.detach();
    this.iSyn_.detach();
  }

  forward(x: Tensor): Tensor {
    const L = this.layerName;
    if (x.rank < 2) throw new ShapeError(`${L}: input must be time-major [T, B, ...features], got [${x.shape.join(", ")}]`);
    const T = x.shape[0]!;
    const N = x.size / T;
    const F = x.shape.slice(2).reduce((a, b) => a * b, 1);
    if (this.P > 1 && F !== this.P) {
      throw new ShapeError(`${L}: input features [${x.shape.slice(2).join(", ")}] (${F}) do not match the ${this.P} per-neuron parameters`);
    }
    if (this.checkInputs) assertFinite(x, `${L} input`);
    this.vMem_.prepare(N);
    this.iSyn_.prepare(N);
    const v0 = this.vMem_.value ?? zeros([N], { dtype: x.dtype, backend: x.backend });
    const needI = this.desc.hasSynapse;
    const i0 = needI ? (this.iSyn_.value ?? zeros([N], { dtype: x.dtype, backend: x.backend })) : null;
    const alphaMem = this.alphaMem();
    if (x.backend.downloadSync) noGrad(() => checkAlphas(L, alphaMem.dataSync()));
    const theta = this.theta();
    const params: SpikingParams = {
      alphaMem,
      alphaSyn: this.alphaSyn(),
      theta,
      sub: this.thetaIsReset ? theta : this.buffer("membraneSubtract")!,
      minV: this.buffer("minVMem") ?? null,
    };
    const out = ENGINES[this.gradient](this.desc, params, { x: reshape(x, [T, N]), v0, i0 });
    if (x.backend.downloadSync) assertFinite(out.vLast, `${L} state (the input or a parameter holds NaN/Inf)`);
    this.setState({ vMem: out.vLast, iSyn: out.iLast });
    this.lastV = reshape(out.v, x.shape);
    this.lastSpikes = reshape(out.spikes, x.shape);
    this.lastSpikes.spikes = true; // a fact of the tensor: the next Linear/Conv2d takes the spike-sparse path
    return this.lastSpikes;
  }

  override describe(): string {
    return `${this.constructor.name}(gradient=${this.gradient}, ${this.spikeFn}, ${this.reset}, ${this.surrogate})`;
  }
}

/** α = exp(−1/τ), differentiable. */
export function alphaFromTau(tau: Tensor): Tensor {
  return exp(mulScalar(powScalar(tau, -1), -1));
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
