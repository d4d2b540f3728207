/**
 * The BPTT engine: a generic unroller. It runs any neuron's step once per time step from ordinary tensor
 * ops and lets the autograd tape differentiate the sequence — the way PyTorch SNN libraries do it. It is
 * the reference every fused engine is tested against and the speed baseline, and it never calls a fused
 * scan kernel. Nothing here knows what the neuron computes (docs/gradients.md §2 for the spiking core).
 */
import { ConfigError } from "../../errors.js";
import { reshape, stack0, unstack0 } from "../../tensor/ops/index.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { Neuron, NeuronOutput, NeuronRun } from "../neuron.js";

/** Unstacks time, calls `neuron.step` for each step, stacks the outputs; the state after the last step is returned. */
export function unroll<D, Pm>(neuron: Neuron<D, Pm>, params: Pm, run: NeuronRun): NeuronOutput {
  const [T, N] = run.x.shape as [number, number];
  const rows = [N / run.P, run.P];
  let state: Record<string, Tensor> = {};
  for (const name of neuron.stateNames) {
    const s = run.state[name];
    if (!s) throw new ConfigError(`${neuron.layer}: no initial value for state '${name}' (the neuron declares ${neuron.stateNames.join(", ")})`);
    state[name] = reshape(s, rows);
  }
  const p = neuron.prepare ? neuron.prepare(params) : params;
  const outs: Tensor[] = [];
  const recorded: Record<string, Tensor[]> = {};
  const steps = unstack0(run.x);
  for (let t = 0; t < T; t++) {
    const r = neuron.step(state, reshape(steps[t]!, rows), p);
    outs.push(r.out);
    state = { ...r.state };
    for (const [k, v] of Object.entries(r.record ?? {})) (recorded[k] ??= []).push(v);
  }
  const last: Record<string, Tensor> = {};
  for (const name of neuron.stateNames) {
    const s = state[name];
    if (!s) throw new ConfigError(`${neuron.layer}: the step did not return state '${name}'`);
    last[name] = reshape(s, [N]);
  }
  const record: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(recorded)) record[k] = reshape(stack0(v), [T, N]);
  return { out: reshape(stack0(outs), [T, N]), state: last, record };
}
