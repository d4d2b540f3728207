/**
 * StateSlot: one explicit neuron state tensor (v_mem, i_syn) that outlives step scopes and can carry the
 * graph from one call to the next. Shared by every stateful layer so the keep / hand-back / detach rules
 * live in one place.
 */
import { noGrad } from "../tensor/autograd.js";
import { currentScopeToken, isScopeOpen, keep, release } from "../tensor/memory.js";
import { detach } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";

export class StateSlot {
  private t: Tensor | null = null;
  private scope: object | null = null;

  get value(): Tensor | null {
    return this.t;
  }

  /** Replaces the state. The old one goes back to the open scope: it may still be an input of its graph. */
  set(t: Tensor | null): void {
    if (t) keep(t);
    if (this.t && this.t !== t) release(this.t);
    this.t = t;
    this.scope = currentScopeToken();
  }

  /** Keeps the value, cuts the graph (truncated BPTT between chunks). */
  detach(): void {
    if (this.t) this.set(noGrad(() => detach(this.t!)));
  }

  /**
   * Before a forward over `rows` neuron rows: a state made in a scope that has closed carries a dead graph,
   * so continue from its value only; a state of another size (new batch size) starts again from zero.
   */
  prepare(rows: number): void {
    if (!isScopeOpen(this.scope)) this.detach();
    if (this.t && this.t.size !== rows) this.set(null);
  }
}
