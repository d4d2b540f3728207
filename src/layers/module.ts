/**
 * Module: the base of every layer and network. Holds named parameters (trainable tensors), buffers
 * (non-trainable tensors saved in checkpoints), child modules and the train/eval flag — PyTorch's shape.
 * Parameters live outside step scopes (kept); forward results live in the caller's scope.
 */
import { keep } from "../tensor/memory.js";
import type { Tensor } from "../tensor/tensor.js";

export abstract class Module {
  training = true;
  /**
   * This module's input holds spikes even where the tensor does not say so (`Tensor.spikes`): a model's
   * own input (event frames, rate codes). Set by markSpikeInput(); the layers that care read it through
   * inputIsSpikes().
   */
  spikeInput = false;
  private readonly params_ = new Map<string, Tensor>();
  private readonly buffers_ = new Map<string, Tensor>();
  private readonly children_ = new Map<string, Module>();

  /** Maps a time-major input [T, B, ...] to an output [T, B, ...]. */
  abstract forward(x: Tensor): Tensor;

  /** Registers (or replaces) a trainable parameter. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    const old = this.params_.get(name);
    if (old && old !== t) old.dispose();
    t.requiresGrad = true;
    t.name = name;
    keep(t);
    this.params_.set(name, t);
    return t;
  }

  protected registerBuffer(name: string, t: Tensor): Tensor {
    const old = this.buffers_.get(name);
    if (old && old !== t) old.dispose();
    t.name = name;
    keep(t);
    this.buffers_.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children_.set(name, m);
    return m;
  }

  parameter(name: string): Tensor | undefined {
    return this.params_.get(name);
  }

  buffer(name: string): Tensor | undefined {
    return this.buffers_.get(name);
  }

  children(): [string, Module][] {
    return [...this.children_];
  }

  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params_) out.push([prefix + n, p]);
    for (const [n, c] of this.children_) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.buffers_) out.push([prefix + n, p]);
    for (const [n, c] of this.children_) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every module in the tree (depth first, self first) with its dotted name. */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ""), this]];
    for (const [n, c] of this.children_) out.push(...c.namedModules(`${prefix}${n}.`));
    return out;
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) {
      if (p.grad) {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  /**
   * Declares that this module's input is spikes. A Linear or Conv2d then takes the spike-sparse path; a
   * layer that keeps spikes spikes (Flatten, pooling, Dropout) marks its output, so the fact reaches the
   * next synaptic layer. Containers pass the declaration to their first child (Sequential).
   */
  markSpikeInput(): this {
    this.spikeInput = true;
    return this;
  }

  /** Whether forward's input holds spikes: the tensor says so (a spiking layer made it) or it was declared. */
  protected inputIsSpikes(x: Tensor): boolean {
    return x.spikes || this.spikeInput;
  }

  /** Zeros (and detaches) every stateful layer's state; see SpikingLayer. */
  resetStates(): void {
    for (const [, m] of this.namedModules()) m.resetOwnState();
  }

  /** Detaches every state from the graph (truncated BPTT between chunks) without zeroing it. */
  detachStates(): void {
    for (const [, m] of this.namedModules()) m.detachOwnState();
  }

  protected resetOwnState(): void {}
  protected detachOwnState(): void {}

  /** A short description used by repr and reports. */
  describe(): string {
    return this.constructor.name;
  }

  toString(): string {
    const kids = this.children();
    if (!kids.length) return this.describe();
    return `${this.describe()}(\n${kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, "\n  ")}`).join("\n")}\n)`;
  }
}
