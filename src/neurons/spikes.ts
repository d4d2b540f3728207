/** Spike functions (docs/neurons.md §2): how many spikes a step emits for a potential v ≥ θ. */
import { ConfigError } from "../errors.js";

export class SpikeFunction {
  /** 0 = unlimited. */
  constructor(readonly maxSpikes: number, readonly label: string) {}
  toString(): string {
    return this.label;
  }
}

/** ⌊v/θ⌋ spikes per step (the default). */
export const MultiSpike = new SpikeFunction(0, "MultiSpike");
/** At most one spike per step. */
export const SingleSpike = new SpikeFunction(1, "SingleSpike");
/** At most k spikes per step. */
export function MaxSpike(k: number): SpikeFunction {
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`MaxSpike(k) needs an integer k ≥ 1, got ${k}`);
  return new SpikeFunction(k, `MaxSpike(${k})`);
}
