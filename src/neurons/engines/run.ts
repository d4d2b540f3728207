/**
 * The engine table: "bptt" unrolls the neuron's step (bptt.ts), "exodus" and "slayer" run the fused
 * implementation of its kind (fused.ts). Every stateful layer calls this one function.
 */
import type { GradientEngine } from "../dynamics.js";
import type { Neuron, NeuronOutput, NeuronRun } from "../neuron.js";
import { unroll } from "./bptt.js";
import { fusedFor } from "./fused.js";

export function runNeuron<D, Pm>(engine: GradientEngine, neuron: Neuron<D, Pm>, params: Pm, run: NeuronRun): NeuronOutput {
  if (engine === "bptt") return unroll(neuron, params, run);
  return fusedFor(neuron.kind, engine, neuron.layer)(engine, neuron, params, run);
}
