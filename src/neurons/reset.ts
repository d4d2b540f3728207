/**
 * Reset mechanisms after a spike. Every engine differentiates the reset (docs/gradients.md §3, §5): the
 * fused engines support MembraneSubtract and MembraneReset(0); MembraneReset with another value is bptt-only.
 */

/** v ← v − m·s, m = subtractValue (default: the threshold θ). */
export class MembraneSubtract {
  readonly kind = "subtract" as const;
  constructor(readonly subtractValue: number | readonly number[] | null = null) {}
  toString(): string {
    return `MembraneSubtract(${this.subtractValue ?? "θ"})`;
  }
}

/**
 * v ← resetValue after a spike: vpost = v·(1 − s) + r·s with SingleSpike, the spike NOT detached.
 * r = 0 (reset to zero) runs on every engine; another r only on "bptt".
 */
export class MembraneReset {
  readonly kind = "reset" as const;
  constructor(readonly resetValue = 0) {}
  toString(): string {
    return `MembraneReset(${this.resetValue})`;
  }
}

export type ResetMechanism = MembraneSubtract | MembraneReset;
