/**
 * ExpLeak: a non-spiking leaky integrator (a LIF without spiking; readout layers, synaptic filters).
 *
 *   v_t = α·v_{t−1} + (normInput ? (1 − α)·in_t : in_t)·(decayEarly ? α : 1),   output = v
 *
 * Gradients: "exodus" and "slayer" use the fused leaky scan (they coincide: there is no reset), "bptt"
 * unrolls it through autograd. minVMem is not supported here (EXODUS ignores it, spec §1.2).
 */
import { ConfigError, ShapeError } from "../errors.js";
import type { BackendName, Backend, DType } from "../kernels/contract.js";
import { Module } from "../layers/module.js";
import { reshape, select0, tensor, zeros } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkGradient, checkTau, toArray, type GradientEngine, type PerNeuron } from "./dynamics.js";
import { leakyBptt } from "./engines/bptt.js";
import { leakyFused } from "./engines/fused.js";
import { alphaFromTau } from "./spiking-layer.js";
import { StateSlot } from "./state.js";

export interface ExpLeakOptions {
  tauMem: PerNeuron;
  gradient?: GradientEngine;
  normInput?: boolean;
  decayEarly?: boolean;
  trainAlphas?: boolean;
  shape?: readonly number[];
  name?: string;
  dtype?: DType;
  backend?: Backend | BackendName;
}

export class ExpLeak extends Module {
  readonly gradient: GradientEngine;
  readonly normInput: boolean;
  readonly decayEarly: boolean;
  readonly trainAlphas: boolean;
  readonly P: number;
  readonly layerName: string;
  private readonly v_ = new StateSlot();

  constructor(opts: ExpLeakOptions) {
    super();
    this.layerName = opts.name ?? "ExpLeak";
    if (opts.tauMem === undefined) throw new ConfigError(`${this.layerName}: tauMem is required`);
    checkTau(this.layerName, "tauMem", opts.tauMem);
    this.gradient = checkGradient(opts.gradient ?? "exodus", this.layerName);
    this.normInput = opts.normInput ?? false;
    this.decayEarly = opts.decayEarly ?? false;
    this.trainAlphas = !!opts.trainAlphas;
    const taus = toArray(opts.tauMem);
    const shapeP = opts.shape ? opts.shape.reduce((a, b) => a * b, 1) : taus.length;
    if (taus.length !== 1 && taus.length !== shapeP) throw new ConfigError(`${this.layerName}: tauMem has ${taus.length} values but shape has ${shapeP}`);
    this.P = Math.max(shapeP, taus.length);
    const vals = taus.length === this.P ? taus : new Array<number>(this.P).fill(taus[0]!);
    const topts = { dtype: opts.dtype ?? "float32", backend: opts.backend } as const;
    if (this.trainAlphas) this.registerParameter("alphaMem", tensor(vals.map((t) => Math.exp(-1 / t)), [this.P], topts));
    else this.registerParameter("tauMem", tensor(vals, [this.P], topts));
  }

  get vMem(): Tensor | null {
    return this.v_.value;
  }

  setState(s: { vMem: Tensor | null }): void {
    this.v_.set(s.vMem);
  }

  protected override resetOwnState(): void {
    this.v_.set(null);
  }

  protected override detachOwnState(): void {
    this.v_.detach();
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 2) throw new ShapeError(`${this.layerName}: input must be time-major [T, B, ...features], got [${x.shape.join(", ")}]`);
    const T = x.shape[0]!;
    const N = x.size / T;
    const F = x.shape.slice(2).reduce((a, b) => a * b, 1);
    if (this.P > 1 && F !== this.P) throw new ShapeError(`${this.layerName}: ${F} input features do not match ${this.P} per-neuron parameters`);
    this.v_.prepare(N);
    const v0 = this.v_.value ?? zeros([N], { dtype: x.dtype, backend: x.backend });
    const alpha = this.trainAlphas ? this.parameter("alphaMem")! : alphaFromTau(this.parameter("tauMem")!);
    const x2 = reshape(x, [T, N]);
    const y = this.gradient === "bptt"
      ? leakyBptt(x2, v0, alpha, this.normInput, this.decayEarly)
      : leakyFused(x2, v0, alpha, this.normInput, this.decayEarly);
    this.setState({ vMem: select0(y, T - 1) });
    return reshape(y, x.shape);
  }

  override describe(): string {
    return `ExpLeak(gradient=${this.gradient}, normInput=${this.normInput}, decayEarly=${this.decayEarly})`;
  }
}
