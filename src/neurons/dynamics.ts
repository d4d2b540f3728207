/**
 * The neuron description shared by every engine: which dynamics (leaky integrator only, or the spiking
 * core with optional synapse), the spike function, reset, surrogate and per-neuron constants, plus the
 * validation that turns impossible settings into ConfigErrors before any kernel runs (docs/neurons.md §1).
 */
import { ConfigError } from "../errors.js";
import type { SurrogateSpec } from "../kernels/contract.js";
import { MembraneSubtract, type ResetMechanism } from "./reset.js";
import type { SpikeFunction } from "./spikes.js";
import type { Surrogate } from "./surrogates.js";

export type GradientEngine = "exodus" | "bptt" | "slayer";
export const GRADIENT_ENGINES: readonly GradientEngine[] = ["exodus", "bptt", "slayer"];

export type PerNeuron = number | readonly number[];

export interface SpikingDescription {
  layer: string;
  spikeFn: SpikeFunction;
  reset: ResetMechanism;
  surrogate: Surrogate;
  threshold: PerNeuron;
  minVMem: PerNeuron | null;
  normInput: boolean;
  decayEarly: boolean;
  hasSynapse: boolean;
  /** α ≡ 1 exactly (IAF). */
  integrateOnly: boolean;
  /** θ is a trained parameter (docs/gradients.md §6): "perNeuron" ([P] values) or "shared" (one value). */
  trainThreshold?: false | "perNeuron" | "shared";
}

export function toArray(v: PerNeuron): number[] {
  return typeof v === "number" ? [v] : [...v];
}

export function checkGradient(g: string, layer: string): GradientEngine {
  if (!(GRADIENT_ENGINES as readonly string[]).includes(g)) {
    throw new ConfigError(`${layer}: gradient must be one of ${GRADIENT_ENGINES.join(", ")}, got '${g}'`);
  }
  return g as GradientEngine;
}

/** Validates the constants; returns the per-neuron length P (1 for all-scalar). */
export function validateSpiking(d: SpikingDescription, engine: GradientEngine, alphaValues: readonly number[] | null): void {
  const L = d.layer;
  if (d.reset.kind === "reset") {
    if (d.spikeFn.maxSpikes !== 1) {
      throw new ConfigError(
        `${L}: ${d.reset} needs spikeFn: SingleSpike (the reset v·(1 − s) is defined for 0/1 spikes), got ${d.spikeFn}; ` +
          `pass spikeFn: SingleSpike, or use reset: new MembraneSubtract() with ${d.spikeFn}`,
      );
    }
    if (!Number.isFinite(d.reset.resetValue)) throw new ConfigError(`${L}: MembraneReset value must be finite, got ${d.reset.resetValue}`);
    if (engine !== "bptt" && d.reset.resetValue !== 0) {
      throw new ConfigError(
        `${L}: the '${engine}' gradient supports MembraneSubtract and MembraneReset(0) (reset to zero), got ${d.reset}; ` +
          `use gradient: "bptt" for ${d.reset}, or reset: new MembraneReset(0)`,
      );
    }
  }
  const th = toArray(d.threshold);
  for (const t of th) {
    if (!(t > 0) || !Number.isFinite(t)) throw new ConfigError(`${L}: spikeThreshold must be positive and finite, got ${t}`);
  }
  if (d.minVMem !== null) {
    const lo = toArray(d.minVMem);
    const P = Math.max(th.length, lo.length);
    for (let i = 0; i < P; i++) {
      const t = th[th.length === 1 ? 0 : i]!;
      const l = lo[lo.length === 1 ? 0 : i]!;
      if (!Number.isFinite(l)) throw new ConfigError(`${L}: minVMem must be finite or null, got ${l}`);
      if (!(t > l)) {
        throw new ConfigError(
          `${L}: spikeThreshold (θ = ${t}) must be greater than minVMem (${l})${P > 1 ? ` for neuron ${i}` : ""}; ` +
            `lower minVMem or raise the threshold`,
        );
      }
    }
  }
  if (d.reset instanceof MembraneSubtract && d.reset.subtractValue !== null) {
    for (const m of toArray(d.reset.subtractValue)) {
      if (!Number.isFinite(m)) throw new ConfigError(`${L}: MembraneSubtract value must be finite, got ${m}`);
    }
  }
  if (alphaValues) checkAlphas(L, alphaValues);
}

export function checkAlphas(layer: string, alphas: ArrayLike<number>): void {
  for (let i = 0; i < alphas.length; i++) {
    const a = alphas[i]!;
    if (!(a >= 0 && a <= 1)) {
      throw new ConfigError(
        `${layer}: decay α = ${a} is outside [0, 1]${alphas.length > 1 ? ` (neuron ${i})` : ""}; ` +
          `use tauMem > 0 (α = exp(−1/τ)) or an alpha in [0, 1]`,
      );
    }
  }
}

export function checkTau(layer: string, name: string, tau: PerNeuron): void {
  for (const t of toArray(tau)) {
    if (!(t > 0)) throw new ConfigError(`${layer}: ${name} must be > 0 time steps (α = exp(−1/τ) ∈ (0, 1)), got ${t}`);
  }
}

export type { SurrogateSpec };
