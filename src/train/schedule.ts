/**
 * Learning-rate schedules as pure functions of the step, so a resumed run recomputes the same rate from the
 * saved step count. Cosine annealing (SGDR without restarts) with optional linear warm-up.
 */
import { ConfigError } from "../errors.js";

export interface CosineSchedule {
  kind: "cosine";
  totalSteps: number;
  warmupSteps?: number;
  /** Final lr as a fraction of the base lr (default 0). */
  minFactor?: number;
}
export interface ConstantSchedule {
  kind: "constant";
}
export type Schedule = CosineSchedule | ConstantSchedule;

/** lr at (0-based) step `step` for base rate `base`. */
export function lrAt(s: Schedule, base: number, step: number): number {
  if (s.kind === "constant") return base;
  if (s.kind !== "cosine") throw new ConfigError(`unknown schedule '${(s as { kind: string }).kind}'`);
  const warm = s.warmupSteps ?? 0;
  if (step < warm) return (base * (step + 1)) / warm;
  const span = Math.max(1, s.totalSteps - warm);
  const p = Math.min(1, (step - warm) / span);
  const lo = base * (s.minFactor ?? 0);
  return lo + (base - lo) * 0.5 * (1 + Math.cos(Math.PI * p));
}
