/** Reset mechanisms after a spike. EXODUS and SLAYER support MembraneSubtract only (spec §1.1, §8.11). */

/** v ← v − m·s, m = subtractValue (default: the threshold θ). */
export class MembraneSubtract {
  readonly kind = "subtract" as const;
  constructor(readonly subtractValue: number | readonly number[] | null = null) {}
  toString(): string {
    return `MembraneSubtract(${this.subtractValue ?? "θ"})`;
  }
}

/** v ← resetValue after a spike. Only the "bptt" engine supports it. */
export class MembraneReset {
  readonly kind = "reset" as const;
  constructor(readonly resetValue = 0) {}
  toString(): string {
    return `MembraneReset(${this.resetValue})`;
  }
}

export type ResetMechanism = MembraneSubtract | MembraneReset;
