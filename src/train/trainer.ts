/**
 * The training loop: seeded and deterministic (every random draw comes from an Rng derived from
 * (seed, epoch, purpose), so a run resumed at an epoch boundary draws exactly what an uninterrupted run
 * would), one `tidyAsync` scope per step so memory stays flat, validation after every epoch, metrics (loss,
 * accuracy, spikes per neuron per layer, samples/s), NaN/Inf detection that names the layer or parameter,
 * and a checkpoint after every epoch.
 *
 * Every read goes through `await tensor.data()`, so the same loop runs on a backend without synchronous
 * reads (webgpu). There a step reads back once: loss, class scores, spike counts and the squared gradient
 * norm packed into one small buffer after the optimizer step (twice with --clip, which needs the norm
 * before the step), and a non-finite loss or gradient is reported after the step instead of before it (the
 * run stops either way). On CPU backends (wasm, ref) the loss is checked before backward and the gradient
 * norm is summed on the host as before, so their numbers are unchanged.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, NumericalError } from "../errors.js";
import { Dropout } from "../layers/dropout.js";
import type { Sequential } from "../layers/sequential.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import { SpikingLayer } from "../neurons/spiking-layer.js";
import { noGrad } from "../tensor/autograd.js";
import { run } from "../kernels/registry.js";
import type { FArray } from "../kernels/contract.js";
import { tidy, tidyAsync } from "../tensor/memory.js";
import { backward } from "../tensor/grad.js";
import { add, concat0, reshape, square, sum, tensor } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Rng } from "../util/rng.js";
import { hasCheckpoint, loadCheckpoint, saveCheckpointAsync } from "./checkpoint.js";
import { clipGradNorm, gradNorm } from "./clip.js";
import { computeLoss, scoresOf } from "./losses.js";
import type { ModelConfig } from "./models/presets.js";
import { Adam, AdamW, SGD, type Optimizer } from "./optim.js";
import { InlineFeed, type BatchFeed } from "./feed.js";
import { lrAt, type Schedule } from "./schedule.js";
import type { Split, Task, TaskOptions } from "./tasks/types.js";

/** A run's whole configuration (config.json of a run directory). The task's options are TaskOptions' fields. */
export interface TrainConfig extends TaskOptions {
  task: string;
  modelName: string;
  model: ModelConfig;
  gradient: GradientEngine;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  optimizer: "adam" | "adamw" | "sgd";
  weightDecay?: number;
  momentum?: number;
  /** Max global gradient norm (null: no clipping). */
  clipNorm?: number | null;
  schedule: "cosine" | "constant";
  device: "wasm" | "ref" | "webgpu";
  dtype?: "float32" | "float64";
}

export interface EpochMetrics {
  epoch: number;
  lr: number;
  train_loss: number;
  train_accuracy: number;
  test_loss: number;
  test_accuracy: number;
  /** Mean spikes per neuron per sample (whole sequence), by spiking layer name, on the training data. */
  spikes_per_neuron: Record<string, number>;
  samples_per_second: number;
  epoch_seconds: number;
  eval_seconds: number;
}

export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  accuracy: number;
  samplesPerSecond: number;
}

export interface TrainerState {
  epoch: number;
  step: number;
  history: EpochMetrics[];
  /** How randomness is derived (documented so the state is complete: no hidden generator position). */
  rng: { scheme: string; seed: number };
  seconds: number;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  spikesPerNeuron: Record<string, number>;
  /** [classes × classes] counts, row = true label. */
  confusion: number[][];
}

/** A 32-bit mix of (seed, a, b) (murmur3 finaliser): independent streams per epoch and purpose. */
export function deriveSeed(seed: number, a: number, b: number): number {
  let h = (seed ^ Math.imul(a + 1, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
const PURPOSE = { shuffle: 1, encode: 2, dropout: 3, testEncode: 4 } as const;

export function makeOptimizer(cfg: TrainConfig, params: readonly Tensor[]): Optimizer {
  switch (cfg.optimizer) {
    case "adam":
      return new Adam(params, { lr: cfg.lr, weightDecay: cfg.weightDecay ?? 0 });
    case "adamw":
      return new AdamW(params, { lr: cfg.lr, weightDecay: cfg.weightDecay ?? 0.01 });
    case "sgd":
      return new SGD(params, { lr: cfg.lr, momentum: cfg.momentum ?? 0.9, weightDecay: cfg.weightDecay ?? 0 });
    default:
      throw new ConfigError(`unknown optimizer '${String(cfg.optimizer)}'; use adam, adamw or sgd`);
  }
}

/**
 * Reads several tensors (of one backend). CPU backends: each tensor's data. Without synchronous reads
 * (webgpu): one download of the tensors packed end to end, split again here. Call inside a tidy scope.
 */
export async function readAll(ts: readonly Tensor[]): Promise<FArray[]> {
  if (ts.length === 0) return [];
  if (ts[0]!.backend.downloadSync || ts.length === 1) return Promise.all(ts.map((t) => t.data()));
  const packed = noGrad(() => concat0(ts.map((t) => reshape(t, [t.size]))));
  const d = await packed.data();
  let off = 0;
  return ts.map((t) => d.subarray(off, (off += t.size)));
}

/** Σ over parameters of Σ g² as a scalar tensor on the device (webgpu; CPU backends sum on the host). */
function gradNormSq(params: readonly Tensor[]): Tensor | null {
  let s: Tensor | null = null;
  for (const p of params) {
    if (!p.grad) continue;
    const q = sum(square(p.grad));
    s = s ? add(s, q) : q;
  }
  return s;
}

/** Index of the largest score of row b (the first one on ties) and whether it is the only top score. */
function argmaxRow(s: FArray, b: number, C: number): { arg: number; unique: boolean } {
  let arg = 0;
  for (let c = 1; c < C; c++) if (s[b * C + c]! > s[b * C + arg]!) arg = c;
  let top = 0;
  for (let c = 0; c < C; c++) if (s[b * C + c] === s[b * C + arg]) top++;
  return { arg, unique: top === 1 };
}

/** Names of the layers whose spikes are counted: "<index>:<Class>". */
function spikingLayers(model: Sequential): [string, SpikingLayer][] {
  return model.layers.flatMap((m, i): [string, SpikingLayer][] => (m instanceof SpikingLayer ? [[`${i}:${m.constructor.name}`, m]] : []));
}

export interface TrainerHooks {
  onStep?(s: StepInfo): void;
  onEpoch?(m: EpochMetrics): void;
}

export class Trainer {
  readonly optimizer: Optimizer;
  readonly schedule: Schedule;
  state: TrainerState;
  /** The evaluation after the last epoch trained in this process (null before). */
  lastEval: EvalResult | null = null;
  private readonly stepsPerEpoch: number;
  private readonly spiking: [string, SpikingLayer][];

  constructor(
    readonly model: Sequential,
    readonly task: Task,
    readonly cfg: TrainConfig,
    readonly outDir: string | null,
    readonly hooks: TrainerHooks = {},
    /** Where batches come from (default: encoded on this thread; the CLI passes a WorkerFeed). */
    readonly feed: BatchFeed = new InlineFeed(task),
  ) {
    if (!(Number.isInteger(cfg.batchSize) && cfg.batchSize > 0)) throw new ConfigError(`batch size must be a positive integer, got ${cfg.batchSize}`);
    if (!(Number.isInteger(cfg.epochs) && cfg.epochs >= 0)) throw new ConfigError(`epochs must be a non-negative integer, got ${cfg.epochs}`);
    this.optimizer = makeOptimizer(cfg, model.parameters());
    this.stepsPerEpoch = Math.ceil(task.size("train") / cfg.batchSize);
    this.schedule = cfg.schedule === "cosine" ? { kind: "cosine", totalSteps: this.stepsPerEpoch * cfg.epochs } : { kind: "constant" };
    this.state = { epoch: 0, step: 0, history: [], rng: { scheme: "mulberry32(deriveSeed(seed, epoch, purpose))", seed: cfg.seed }, seconds: 0 };
    this.spiking = spikingLayers(model);
  }

  get checkpointDir(): string | null {
    return this.outDir ? join(this.outDir, "checkpoint") : null;
  }

  /** Restores weights, optimizer and trainer state from this run's checkpoint. */
  resume(): boolean {
    const dir = this.checkpointDir;
    if (!dir || !hasCheckpoint(dir)) return false;
    this.state = loadCheckpoint<TrainerState>(dir, this.model, this.optimizer);
    return true;
  }

  /** Forward through the Sequential keeping each layer's output (for NaN attribution and spike counts). */
  private forwardLayers(x: Tensor): { y: Tensor; outs: Tensor[] } {
    const outs: Tensor[] = [];
    let h = x;
    for (const m of this.model.layers) {
      h = m.forward(h);
      outs.push(h);
    }
    return { y: h, outs };
  }

  private async firstNonFinite(outs: Tensor[]): Promise<string> {
    for (let i = 0; i < outs.length; i++) {
      const d = await outs[i]!.data();
      for (let k = 0; k < d.length; k++) {
        if (!Number.isFinite(d[k]!)) return `layer ${i} (${this.model.layers[i]!.describe()})`;
      }
    }
    return "the loss (all layer outputs are finite)";
  }

  private batchInput(split: Split, idx: readonly number[], data: Float32Array): { x: Tensor; labels: number[] } {
    const x = tensor(data, [this.task.T, idx.length, ...this.task.inputShape], { dtype: this.cfg.dtype ?? "float32" });
    return { x, labels: idx.map((i) => this.task.label(split, i)) };
  }

  /** Correct predictions in a batch of scores [B, C] (read back). */
  private countCorrect(s: FArray, C: number, labels: readonly number[]): number {
    let ok = 0;
    labels.forEach((l, b) => {
      // a tie for the top score (e.g. no output spikes at all) counts as wrong: no decision was made
      const { arg, unique } = argmaxRow(s, b, C);
      if (arg === l && unique) ok++;
    });
    return ok;
  }

  /** Spike totals of each spiking layer as scalar tensors (null: the layer kept no spikes). */
  private spikeSumTensors(): (Tensor | null)[] {
    return this.spiking.map(([, l]) => (l.lastSpikes ? sum(l.lastSpikes) : null));
  }

  /** Reads the score tensor and the spike totals (with any extra tensors first) in one readAll. */
  private async readMetrics(extra: Tensor[], scores: Tensor, spikes: (Tensor | null)[]): Promise<{ extra: FArray[]; scores: FArray; spikes: number[] }> {
    const present = spikes.filter((t): t is Tensor => t !== null);
    const d = await readAll([...extra, scores, ...present]);
    let k = extra.length + 1;
    return { extra: d.slice(0, extra.length), scores: d[extra.length]!, spikes: spikes.map((t) => (t ? d[k++]![0]! : 0)) };
  }

  private async lossError(lv: number, outs: Tensor[], where: string): Promise<NumericalError> {
    return new NumericalError(`${where}: the loss is ${lv}; first non-finite output: ${await this.firstNonFinite(outs)}. Lower the learning rate or enable --clip`);
  }

  private async gradError(where: string): Promise<NumericalError> {
    let bad: string | undefined;
    for (const [n, p] of this.model.namedParameters()) {
      if (p.grad && (await p.grad.data()).some((v) => !Number.isFinite(v))) {
        bad = n;
        break;
      }
    }
    return new NumericalError(`${where}: the gradient of parameter '${bad ?? "?"}' holds NaN/Inf; lower the learning rate or enable --clip`);
  }

  /** Runs one epoch of training; returns its metrics (without evaluation). */
  private async trainEpoch(epoch: number): Promise<{ loss: number; accuracy: number; spikes: Record<string, number>; seconds: number; lr: number }> {
    const { cfg, task } = this;
    const n = task.size("train");
    const order = Array.from({ length: n }, (_, i) => i);
    new Rng(deriveSeed(cfg.seed, epoch, PURPOSE.shuffle)).shuffle(order);
    const batches = Array.from({ length: this.stepsPerEpoch }, (_, s) => order.slice(s * cfg.batchSize, (s + 1) * cfg.batchSize));
    const stream = this.feed.stream("train", batches, deriveSeed(cfg.seed, epoch, PURPOSE.encode));
    let di = 0;
    for (const [, m] of this.model.namedModules()) if (m instanceof Dropout) m.rng = new Rng(deriveSeed(cfg.seed, epoch, PURPOSE.dropout * 1000 + di++));
    this.model.train();
    const t0 = performance.now();
    let lossSum = 0, correct = 0, seen = 0, lr = cfg.lr;
    const spikeTot = new Array<number>(this.spiking.length).fill(0);
    const params = this.model.parameters();
    try {
      for (let s = 0; s < this.stepsPerEpoch; s++) {
        const idx = batches[s]!;
        const data = await stream.next();
        lr = lrAt(this.schedule, cfg.lr, this.state.step);
        this.optimizer.lr = lr;
        const r = await tidyAsync(async () => {
          const where = `epoch ${epoch + 1}, step ${s + 1}`;
          this.model.resetStates();
          const { x, labels } = this.batchInput("train", idx, data);
          const { y, outs } = this.forwardLayers(x);
          const loss = computeLoss(cfg.model.loss, y, labels);
          // CPU backends read for free: check the loss before backward and sum the gradient norm on the host
          const host = !!loss.backend.downloadSync;
          if (host) {
            const lv = (await loss.data())[0]!;
            if (!Number.isFinite(lv)) throw await this.lossError(lv, outs, where);
          }
          this.optimizer.zeroGrad();
          backward(loss);
          let norm: number | null = null;
          let normSq: Tensor | null = null;
          if (host) {
            norm = cfg.clipNorm ? clipGradNorm(params, cfg.clipNorm) : gradNorm(params);
          } else {
            normSq = noGrad(() => gradNormSq(params));
            if (cfg.clipNorm && normSq) {
              // clipping needs the norm before the step: a second read on this path
              const [l, n2] = await readAll([loss, normSq]);
              if (!Number.isFinite(l![0]!)) throw await this.lossError(l![0]!, outs, where);
              norm = Math.sqrt(n2![0]!);
              normSq = null;
              if (Number.isFinite(norm) && norm > cfg.clipNorm) {
                const f = cfg.clipNorm / (norm + 1e-6);
                for (const p of params) if (p.grad) run(p.grad.backend, "unary", { x: p.grad.buf, y: p.grad.buf }, { op: "scale", n: p.grad.size, p: f });
              }
            }
          }
          if (norm !== null && !Number.isFinite(norm)) throw await this.gradError(where);
          this.optimizer.step();
          const { sc, sp } = noGrad(() => ({ sc: scoresOf(cfg.model.loss, y), sp: this.spikeSumTensors() }));
          const m = await this.readMetrics(normSq ? [loss, normSq] : [loss], sc, sp);
          const lv = m.extra[0]![0]!;
          if (!Number.isFinite(lv)) throw await this.lossError(lv, outs, where);
          if (normSq && !Number.isFinite(m.extra[1]![0]!)) throw await this.gradError(where);
          return { lv, ok: this.countCorrect(m.scores, sc.shape[1]!, labels), spikes: m.spikes };
        });
        this.state.step++;
        lossSum += r.lv * idx.length;
        correct += r.ok;
        seen += idx.length;
        r.spikes.forEach((v, i) => (spikeTot[i]! += v));
        this.hooks.onStep?.({
          epoch, step: s + 1, steps: this.stepsPerEpoch, loss: lossSum / seen, accuracy: correct / seen,
          samplesPerSecond: seen / ((performance.now() - t0) / 1000),
        });
      }
    } finally {
      stream.close();
    }
    const spikes: Record<string, number> = {};
    this.spiking.forEach(([name], i) => (spikes[name] = spikeTot[i]! / (seen * this.neuronsOf(i))));
    return { loss: lossSum / seen, accuracy: correct / seen, spikes, seconds: (performance.now() - t0) / 1000, lr };
  }

  private neuronCounts: number[] = [];
  private neuronsOf(i: number): number {
    return this.neuronCounts[i] ?? 1;
  }

  /** Loss, accuracy, spikes per neuron and confusion matrix on a split (no gradients, fixed encoding seed). */
  async evaluate(split: Split = "test"): Promise<EvalResult> {
    const { cfg, task } = this;
    this.model.eval();
    const n = task.size(split);
    const C = task.classes;
    const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
    let lossSum = 0, correct = 0;
    const spikeTot = new Array<number>(this.spiking.length).fill(0);
    // Evaluation needs no gradients, so small training batches are grouped, but never beyond the frames
    // (T·B) of 128 samples at T = 20: a DVS Gesture batch of 128 × 150 frames ran the wasm memory out.
    const bs = Math.max(cfg.batchSize, Math.min(128, Math.floor(2560 / task.T)));
    const batches = Array.from({ length: Math.ceil(n / bs) }, (_, b) => Array.from({ length: Math.min(bs, n - b * bs) }, (_, i) => b * bs + i));
    const stream = this.feed.stream(split, batches, deriveSeed(cfg.seed, 0, PURPOSE.testEncode));
    try {
      for (const idx of batches) {
        const data = await stream.next();
        await tidyAsync(async () => {
          const { loss, sc, sp, labels } = noGrad(() => {
            this.model.resetStates();
            const { x, labels } = this.batchInput(split, idx, data);
            const y = this.model.forward(x);
            return { loss: computeLoss(cfg.model.loss, y, labels), sc: scoresOf(cfg.model.loss, y), sp: this.spikeSumTensors(), labels };
          });
          this.neuronCounts = this.spiking.map(([, l]) => (l.lastSpikes ? l.lastSpikes.size / (l.lastSpikes.shape[0]! * l.lastSpikes.shape[1]!) : 1));
          const m = await this.readMetrics([loss], sc, sp);
          lossSum += m.extra[0]![0]! * idx.length;
          correct += this.countCorrect(m.scores, C, labels);
          labels.forEach((l, b) => confusion[l]![argmaxRow(m.scores, b, C).arg]!++);
          m.spikes.forEach((v, i) => (spikeTot[i]! += v));
        });
      }
    } finally {
      stream.close();
    }
    this.model.resetStates();
    this.model.train();
    const spikesPerNeuron: Record<string, number> = {};
    this.spiking.forEach(([name], i) => (spikesPerNeuron[name] = spikeTot[i]! / (n * this.neuronsOf(i))));
    return { loss: lossSum / n, accuracy: correct / n, spikesPerNeuron, confusion };
  }

  /**
   * Trains from the current state to cfg.epochs (or stops after `untilEpoch`, e.g. to simulate an
   * interruption), evaluating and checkpointing after every epoch.
   */
  async fit(untilEpoch = this.cfg.epochs): Promise<TrainerState> {
    if (this.neuronCounts.length === 0) await this.measureNeurons();
    while (this.state.epoch < Math.min(untilEpoch, this.cfg.epochs)) {
      const e = this.state.epoch;
      const tr = await this.trainEpoch(e);
      const t1 = performance.now();
      const ev = await this.evaluate("test");
      this.lastEval = ev;
      const evalSeconds = (performance.now() - t1) / 1000;
      const m: EpochMetrics = {
        epoch: e + 1, lr: tr.lr, train_loss: tr.loss, train_accuracy: tr.accuracy, test_loss: ev.loss, test_accuracy: ev.accuracy,
        spikes_per_neuron: tr.spikes, samples_per_second: this.task.size("train") / tr.seconds, epoch_seconds: tr.seconds, eval_seconds: evalSeconds,
      };
      this.state.epoch = e + 1;
      this.state.history.push(m);
      this.state.seconds += tr.seconds + evalSeconds;
      if (this.outDir) {
        mkdirSync(this.outDir, { recursive: true });
        appendFileSync(join(this.outDir, "metrics.jsonl"), JSON.stringify(m) + "\n");
        await saveCheckpointAsync(this.checkpointDir!, this.model, this.optimizer, this.state);
      }
      this.hooks.onEpoch?.(m);
    }
    return this.state;
  }

  /** Neurons per sample of each spiking layer, from one tiny forward pass (for spikes-per-neuron). */
  private async measureNeurons(): Promise<void> {
    const data = await this.task.encode("test", [0], new Rng(0));
    noGrad(() =>
      tidy(() => {
        this.model.resetStates();
        const { x } = this.batchInput("test", [0], data);
        this.model.forward(x);
        this.neuronCounts = this.spiking.map(([, l]) => (l.lastSpikes ? l.lastSpikes.size / (l.lastSpikes.shape[0]! * l.lastSpikes.shape[1]!) : 1));
      }),
    );
    this.model.resetStates();
  }

  /**
   * Spike trains of one test sample, per spiking layer (and the input), for the report's raster plots:
   * name → { T, N, times: number[], neurons: number[] } plus per-neuron spike counts over `rateSamples` samples.
   */
  async probe(sample = 0, rateSamples = 64): Promise<{
    rasters: Raster[]; rates: { name: string; perNeuron: number[] }[]; label: number; predicted: number;
    readout?: { name: string; T: number; C: number; values: number[] };
  }> {
    const { task } = this;
    const enc = new Rng(deriveSeed(this.cfg.seed, 0, PURPOSE.testEncode));
    this.model.eval();
    const out = await tidyAsync(async () => {
      const nS = Math.min(rateSamples, task.size("test"));
      const idx = Array.from({ length: nS }, (_, i) => (sample + i) % task.size("test"));
      const data = await task.encode("test", idx, enc);
      const { x, y, sc } = noGrad(() => {
        this.model.resetStates();
        const { x } = this.batchInput("test", idx, data);
        const { y } = this.forwardLayers(x);
        return { x, y, sc: scoresOf(this.cfg.model.loss, y) };
      });
      const spikes = this.spiking.map(([, l]) => l.lastSpikes!);
      const [xd, yd, scd, ...sd] = await readAll([x, y, sc, ...spikes]);
      const B = idx.length;
      const toRaster = (name: string, t: Tensor, d: FArray): Raster => {
        const T = t.shape[0]!;
        const N = t.size / (T * B);
        const times: number[] = [], neurons: number[] = [];
        for (let s = 0; s < T; s++) for (let k = 0; k < N; k++) if (d[(s * B) * N + k]! > 0) { times.push(s); neurons.push(k); }
        return { name, T, N, times, neurons };
      };
      const rasters = [toRaster("input", x, xd!), ...this.spiking.map(([n], i) => toRaster(n, spikes[i]!, sd[i]!))];
      const rates = this.spiking.map(([name], i) => {
        const d = sd[i]!;
        const T = spikes[i]!.shape[0]!;
        const N = spikes[i]!.size / (T * B);
        const per = new Array<number>(N).fill(0);
        for (let k = 0; k < d.length; k++) per[k % N]! += d[k]!;
        return { name, perNeuron: per.map((v) => v / B) };
      });
      const last = this.model.layers[this.model.layers.length - 1];
      let readout: { name: string; T: number; C: number; values: number[] } | undefined;
      if (!(last instanceof SpikingLayer)) {
        const T = y.shape[0]!, C = y.size / (T * B);
        const values: number[] = [];
        for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) values.push(yd![(t * B) * C + c]!);
        readout = { name: `${this.model.layers.length - 1}:${last!.constructor.name}`, T, C, values };
      }
      const C = task.classes;
      let arg = 0;
      for (let c = 1; c < C; c++) if (scd![c]! > scd![arg]!) arg = c;
      return { rasters, rates, label: task.label("test", sample), predicted: arg, readout };
    });
    this.model.resetStates();
    this.model.train();
    return out;
  }
}

export interface Raster {
  name: string;
  T: number;
  N: number;
  times: number[];
  neurons: number[];
}
