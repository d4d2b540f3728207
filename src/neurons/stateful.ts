/**
 * StatefulLayer: the base of every neuron layer (LIF, IAF, ExpLeak, and any new neuron). It owns what every
 * neuron shares, so a new neuron writes only its description and its step (docs/neurons.md §3):
 * - named state slots (vMem, iSyn, …) carried across calls with gradients flowing through them,
 *   reset/detached by Module.resetStates/detachStates, re-zeroed when the batch size changes;
 * - τ/α parameters (tauX, or alphaX with trainAlphas) with the τ > 0 and α ∈ [0, 1] checks;
 * - the per-neuron count P and the input checks ([T, B, ...F], F = P when parameters are per neuron);
 * - the gradient engine: "bptt" unrolls the step, "exodus"/"slayer" need a fused implementation of the
 *   neuron's kind (ConfigError at construction when there is none).
 */
import { ConfigError, ShapeError } from "../errors.js";
import type { Backend, BackendName, DType } from "../kernels/contract.js";
import { Module } from "../layers/module.js";
import { exp, mulScalar, powScalar, reshape, tensor, zeros } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkAlphas, checkGradient, checkTau, toArray, type GradientEngine, type PerNeuron } from "./dynamics.js";
import { fusedFor } from "./engines/fused.js";
import { runNeuron } from "./engines/run.js";
import type { Neuron, NeuronOutput, NeuronRun } from "./neuron.js";
import { StateSlot } from "./state.js";

/** Options every stateful layer takes. */
export interface StatefulOptions {
  /** How gradients are computed: "exodus" (default, exact), "bptt" (reference), "slayer" (baseline). */
  gradient?: GradientEngine;
  /** Per-neuron parameter shape (the feature shape F); default: scalars, or the length of array options. */
  shape?: readonly number[];
  /** Layer name used in error messages. */
  name?: string;
  dtype?: DType;
  backend?: Backend | BackendName;
}

/** What a subclass declares about itself. */
export interface StatefulKind {
  /** The neuron kind (fused-engine table key, see Neuron.kind). */
  kind: string;
  /** Names of the state slots, e.g. ["vMem", "iSyn"]. */
  state: readonly string[];
  defaultName: string;
  /** Options that may be per-neuron arrays; their lengths decide P (with `shape`). */
  perNeuron?: readonly (PerNeuron | null | undefined)[];
}

/** α = exp(−1/τ), differentiable. */
export function alphaFromTau(tau: Tensor): Tensor {
  return exp(mulScalar(powScalar(tau, -1), -1));
}

export abstract class StatefulLayer<D = unknown, Pm = unknown> extends Module {
  readonly gradient: GradientEngine;
  readonly layerName: string;
  /** Number of neurons with their own parameters: every per-neuron tensor is [P]. */
  readonly P: number;
  protected readonly tensorOpts: { dtype: DType; backend: Backend | BackendName | undefined };
  private readonly slots = new Map<string, StateSlot>();

  constructor(opts: StatefulOptions, kind: StatefulKind) {
    super();
    this.layerName = opts.name ?? kind.defaultName;
    this.gradient = checkGradient(opts.gradient ?? "exodus", this.layerName);
    if (this.gradient !== "bptt") fusedFor(kind.kind, this.gradient, this.layerName);
    for (const s of kind.state) this.slots.set(s, new StateSlot());
    this.P = resolveP(this.layerName, opts.shape, kind.perNeuron ?? []);
    this.tensorOpts = { dtype: opts.dtype ?? "float32", backend: opts.backend };
  }

  /** The neuron this layer runs: kind, description, state names and step. */
  protected abstract neuron(): Neuron<D, Pm>;

  /** A per-neuron option as P values. */
  protected expand(v: PerNeuron): number[] {
    const a = toArray(v);
    return a.length === this.P ? a : new Array<number>(this.P).fill(a[0]!);
  }

  /** A [P] tensor of a per-neuron option, in the layer's dtype and backend. */
  protected perNeuronTensor(v: PerNeuron): Tensor {
    return tensor(this.expand(v), [this.P], this.tensorOpts);
  }

  /**
   * Registers a decay as a trainable parameter: `tau<Name>` (α = exp(−1/τ)), or `alpha<Name>` with
   * trainAlphas. Checks τ > 0 (and α ∈ [0, 1]); `trainable: false` keeps it fixed.
   */
  protected registerDecay(name: string, tau: PerNeuron, o: { trainAlphas?: boolean; trainable?: boolean } = {}): void {
    checkTau(this.layerName, `tau${name}`, tau);
    const taus = this.expand(tau);
    let p: Tensor;
    if (o.trainAlphas) {
      const alphas = taus.map((t) => Math.exp(-1 / t));
      checkAlphas(this.layerName, alphas);
      p = this.registerParameter(`alpha${name}`, tensor(alphas, [this.P], this.tensorOpts));
    } else {
      p = this.registerParameter(`tau${name}`, tensor(taus, [this.P], this.tensorOpts));
    }
    if (o.trainable === false) p.requiresGrad = false;
  }

  /** [P] decay α of `registerDecay(name)` as a differentiable tensor (or a buffer `alpha<Name>`); null if none. */
  protected decay(name: string): Tensor | null {
    const a = this.parameter(`alpha${name}`) ?? this.buffer(`alpha${name}`);
    if (a) return a;
    const tau = this.parameter(`tau${name}`);
    return tau ? alphaFromTau(tau) : null;
  }

  /** The current value of a state slot (null before the first call or after resetStates). */
  protected stateOf(name: string): Tensor | null {
    return this.slot(name).value;
  }

  /** Every state slot's value by name. */
  getState(): Record<string, Tensor | null> {
    return Object.fromEntries([...this.slots].map(([k, s]) => [k, s.value]));
  }

  /** Sets state slots by name (e.g. the post-reset membrane potential, to continue a recording); others keep theirs. */
  setState(s: Readonly<Record<string, Tensor | null | undefined>>): void {
    for (const [k, v] of Object.entries(s)) if (v !== undefined) this.slot(k).set(v);
  }

  protected override resetOwnState(): void {
    for (const s of this.slots.values()) s.set(null);
  }

  protected override detachOwnState(): void {
    for (const s of this.slots.values()) s.detach();
  }

  private slot(name: string): StateSlot {
    const s = this.slots.get(name);
    if (!s) throw new ConfigError(`${this.layerName}: no state '${name}'; this layer's states are ${[...this.slots.keys()].join(", ")}`);
    return s;
  }

  /**
   * Checks the input ([T, B, ...F], F = P for per-neuron parameters), prepares the slots for N = x.size / T
   * rows and returns the run: x as [T, N] and the initial state (the slots, zeros where empty).
   */
  protected beginRun(x: Tensor): NeuronRun {
    const L = this.layerName;
    if (x.rank < 2) throw new ShapeError(`${L}: input must be time-major [T, B, ...features], got [${x.shape.join(", ")}]`);
    const T = x.shape[0]!;
    const N = x.size / T;
    const F = x.shape.slice(2).reduce((a, b) => a * b, 1);
    if (this.P > 1 && F !== this.P) {
      throw new ShapeError(`${L}: input features [${x.shape.slice(2).join(", ")}] (${F}) do not match the ${this.P} per-neuron parameters`);
    }
    for (const s of this.slots.values()) s.prepare(N);
    const state: Record<string, Tensor> = {};
    for (const name of this.neuron().stateNames) state[name] = this.slot(name).value ?? zeros([N], { dtype: x.dtype, backend: x.backend });
    return { x: reshape(x, [T, N]), state, P: this.P };
  }

  /** Runs the neuron over the sequence with the layer's gradient engine. */
  protected runSteps(run: NeuronRun, params: Pm): NeuronOutput {
    return runNeuron(this.gradient, this.neuron(), params, run);
  }

  /** The per-neuron parameter tensors the step reads ([P] each). */
  protected abstract stepParams(x: Tensor): Pm;

  /** The default forward: run the step over the sequence, keep the final state, return the outputs as [T, B, ...F]. */
  forward(x: Tensor): Tensor {
    const run = this.beginRun(x);
    const out = this.runSteps(run, this.stepParams(x));
    this.setState(out.state);
    const y = reshape(out.out, x.shape);
    if (this.neuron().emitsSpikes) y.spikes = true;
    return y;
  }
}

/**
 * P from the per-neuron options and `shape`: every array option must have P values; `shape` (when given
 * and not [1]) must hold P neurons too.
 */
function resolveP(layer: string, shape: readonly number[] | undefined, perNeuron: readonly (PerNeuron | null | undefined)[]): number {
  const lens = perNeuron.filter((v): v is readonly number[] => Array.isArray(v)).map((v) => v.length);
  const shapeP = shape ? shape.reduce((a, b) => a * b, 1) : 1;
  const P = Math.max(shapeP, ...lens, 1);
  for (const l of lens) {
    if (l !== P) throw new ConfigError(`${layer}: per-neuron options have lengths ${lens.join(", ")}; they must all equal ${P} (or be scalars)`);
  }
  if (shapeP !== 1 && shapeP !== P) throw new ConfigError(`${layer}: shape [${shape}] has ${shapeP} neurons but parameters have ${P}`);
  return P;
}
