/**
 * The training loop: fit (epochs until cfg.epochs, evaluation, metrics.jsonl and a checkpoint after each),
 * one epoch (batches in a seeded order, one `tidyAsync` scope per step so memory stays flat) and evaluate.
 * The pieces live beside it: one step and its host/device read policy in step.ts, what is measured in
 * metrics.ts, where randomness comes from in seeds.ts (deterministic: a run resumed at an epoch boundary
 * draws exactly what an uninterrupted run would), the report's spike probe in probe.ts, the optimizer
 * from a configuration in optim.ts.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import type { Sequential } from "../layers/sequential.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import { noGrad } from "../tensor/autograd.js";
import { tidy, tidyAsync } from "../tensor/memory.js";
import { Rng } from "../util/rng.js";
import { hasCheckpoint, loadCheckpoint, saveCheckpointAsync } from "./checkpoint.js";
import { neuronsPerSample, spikingLayers, Tally, type EpochMetrics, type EvalResult, type SpikingLayers } from "./metrics.js";
import type { ModelConfig } from "./models/presets.js";
import { makeOptimizer, type Optimizer, type OptimizerName } from "./optim.js";
import { InlineFeed, type BatchFeed } from "./feed.js";
import { probeModel, type ProbeResult } from "./probe.js";
import { lrAt, type Schedule } from "./schedule.js";
import { epochBatches, RNG_SCHEME, seedDropout, testEncodeSeed, trainEncodeSeed } from "./seeds.js";
import { batchInput, evalStep, trainStep, type StepContext } from "./step.js";
import type { Split, Task, TaskOptions } from "./tasks/types.js";

// the types callers of the loop use with it (the CLI, the sweep, train/index.ts)
export type { EpochMetrics, EvalResult } from "./metrics.js";
export type { Raster } from "./probe.js";

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
  optimizer: OptimizerName;
  weightDecay?: number;
  momentum?: number;
  /** Max global gradient norm (null: no clipping). */
  clipNorm?: number | null;
  schedule: "cosine" | "constant";
  device: "wasm" | "ref" | "webgpu";
  dtype?: "float32" | "float64";
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
  private readonly spiking: SpikingLayers;
  /** Neurons per sample of each spiking layer (for spikes per neuron); measured once before training. */
  private neurons: number[] = [];

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
    this.state = { epoch: 0, step: 0, history: [], rng: { scheme: RNG_SCHEME, seed: cfg.seed }, seconds: 0 };
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

  private get dtype(): "float32" | "float64" {
    return this.cfg.dtype ?? "float32";
  }

  /** Runs one epoch of training; returns its metrics (without evaluation). */
  private async trainEpoch(epoch: number): Promise<{ loss: number; accuracy: number; spikes: Record<string, number>; seconds: number; lr: number }> {
    const { cfg, task } = this;
    const batches = epochBatches(task.size("train"), cfg.batchSize, cfg.seed, epoch);
    const stream = this.feed.stream("train", batches, trainEncodeSeed(cfg.seed, epoch));
    seedDropout(this.model, cfg.seed, epoch);
    this.model.train();
    const t0 = performance.now();
    const tally = new Tally(this.spiking, task.classes);
    let lr = cfg.lr;
    const ctx: StepContext = {
      model: this.model, params: this.model.parameters(), optimizer: this.optimizer, loss: cfg.model.loss, clipNorm: cfg.clipNorm, spiking: this.spiking,
    };
    try {
      for (let s = 0; s < batches.length; s++) {
        const idx = batches[s]!;
        const data = await stream.next();
        lr = lrAt(this.schedule, cfg.lr, this.state.step);
        this.optimizer.lr = lr;
        const { r, labels } = await tidyAsync(async () => {
          this.model.resetStates();
          const { x, labels } = batchInput(task, "train", idx, data, this.dtype);
          return { r: await trainStep(ctx, x, labels, `epoch ${epoch + 1}, step ${s + 1}`), labels };
        });
        this.state.step++;
        tally.add(r, labels);
        this.hooks.onStep?.({
          epoch, step: s + 1, steps: batches.length, loss: tally.loss, accuracy: tally.accuracy,
          samplesPerSecond: tally.seen / ((performance.now() - t0) / 1000),
        });
      }
    } finally {
      stream.close();
    }
    return { loss: tally.loss, accuracy: tally.accuracy, spikes: tally.spikesPerNeuron(this.neurons), seconds: (performance.now() - t0) / 1000, lr };
  }

  /** Loss, accuracy, spikes per neuron and confusion matrix on a split (no gradients, fixed encoding seed). */
  async evaluate(split: Split = "test"): Promise<EvalResult> {
    const { cfg, task } = this;
    this.model.eval();
    const n = task.size(split);
    const tally = new Tally(this.spiking, task.classes, true);
    // Evaluation needs no gradients, so small training batches are grouped, but never beyond the frames
    // (T·B) of 128 samples at T = 20: a DVS Gesture batch of 128 × 150 frames ran the wasm memory out.
    const bs = Math.max(cfg.batchSize, Math.min(128, Math.floor(2560 / task.T)));
    const batches = Array.from({ length: Math.ceil(n / bs) }, (_, b) => Array.from({ length: Math.min(bs, n - b * bs) }, (_, i) => b * bs + i));
    const stream = this.feed.stream(split, batches, testEncodeSeed(cfg.seed));
    try {
      for (const idx of batches) {
        const data = await stream.next();
        await tidyAsync(async () => {
          this.model.resetStates();
          const { x, labels } = batchInput(task, split, idx, data, this.dtype);
          const r = await evalStep(this.model, cfg.model.loss, this.spiking, x, labels);
          this.neurons = neuronsPerSample(this.spiking);
          tally.add(r, labels);
        });
      }
    } finally {
      stream.close();
    }
    this.model.resetStates();
    this.model.train();
    return { loss: tally.loss, accuracy: tally.accuracy, spikesPerNeuron: tally.spikesPerNeuron(this.neurons), confusion: tally.confusion! };
  }

  /**
   * Trains from the current state to cfg.epochs (or stops after `untilEpoch`, e.g. to simulate an
   * interruption), evaluating and checkpointing after every epoch.
   */
  async fit(untilEpoch = this.cfg.epochs): Promise<TrainerState> {
    if (this.neurons.length === 0) await this.measureNeurons();
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
        this.model.forward(batchInput(this.task, "test", [0], data, this.dtype).x);
        this.neurons = neuronsPerSample(this.spiking);
      }),
    );
    this.model.resetStates();
  }

  /**
   * Spike trains of one test sample, per spiking layer (and the input), for the report's raster plots:
   * name → { T, N, times: number[], neurons: number[] } plus per-neuron spike counts over `rateSamples` samples.
   */
  async probe(sample = 0, rateSamples = 64): Promise<ProbeResult> {
    const o = { model: this.model, task: this.task, spiking: this.spiking, loss: this.cfg.model.loss, dtype: this.dtype, encodeSeed: testEncodeSeed(this.cfg.seed) };
    const out = await probeModel(o, sample, rateSamples);
    this.model.resetStates();
    this.model.train();
    return out;
  }
}
