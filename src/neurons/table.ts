/**
 * The neuron table: a model config's neuron entry ({ "type": "lif", … } in model.json) → the layer. The
 * presets and the NIR importer build neurons only through it, so a new neuron type is its class file plus
 * one row here (docs/neurons.md §3). The spec fields and their defaults are the JSON format of model
 * configs and run directories: keep them stable.
 */
import { ConfigError } from "../errors.js";
import type { DType } from "../kernels/contract.js";
import type { GradientEngine } from "./dynamics.js";
import { ExpLeak } from "./exp-leak.js";
import { IAF } from "./iaf.js";
import { LIF } from "./lif.js";
import { MembraneReset, MembraneSubtract } from "./reset.js";
import { MultiSpike, SingleSpike } from "./spikes.js";
import type { SpikingOptions } from "./spiking-layer.js";
import type { StatefulLayer } from "./stateful.js";
import { SingleExponential } from "./surrogates.js";

/** Spiking-neuron options shared by lif and iaf entries. */
export interface NeuronSpec {
  spikeThreshold?: number;
  /** "multi" (default) or "single" spike per step. */
  spikeFn?: "multi" | "single";
  gradWidth?: number;
  gradScale?: number;
  minVMem?: number | null;
  /** Per-neuron parameter shape; the values themselves then come from the weights file (NIR import). */
  shape?: number[];
  /** Reset to this value after a spike (MembraneReset) instead of subtracting θ. */
  resetValue?: number | null;
}

/** The JSON spec of each neuron type (without its "type" field). */
export interface NeuronSpecs {
  lif: { tauMem: number; tauSyn?: number | null; normInput?: boolean; decayEarly?: boolean; trainTau?: boolean } & NeuronSpec;
  iaf: NeuronSpec;
  expleak: { tauMem: number; normInput?: boolean; decayEarly?: boolean; shape?: number[] };
}

export type NeuronType = keyof NeuronSpecs;
/** A neuron entry of a model config. */
export type NeuronLayerSpec = { [K in NeuronType]: { type: K } & NeuronSpecs[K] }[NeuronType];

/** What every factory receives besides its spec. */
export interface NeuronCommon {
  gradient: GradientEngine;
  /** Layer name for error messages, e.g. "layer 3 (lif)". */
  name: string;
  dtype: DType;
}

export interface NeuronEntry<S> {
  factory(spec: S, common: NeuronCommon): StatefulLayer;
}

function spikingOptions(s: NeuronSpec, c: NeuronCommon): SpikingOptions {
  return {
    gradient: c.gradient,
    name: c.name,
    dtype: c.dtype,
    spikeThreshold: s.spikeThreshold ?? 1,
    spikeFn: s.spikeFn === "single" ? SingleSpike : MultiSpike,
    reset: s.resetValue === undefined || s.resetValue === null ? new MembraneSubtract() : new MembraneReset(s.resetValue),
    surrogate: new SingleExponential({ gradWidth: s.gradWidth ?? 0.5, gradScale: s.gradScale ?? 1 }),
    minVMem: s.minVMem ?? null,
    shape: s.shape,
  };
}

export const NEURONS: { readonly [K in NeuronType]: NeuronEntry<NeuronSpecs[K]> } = {
  lif: {
    factory: (s, c) => new LIF({ ...spikingOptions(s, c), tauMem: s.tauMem, tauSyn: s.tauSyn ?? null, normInput: s.normInput, decayEarly: s.decayEarly, trainTau: s.trainTau }),
  },
  iaf: { factory: (s, c) => new IAF(spikingOptions(s, c)) },
  expleak: {
    factory: (s, c) => new ExpLeak({ tauMem: s.tauMem, normInput: s.normInput, decayEarly: s.decayEarly, shape: s.shape, gradient: c.gradient, name: c.name, dtype: c.dtype }),
  },
};

export const NEURON_TYPES = Object.keys(NEURONS) as NeuronType[];

export function isNeuronSpec<L extends { type: string }>(l: L): l is Extract<L, NeuronLayerSpec> {
  return Object.hasOwn(NEURONS, l.type);
}

/** Builds the layer of a neuron entry. */
export function buildNeuron(spec: NeuronLayerSpec, common: NeuronCommon): StatefulLayer {
  if (!Object.hasOwn(NEURONS, spec.type)) throw new ConfigError(`${common.name}: unknown neuron type '${spec.type}'; use ${NEURON_TYPES.join(", ")}`);
  // spec.type picks the row, and the row's factory takes exactly that spec: the union is correlated by construction.
  const entry = NEURONS[spec.type] as NeuronEntry<NeuronLayerSpec>;
  return entry.factory(spec, common);
}
