/**
 * The training loop: seeded and deterministic (every random draw comes from an Rng derived from
 * (seed, epoch, purpose), so a run resumed at an epoch boundary draws exactly what an uninterrupted run
 * would), one `tidy` scope per step so memory stays flat, validation after every epoch, metrics (loss,
 * accuracy, spikes per neuron per layer, samples/s), NaN/Inf detection that names the layer or parameter,
 * and a checkpoint after every epoch.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, NumericalError } from "../errors.js";
import { Dropout } from "../layers/dropout.js";
import type { Sequential } from "../layers/sequential.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import { SpikingLayer } from "../neurons/spiking-layer.js";
import { noGrad } from "../tensor/autograd.js";
import { tidy } from "../tensor/memory.js";
import { backward } from "../tensor/grad.js";
import { sum, tensor } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Rng } from "../util/rng.js";
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { clipGradNorm, gradNorm } from "./clip.js";
import { computeLoss, scoresOf } from "./losses.js";
import type { ModelConfig } from "./models/presets.js";
import { Adam, AdamW, SGD, type Optimizer } from "./optim.js";
import { lrAt, type Schedule } from "./schedule.js";
import type { Split, Task } from "./tasks/index.js";

export interface TrainConfig {
  task: string;
  encoding?: "rate" | "latency";
  T?: number;
  /** Training-set random translation in pixels (mnist; default 1). */
  maxShift?: number;
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
  device: "wasm" | "ref";
  dtype?: "float32" | "float64";
  limitTrain?: number;
  limitTest?: number;
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

  private firstNonFinite(outs: Tensor[]): string {
    for (let i = 0; i < outs.length; i++) {
      const d = outs[i]!.dataSync();
      for (let k = 0; k < d.length; k++) {
        if (!Number.isFinite(d[k]!)) return `layer ${i} (${this.model.layers[i]!.describe()})`;
      }
    }
    return "the loss (all layer outputs are finite)";
  }

  private batchInput(split: Split, idx: number[], rng: Rng): { x: Tensor; labels: number[] } {
    const data = this.task.encode(split, idx, rng);
    const x = tensor(data, [this.task.T, idx.length, ...this.task.inputShape], { dtype: this.cfg.dtype ?? "float32" });
    return { x, labels: idx.map((i) => this.task.label(split, i)) };
  }

  private countCorrect(scores: Tensor, labels: readonly number[]): number {
    const s = scores.dataSync();
    const C = scores.shape[1]!;
    let ok = 0;
    labels.forEach((l, b) => {
      let arg = 0;
      for (let c = 1; c < C; c++) if (s[b * C + c]! > s[b * C + arg]!) arg = c;
      // a tie for the top score (e.g. no output spikes at all) counts as wrong: no decision was made
      let top = 0;
      for (let c = 0; c < C; c++) if (s[b * C + c] === s[b * C + arg]) top++;
      if (arg === l && top === 1) ok++;
    });
    return ok;
  }

  private spikeSums(): number[] {
    return this.spiking.map(([, l]) => (l.lastSpikes ? sum(l.lastSpikes).dataSync()[0]! : 0));
  }

  /** Runs one epoch of training; returns its metrics (without evaluation). */
  private trainEpoch(epoch: number): { loss: number; accuracy: number; spikes: Record<string, number>; seconds: number; lr: number } {
    const { cfg, task } = this;
    const n = task.size("train");
    const order = Array.from({ length: n }, (_, i) => i);
    new Rng(deriveSeed(cfg.seed, epoch, PURPOSE.shuffle)).shuffle(order);
    const enc = new Rng(deriveSeed(cfg.seed, epoch, PURPOSE.encode));
    let di = 0;
    for (const [, m] of this.model.namedModules()) if (m instanceof Dropout) m.rng = new Rng(deriveSeed(cfg.seed, epoch, PURPOSE.dropout * 1000 + di++));
    this.model.train();
    const t0 = performance.now();
    let lossSum = 0, correct = 0, seen = 0, lr = cfg.lr;
    const spikeTot = new Array<number>(this.spiking.length).fill(0);
    const params = this.model.parameters();
    for (let s = 0; s < this.stepsPerEpoch; s++) {
      const idx = order.slice(s * cfg.batchSize, (s + 1) * cfg.batchSize);
      lr = lrAt(this.schedule, cfg.lr, this.state.step);
      this.optimizer.lr = lr;
      const r = tidy(() => {
        this.model.resetStates();
        const { x, labels } = this.batchInput("train", idx, enc);
        const { y, outs } = this.forwardLayers(x);
        const loss = computeLoss(cfg.model.loss, y, labels);
        const lv = loss.item();
        if (!Number.isFinite(lv)) {
          throw new NumericalError(`epoch ${epoch + 1}, step ${s + 1}: the loss is ${lv}; first non-finite output: ${this.firstNonFinite(outs)}. Lower the learning rate or enable --clip`);
        }
        this.optimizer.zeroGrad();
        backward(loss);
        const norm = cfg.clipNorm ? clipGradNorm(params, cfg.clipNorm) : gradNorm(params);
        if (!Number.isFinite(norm)) {
          const bad = this.model.namedParameters().find(([, p]) => p.grad && p.grad.dataSync().some((v) => !Number.isFinite(v)));
          throw new NumericalError(`epoch ${epoch + 1}, step ${s + 1}: the gradient of parameter '${bad?.[0] ?? "?"}' holds NaN/Inf; lower the learning rate or enable --clip`);
        }
        this.optimizer.step();
        const ok = noGrad(() => this.countCorrect(scoresOf(cfg.model.loss, y), labels));
        return { lv, ok, spikes: noGrad(() => this.spikeSums()) };
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
    const spikes: Record<string, number> = {};
    this.spiking.forEach(([name], i) => (spikes[name] = spikeTot[i]! / (seen * this.neuronsOf(i))));
    return { loss: lossSum / seen, accuracy: correct / seen, spikes, seconds: (performance.now() - t0) / 1000, lr };
  }

  private neuronCounts: number[] = [];
  private neuronsOf(i: number): number {
    return this.neuronCounts[i] ?? 1;
  }

  /** Loss, accuracy, spikes per neuron and confusion matrix on a split (no gradients, fixed encoding seed). */
  evaluate(split: Split = "test"): EvalResult {
    const { cfg, task } = this;
    this.model.eval();
    const n = task.size(split);
    const enc = new Rng(deriveSeed(cfg.seed, 0, PURPOSE.testEncode));
    const C = task.classes;
    const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
    let lossSum = 0, correct = 0;
    const spikeTot = new Array<number>(this.spiking.length).fill(0);
    const bs = Math.max(cfg.batchSize, 128);
    noGrad(() => {
      for (let s = 0; s < n; s += bs) {
        const idx = Array.from({ length: Math.min(bs, n - s) }, (_, i) => s + i);
        tidy(() => {
          this.model.resetStates();
          const { x, labels } = this.batchInput(split, idx, enc);
          const y = this.model.forward(x);
          lossSum += computeLoss(cfg.model.loss, y, labels).item() * idx.length;
          const sc = scoresOf(cfg.model.loss, y);
          correct += this.countCorrect(sc, labels);
          const d = sc.dataSync();
          labels.forEach((l, b) => {
            let arg = 0;
            for (let c = 1; c < C; c++) if (d[b * C + c]! > d[b * C + arg]!) arg = c;
            confusion[l]![arg]!++;
          });
          this.spikeSums().forEach((v, i) => (spikeTot[i]! += v));
          this.neuronCounts = this.spiking.map(([, l]) => (l.lastSpikes ? l.lastSpikes.size / (l.lastSpikes.shape[0]! * l.lastSpikes.shape[1]!) : 1));
        });
      }
    });
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
  fit(untilEpoch = this.cfg.epochs): TrainerState {
    if (this.neuronCounts.length === 0) this.measureNeurons();
    while (this.state.epoch < Math.min(untilEpoch, this.cfg.epochs)) {
      const e = this.state.epoch;
      const tr = this.trainEpoch(e);
      const t1 = performance.now();
      const ev = this.evaluate("test");
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
        saveCheckpoint(this.checkpointDir!, this.model, this.optimizer, this.state);
      }
      this.hooks.onEpoch?.(m);
    }
    return this.state;
  }

  /** Neurons per sample of each spiking layer, from one tiny forward pass (for spikes-per-neuron). */
  private measureNeurons(): void {
    noGrad(() =>
      tidy(() => {
        this.model.resetStates();
        const { x } = this.batchInput("test", [0], new Rng(0));
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
  probe(sample = 0, rateSamples = 64): {
    rasters: Raster[]; rates: { name: string; perNeuron: number[] }[]; label: number; predicted: number;
    readout?: { name: string; T: number; C: number; values: number[] };
  } {
    const { task } = this;
    const enc = new Rng(deriveSeed(this.cfg.seed, 0, PURPOSE.testEncode));
    this.model.eval();
    const out = noGrad(() =>
      tidy(() => {
        this.model.resetStates();
        const nS = Math.min(rateSamples, task.size("test"));
        const idx = Array.from({ length: nS }, (_, i) => (sample + i) % task.size("test"));
        const { x } = this.batchInput("test", idx, enc);
        const { y } = this.forwardLayers(x);
        const B = idx.length;
        const toRaster = (name: string, t: Tensor): Raster => {
          const d = t.dataSync();
          const T = t.shape[0]!;
          const N = t.size / (T * B);
          const times: number[] = [], neurons: number[] = [];
          for (let s = 0; s < T; s++) for (let k = 0; k < N; k++) if (d[(s * B) * N + k]! > 0) { times.push(s); neurons.push(k); }
          return { name, T, N, times, neurons };
        };
        const rasters = [toRaster("input", x), ...this.spiking.map(([n, l]) => toRaster(n, l.lastSpikes!))];
        const rates = this.spiking.map(([name, l]) => {
          const d = l.lastSpikes!.dataSync();
          const T = l.lastSpikes!.shape[0]!;
          const N = l.lastSpikes!.size / (T * B);
          const per = new Array<number>(N).fill(0);
          for (let i = 0; i < d.length; i++) per[i % N]! += d[i]!;
          return { name, perNeuron: per.map((v) => v / B) };
        });
        const last = this.model.layers[this.model.layers.length - 1];
        let readout: { name: string; T: number; C: number; values: number[] } | undefined;
        if (!(last instanceof SpikingLayer)) {
          const d = y.dataSync();
          const T = y.shape[0]!, C = y.size / (T * B);
          const values: number[] = [];
          for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) values.push(d[(t * B) * C + c]!);
          readout = { name: `${this.model.layers.length - 1}:${last!.constructor.name}`, T, C, values };
        }
        const sc = scoresOf(this.cfg.model.loss, y).dataSync();
        const C = task.classes;
        let arg = 0;
        for (let c = 1; c < C; c++) if (sc[c]! > sc[arg]!) arg = c;
        return { rasters, rates, label: task.label("test", sample), predicted: arg, readout };
      }),
    );
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
