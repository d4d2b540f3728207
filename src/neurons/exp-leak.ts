/**
 * ExpLeak: a non-spiking leaky integrator (a LIF without spiking; readout layers, synaptic filters).
 *
 *   v_t = α·v_{t−1} + (normInput ? (1 − α)·in_t : in_t)·(decayEarly ? α : 1),   output = v
 *
 * The neuron "leaky": this file's step for "bptt"; "exodus" and "slayer" run the fused leaky scan (they
 * coincide: there is no reset). minVMem is not supported here (EXODUS ignores it, docs/neurons.md §1).
 */
import { ConfigError } from "../errors.js";
import { add, mul, oneMinus } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import type { PerNeuron } from "./dynamics.js";
import type { Neuron, NeuronState, StepResult } from "./neuron.js";
import { StatefulLayer, type StatefulOptions } from "./stateful.js";

export interface ExpLeakOptions extends StatefulOptions {
  tauMem: PerNeuron;
  normInput?: boolean;
  decayEarly?: boolean;
  trainAlphas?: boolean;
}

export interface LeakyDescription {
  normInput: boolean;
  decayEarly: boolean;
}

export interface LeakyParams {
  /** [P] decay. */
  alpha: Tensor;
  /** [P] (1 − α), computed once per call when normInput. */
  norm?: Tensor | null;
}

export function leakyStep(d: LeakyDescription, state: NeuronState, x: Tensor, p: LeakyParams): StepResult {
  let cur = x;
  if (d.normInput) cur = mul(cur, p.norm ?? oneMinus(p.alpha));
  if (d.decayEarly) cur = mul(cur, p.alpha);
  const v = add(mul(state.vMem!, p.alpha), cur);
  return { out: v, state: { vMem: v } };
}

export class ExpLeak extends StatefulLayer<LeakyDescription, LeakyParams> {
  readonly normInput: boolean;
  readonly decayEarly: boolean;
  readonly trainAlphas: boolean;
  private readonly neuron_: Neuron<LeakyDescription, LeakyParams>;

  constructor(opts: ExpLeakOptions) {
    if (opts.tauMem === undefined) throw new ConfigError(`${opts.name ?? "ExpLeak"}: tauMem is required`);
    super(opts, { kind: "leaky", state: ["vMem"], defaultName: "ExpLeak", perNeuron: [opts.tauMem] });
    this.normInput = opts.normInput ?? false;
    this.decayEarly = opts.decayEarly ?? false;
    this.trainAlphas = !!opts.trainAlphas;
    this.registerDecay("Mem", opts.tauMem, { trainAlphas: this.trainAlphas });
    const d: LeakyDescription = { normInput: this.normInput, decayEarly: this.decayEarly };
    this.neuron_ = {
      kind: "leaky",
      layer: this.layerName,
      description: d,
      stateNames: ["vMem"],
      prepare: (p) => (d.normInput ? { ...p, norm: oneMinus(p.alpha) } : p),
      step: (state, x, p) => leakyStep(d, state, x, p),
    };
  }

  get vMem(): Tensor | null {
    return this.stateOf("vMem");
  }

  protected neuron(): Neuron<LeakyDescription, LeakyParams> {
    return this.neuron_;
  }

  protected stepParams(): LeakyParams {
    return { alpha: this.decay("Mem")! };
  }

  override describe(): string {
    return `ExpLeak(gradient=${this.gradient}, normInput=${this.normInput}, decayEarly=${this.decayEarly})`;
  }
}
