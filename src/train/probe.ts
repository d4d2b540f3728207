/**
 * What feeds the run report's spike plots: the spike trains of one test sample per spiking layer (and the
 * input), each neuron's spike count averaged over a few samples, and the readout over time when the last
 * layer is not spiking. One forward pass without gradients on the fixed evaluation encoding.
 */
import type { DType, FArray } from "../kernels/contract.js";
import type { Sequential } from "../layers/sequential.js";
import { SpikingLayer } from "../neurons/spiking-layer.js";
import { noGrad } from "../tensor/autograd.js";
import { tidyAsync } from "../tensor/memory.js";
import type { Tensor } from "../tensor/tensor.js";
import { Rng } from "../util/rng.js";
import { scoresOf, type LossSpec } from "./losses.js";
import type { SpikingLayers } from "./metrics.js";
import { batchInput, readAll } from "./step.js";
import type { Task } from "./tasks/types.js";
import type { Raster } from "../report/run-report.js";

/** A raster is the report's type: the report draws what the probe records. */
export type { Raster } from "../report/run-report.js";

export interface ProbeResult {
  rasters: Raster[];
  rates: { name: string; perNeuron: number[] }[];
  label: number;
  predicted: number;
  readout?: { name: string; T: number; C: number; values: number[] };
}

export interface ProbeOptions {
  model: Sequential;
  task: Task;
  spiking: SpikingLayers;
  loss: LossSpec;
  dtype: DType;
  /** Seed of the evaluation encoding (seeds.ts testEncodeSeed). */
  encodeSeed: number;
}

/** The spikes of sample 0 of a [T, B, …] tensor as (time, neuron) pairs. */
function toRaster(name: string, t: Tensor, d: FArray, B: number): Raster {
  const T = t.shape[0]!;
  const N = t.size / (T * B);
  const times: number[] = [], neurons: number[] = [];
  for (let s = 0; s < T; s++) for (let k = 0; k < N; k++) if (d[(s * B) * N + k]! > 0) { times.push(s); neurons.push(k); }
  return { name, T, N, times, neurons };
}

/**
 * Probes test sample `sample` (rates over it and the `rateSamples − 1` samples after it). Leaves the model
 * in eval mode with its states set by this batch; the caller resets them.
 */
export async function probeModel(o: ProbeOptions, sample: number, rateSamples: number): Promise<ProbeResult> {
  const { model, task, spiking } = o;
  model.eval();
  return tidyAsync(async () => {
    const nS = Math.min(rateSamples, task.size("test"));
    const idx = Array.from({ length: nS }, (_, i) => (sample + i) % task.size("test"));
    const data = await task.encode("test", idx, new Rng(o.encodeSeed));
    const { x, y, sc } = noGrad(() => {
      model.resetStates();
      const { x } = batchInput(task, "test", idx, data, o.dtype);
      const y = model.forward(x);
      return { x, y, sc: scoresOf(o.loss, y) };
    });
    const spikes = spiking.map(([, l]) => l.lastSpikes!);
    const [xd, yd, scd, ...sd] = await readAll([x, y, sc, ...spikes]);
    const B = idx.length;
    const rasters = [toRaster("input", x, xd!, B), ...spiking.map(([n], i) => toRaster(n, spikes[i]!, sd[i]!, B))];
    const rates = spiking.map(([name], i) => {
      const d = sd[i]!;
      const T = spikes[i]!.shape[0]!;
      const N = spikes[i]!.size / (T * B);
      const per = new Array<number>(N).fill(0);
      for (let k = 0; k < d.length; k++) per[k % N]! += d[k]!;
      return { name, perNeuron: per.map((v) => v / B) };
    });
    const last = model.layers[model.layers.length - 1];
    let readout: ProbeResult["readout"];
    if (!(last instanceof SpikingLayer)) {
      const T = y.shape[0]!, C = y.size / (T * B);
      const values: number[] = [];
      for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) values.push(yd![(t * B) * C + c]!);
      readout = { name: `${model.layers.length - 1}:${last!.constructor.name}`, T, C, values };
    }
    const C = task.classes;
    let arg = 0;
    for (let c = 1; c < C; c++) if (scd![c]! > scd![arg]!) arg = c;
    return { rasters, rates, label: task.label("test", sample), predicted: arg, readout };
  });
}
