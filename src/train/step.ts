/**
 * One training step (forward, loss, backward, clip, optimizer, read-back) and how values come back to the
 * host. Every read goes through `await tensor.data()`, so the same step runs on a backend without
 * synchronous reads (webgpu); trainStep is the one place that decides when it reads (see its comment).
 */
import { NumericalError } from "../errors.js";
import type { Backend, DType, FArray } from "../kernels/contract.js";
import type { Sequential } from "../layers/sequential.js";
import { noGrad } from "../tensor/autograd.js";
import { backward } from "../tensor/grad.js";
import { add, concat0, reshape, square, sum, tensor } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { clipGradNorm, clipToNorm, gradNorm } from "./clip.js";
import { computeLoss, scoresOf, type LossSpec } from "./losses.js";
import { spikeSumTensors, type BatchReadout, type SpikingLayers } from "./metrics.js";
import type { Optimizer } from "./optim.js";
import type { Split, Task } from "./tasks/types.js";

/** Whether a backend reads values for free (CPU: wasm, ref) rather than through a download (webgpu). */
export function readsOnHost(backend: Backend): boolean {
  return !!backend.downloadSync;
}

/**
 * Reads several tensors (of one backend). CPU backends: each tensor's data. Without synchronous reads
 * (webgpu): one download of the tensors packed end to end, split again here. Call inside a tidy scope.
 */
export async function readAll(ts: readonly Tensor[]): Promise<FArray[]> {
  if (ts.length === 0) return [];
  if (readsOnHost(ts[0]!.backend) || ts.length === 1) return Promise.all(ts.map((t) => t.data()));
  const packed = noGrad(() => concat0(ts.map((t) => reshape(t, [t.size]))));
  const d = await packed.data();
  let off = 0;
  return ts.map((t) => d.subarray(off, (off += t.size)));
}

/** Reads `extra` tensors, the class scores and the spike totals in one readAll. */
export async function readBatch(extra: Tensor[], scores: Tensor, spikes: (Tensor | null)[]): Promise<{ extra: FArray[]; scores: FArray; spikes: number[] }> {
  const present = spikes.filter((t): t is Tensor => t !== null);
  const d = await readAll([...extra, scores, ...present]);
  let k = extra.length + 1;
  return { extra: d.slice(0, extra.length), scores: d[extra.length]!, spikes: spikes.map((t) => (t ? d[k++]![0]! : 0)) };
}

/** A batch as the input tensor [T, B, ...inputShape] and its labels. */
export function batchInput(task: Task, split: Split, idx: readonly number[], data: Float32Array, dtype: DType): { x: Tensor; labels: number[] } {
  const x = tensor(data, [task.T, idx.length, ...task.inputShape], { dtype });
  return { x, labels: idx.map((i) => task.label(split, i)) };
}

/** Forward through the Sequential keeping each layer's output (for NaN attribution). */
export function forwardLayers(model: Sequential, x: Tensor): { y: Tensor; outs: Tensor[] } {
  const outs: Tensor[] = [];
  let h = x;
  for (const m of model.layers) {
    h = m.forward(h);
    outs.push(h);
  }
  return { y: h, outs };
}

/** Σ over parameters of Σ g² as a scalar tensor on the device (null: no parameter has a gradient). */
function gradNormSq(params: readonly Tensor[]): Tensor | null {
  let s: Tensor | null = null;
  for (const p of params) {
    if (!p.grad) continue;
    const q = sum(square(p.grad));
    s = s ? add(s, q) : q;
  }
  return s;
}

async function firstNonFinite(model: Sequential, outs: Tensor[]): Promise<string> {
  for (let i = 0; i < outs.length; i++) {
    const d = await outs[i]!.data();
    for (let k = 0; k < d.length; k++) {
      if (!Number.isFinite(d[k]!)) return `layer ${i} (${model.layers[i]!.describe()})`;
    }
  }
  return "the loss (all layer outputs are finite)";
}

async function lossError(lv: number, model: Sequential, outs: Tensor[], where: string): Promise<NumericalError> {
  return new NumericalError(`${where}: the loss is ${lv}; first non-finite output: ${await firstNonFinite(model, outs)}. Lower the learning rate or enable --clip`);
}

async function gradError(model: Sequential, where: string): Promise<NumericalError> {
  let bad: string | undefined;
  for (const [n, p] of model.namedParameters()) {
    if (p.grad && (await p.grad.data()).some((v) => !Number.isFinite(v))) {
      bad = n;
      break;
    }
  }
  return new NumericalError(`${where}: the gradient of parameter '${bad ?? "?"}' holds NaN/Inf; lower the learning rate or enable --clip`);
}

/** What a step works on; the same for every step of a run. */
export interface StepContext {
  model: Sequential;
  params: readonly Tensor[];
  optimizer: Optimizer;
  loss: LossSpec;
  /** Max global gradient norm (null or undefined: no clipping). */
  clipNorm?: number | null;
  spiking: SpikingLayers;
}

/**
 * One training step on input x (call inside a tidy scope, after resetting the model's states); `where`
 * ("epoch 2, step 7") opens any NumericalError, which names the first non-finite layer output or gradient.
 *
 * The read policy, all of it here:
 * - CPU backends (readsOnHost) read for free: the loss is checked before backward, and the gradient norm is
 *   summed on the host (clipGradNorm/gradNorm), so a non-finite loss or gradient stops the step before
 *   the optimizer touches the weights.
 * - Otherwise (webgpu) a step reads once, after the optimizer step: loss, class scores, spike totals and
 *   Σg² packed into one download, so a non-finite loss or gradient is reported after the step instead of
 *   before it (the run stops either way). With clipping the norm is needed before the step: a second read
 *   (loss and Σg²) comes first and the final read leaves Σg² out.
 */
export async function trainStep(c: StepContext, x: Tensor, labels: readonly number[], where: string): Promise<BatchReadout> {
  const { model, params, optimizer, clipNorm } = c;
  const { y, outs } = forwardLayers(model, x);
  const loss = computeLoss(c.loss, y, labels);
  const host = readsOnHost(loss.backend);
  if (host) {
    const lv = (await loss.data())[0]!;
    if (!Number.isFinite(lv)) throw await lossError(lv, model, outs, where);
  }
  optimizer.zeroGrad();
  backward(loss);
  let normSq: Tensor | null = null;
  if (host) {
    const norm = clipNorm ? clipGradNorm(params, clipNorm) : gradNorm(params);
    if (!Number.isFinite(norm)) throw await gradError(model, where);
  } else {
    normSq = noGrad(() => gradNormSq(params));
    if (clipNorm && normSq) {
      const [l, n2] = await readAll([loss, normSq]);
      if (!Number.isFinite(l![0]!)) throw await lossError(l![0]!, model, outs, where);
      const norm = Math.sqrt(n2![0]!);
      if (!Number.isFinite(norm)) throw await gradError(model, where);
      clipToNorm(params, norm, clipNorm);
      normSq = null;
    }
  }
  optimizer.step();
  const { sc, sp } = noGrad(() => ({ sc: scoresOf(c.loss, y), sp: spikeSumTensors(c.spiking) }));
  const m = await readBatch(normSq ? [loss, normSq] : [loss], sc, sp);
  const lv = m.extra[0]![0]!;
  if (!Number.isFinite(lv)) throw await lossError(lv, model, outs, where);
  if (normSq && !Number.isFinite(m.extra[1]![0]!)) throw await gradError(model, where);
  return { loss: lv, scores: m.scores, classes: sc.shape[1]!, spikes: m.spikes };
}

/** One evaluation batch (no gradients): loss, class scores and spike totals in one read. Call inside a tidy scope. */
export async function evalStep(model: Sequential, lossSpec: LossSpec, spiking: SpikingLayers, x: Tensor, labels: readonly number[]): Promise<BatchReadout> {
  const { loss, sc, sp } = noGrad(() => {
    const y = model.forward(x);
    return { loss: computeLoss(lossSpec, y, labels), sc: scoresOf(lossSpec, y), sp: spikeSumTensors(spiking) };
  });
  const m = await readBatch([loss], sc, sp);
  return { loss: m.extra[0]![0]!, scores: m.scores, classes: sc.shape[1]!, spikes: m.spikes };
}
