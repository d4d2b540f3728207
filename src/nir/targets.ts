/**
 * Export presets: the dt, discretisation and input-gain convention each NIR consumer assumes
 * (docs/nir.md, "Target presets"). NIR stores no dt, and readers disagree on dt, integration and `r`, so a
 * preset writes the file the way that reader will compute it.
 */
import { ConfigError } from "../errors.js";

export type Discretization = "exact" | "euler";

/**
 * What `r` the consumer assumes, whatever the file says:
 * - "honoured": it reads r; we write the true r and leave the weights alone.
 * - "unit": it assumes r = 1 (per-step gain 1 − α); we fold the rest of our gain into the incoming weights.
 * - "unnormalised": it computes v ← αv + x (gain 1, r = 1/(1 − α)); we fold towards that.
 */
export type GainConvention = "honoured" | "unit" | "unnormalised";

export interface TargetPreset {
  dt: number;
  discretization: Discretization;
  gain: GainConvention;
  /** Write CubaLIF for every LIF (Rockpool imports no plain LIF). */
  cubaOnly: boolean;
  /** The reader has no synapse model (sinabs drops tau_syn and imports no CubaLIF). */
  noSynapse?: boolean;
  note: string;
}

export const TARGETS = {
  sinabs: { dt: 1, discretization: "exact", gain: "unnormalised", cubaOnly: false, noSynapse: true, note: "sinabs / Speck: τ in steps, α = exp(−1/τ), r ignored (v ← αv + x)" },
  snntorch: { dt: 1e-4, discretization: "euler", gain: "honoured", cubaOnly: false, note: "snnTorch: dt fixed at 1e-4, β = 1 − dt/τ, r honoured (threshold rescaling)" },
  norse: { dt: 1e-3, discretization: "euler", gain: "unit", cubaOnly: false, note: "Norse: default dt 1e-3, Euler, r ignored (assumed 1)" },
  lava: { dt: 1e-4, discretization: "euler", gain: "unit", cubaOnly: false, note: "Lava/Loihi (NIR example): dt 1e-4, Euler, r ignored (assumed 1)" },
  rockpool: { dt: 1e-3, discretization: "exact", gain: "honoured", cubaOnly: true, note: "Rockpool/Xylo: exponential, r used; imports only CubaLIF, LI, Linear, Affine" },
  spyx: { dt: 1, discretization: "euler", gain: "unnormalised", cubaOnly: false, note: "Spyx: dt 1, β = 1 − dt/τ, r ignored (v ← βv + x)" },
} as const satisfies Record<string, TargetPreset>;

export type TargetName = keyof typeof TARGETS;
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];

export function targetPreset(name: string): TargetPreset {
  if (!(name in TARGETS)) throw new ConfigError(`unknown NIR target '${name}'; use one of ${TARGET_NAMES.join(", ")} (or none for the plain NIR semantics)`);
  return TARGETS[name as TargetName];
}

/** The τ NIR should carry for a per-step decay α at step length dt. */
export function tauFromAlpha(alpha: number, dt: number, d: Discretization): number {
  return d === "exact" ? -dt / Math.log(alpha) : dt / (1 - alpha);
}

/** The per-step decay a reader computes from τ at step length dt (inverse of tauFromAlpha). */
export function alphaFromNirTau(tau: number, dt: number, d: Discretization): number {
  return d === "exact" ? Math.exp(-dt / tau) : 1 - dt / tau;
}
