/**
 * What the `train` and `eval` commands share: choosing the device (wasm when its build loads, else ref;
 * webgpu on request),
 * the run directory layout (config.json, checkpoint/, metrics.jsonl, report.html), building the task and
 * model from a saved config, and writing the HTML report. Kept out of cli/ so scripts and the benchmark can
 * run a whole training job without commander.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type { GradientEngine } from "../neurons/dynamics.js";
import { join, resolve } from "node:path";
import { ConfigError, UsageError } from "../errors.js";
import { currentBackend, registerBackend, setBackend, setBackendSync } from "../kernels/registry.js";
import type { Sequential } from "../layers/sequential.js";
import { renderReport } from "../report/run-report.js";
import { saveModelWeightsAsync } from "./checkpoint.js";
import { writeFileAtomic } from "../util/write-file-atomic.js";
import { buildModel, PRESETS, presetConfig, type ModelConfig } from "./models/presets.js";
import { InlineFeed, WorkerFeed, type BatchFeed } from "./feed.js";
import { createTask, EVENT_TASKS, taskEntry } from "./tasks/table.js";
import { TASK_OPTION_KEYS, type Task, type TaskOptions } from "./tasks/types.js";
import { Trainer, type TrainConfig } from "./trainer.js";

export type DeviceName = "wasm" | "ref" | "webgpu" | "auto";

/**
 * Selects the backend; "auto" takes wasm when its module is present and loads (never webgpu). Returns the
 * name used. "webgpu" starts Dawn (BackendUnavailableError naming what to install when the `webgpu` package
 * or a GPU adapter is missing).
 */
export async function selectDevice(device: DeviceName, opts: { threads?: number } = {}): Promise<"wasm" | "ref" | "webgpu"> {
  if (device === "webgpu") {
    await setBackend("webgpu");
    return "webgpu";
  }
  if (device === "ref") {
    setBackendSync("ref");
    return "ref";
  }
  const fallback = (e: unknown): "ref" => {
    if (device === "wasm") throw new ConfigError(`the wasm backend could not be loaded (${(e as Error).message}); run 'npm run build:wasm' or use --device ref`);
    setBackendSync("ref");
    return "ref";
  };
  let wasm: typeof import("../kernels/wasm/backend.js");
  try {
    // loaded here only to check the thread count early (the registry owns the wasm loader)
    wasm = await import("../kernels/wasm/backend.js");
  } catch (e) {
    return fallback(e);
  }
  // A bad --threads / EXODUS_THREADS is a ConfigError for the user to fix, never a reason to fall back to ref.
  wasm.resolveThreads(opts.threads);
  try {
    // A thread count replaces the factory (it applies when this process has not started the backend yet).
    if (opts.threads !== undefined) registerBackend("wasm", () => new wasm.WasmBackend({ threads: opts.threads }));
    setBackendSync("wasm");
    return "wasm";
  } catch (e) {
    return fallback(e);
  }
}

export function currentDeviceName(): string {
  return currentBackend().name;
}

/** "wasm backend (relaxed SIMD, 2 threads)", "ref backend", …: for logs. */
export function describeBackend(): string {
  const b = currentBackend() as { name: string; variant?: string; threads?: number };
  if (b.name !== "wasm") return `${b.name} backend`;
  return `wasm backend (${b.variant === "relaxed" ? "relaxed SIMD" : "SIMD"}, ${b.threads ?? 1} thread${b.threads === 1 ? "" : "s"})`;
}

/**
 * The options only the event datasets take: TaskOptions fields that `exodus-snn train` passes on under their own
 * names (--data, --time-bins, --time-window-us, --downsample), so RunOptions takes their types from TaskOptions
 * and the "not an event dataset" checks (here and in the sweep's plans) read this one list.
 */
export const EVENT_RUN_KEYS = ["data", "timeBins", "timeWindowUs", "downsample"] as const satisfies readonly (keyof TaskOptions)[];

/**
 * A training run described as `exodus-snn train` takes it (its flags in camelCase): what the sweep's plans and
 * scripts pass too. Unset values take the task table's defaults. The task options a flag passes on unrenamed
 * (encoding, limits, the event datasets' keys) are TaskOptions' own fields; `steps` and `shift` are T and maxShift.
 */
export interface RunOptions extends Pick<TaskOptions, "encoding" | "limitTrain" | "limitTest" | (typeof EVENT_RUN_KEYS)[number]> {
  task: string;
  /** A preset name (default: the task's) … */
  model?: string;
  /** … or a model config JSON file. */
  config?: string;
  gradient: GradientEngine;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed: number;
  /** Time steps (T). */
  steps?: number;
  shift?: number;
  hidden?: number;
  tau?: number;
  optimizer: "adam" | "adamw" | "sgd";
  weightDecay?: number;
  clip?: number;
  schedule: "cosine" | "constant";
  device: DeviceName;
}

/** The run's TrainConfig: the task opened (so its shape is known), the model config from a preset or a file. */
export async function trainConfigFrom(f: RunOptions): Promise<TrainConfig> {
  if (f.model && f.config) throw new UsageError("give either --model <preset> or --config <model.json>, not both");
  const entry = taskEntry(f.task);
  const taskOpts: TaskOptions = {
    encoding: f.encoding, T: f.steps, maxShift: f.shift, limitTrain: f.limitTrain, limitTest: f.limitTest,
    data: f.data === undefined ? undefined : resolve(f.data), timeBins: f.timeBins, timeWindowUs: f.timeWindowUs, downsample: f.downsample,
  };
  if (!entry.events && EVENT_RUN_KEYS.some((k) => f[k] !== undefined)) {
    throw new UsageError(`--data, --time-bins, --time-window-us and --downsample apply to the event datasets (${EVENT_TASKS.join(", ")}), not to '${f.task}'`);
  }
  const task = await createTask(f.task, taskOpts);
  let model: ModelConfig;
  let modelName: string;
  if (f.config) {
    const p = resolve(f.config);
    if (!existsSync(p)) throw new UsageError(`--config: no such file ${f.config}`);
    try {
      model = JSON.parse(readFileSync(p, "utf8")) as ModelConfig;
    } catch (e) {
      throw new UsageError(`--config: ${f.config} is not valid JSON (${(e as Error).message})`);
    }
    model.inputShape ??= task.inputShape;
    model.classes ??= task.classes;
    model.loss ??= { name: "ce-count" };
    modelName = f.config;
  } else {
    modelName = f.model ?? entry.defaults.model;
    if (!(PRESETS as readonly string[]).includes(modelName)) throw new UsageError(`--model: unknown preset '${modelName}'; use one of ${PRESETS.join(", ")}`);
    model = presetConfig(modelName, task, { hidden: f.hidden, tauMem: f.tau });
  }
  return {
    task: f.task, ...taskOpts, T: task.T, modelName, model, gradient: f.gradient,
    epochs: f.epochs ?? entry.defaults.epochs, batchSize: f.batchSize ?? entry.defaults.batchSize, lr: f.lr ?? entry.defaults.lr, seed: f.seed,
    optimizer: f.optimizer, weightDecay: f.weightDecay, clipNorm: f.clip ?? null, schedule: f.schedule,
    device: f.device === "auto" ? "wasm" : f.device,
  };
}

/** The TaskOptions part of a run's config (what a worker needs to build the same task). */
export function taskOptionsOf(cfg: TrainConfig): TaskOptions {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(TASK_OPTION_KEYS) as (keyof TaskOptions)[]) if (cfg[k] !== undefined) out[k] = cfg[k];
  return out as TaskOptions;
}

export async function taskFor(cfg: TrainConfig): Promise<Task> {
  return createTask(cfg.task, taskOptionsOf(cfg));
}

/**
 * The batch feed of a run: a worker thread that prepares the next batches while a step trains ("worker",
 * what the CLI uses), or encoding on this thread ("inline"). Both give the same batches.
 */
export async function feedFor(cfg: TrainConfig, task: Task, mode: "worker" | "inline" = "worker"): Promise<BatchFeed> {
  return mode === "worker" ? WorkerFeed.start(cfg.task, taskOptionsOf(cfg)) : new InlineFeed(task);
}

/** The run's network. Every task in the table feeds spikes or spike counts, so its first layer is told so. */
export function modelFor(cfg: TrainConfig): Sequential {
  return buildModel(cfg.model, { gradient: cfg.gradient, seed: cfg.seed, dtype: cfg.dtype }).markSpikeInput();
}

/** Reads <run>/config.json; accepts the run directory or its checkpoint/ subdirectory. */
export function readRunConfig(dir: string): { runDir: string; cfg: TrainConfig } {
  let runDir = resolve(dir);
  if (!existsSync(join(runDir, "config.json")) && existsSync(join(runDir, "..", "config.json"))) runDir = resolve(runDir, "..");
  const p = join(runDir, "config.json");
  if (!existsSync(p)) throw new UsageError(`${dir} is not a run directory (no config.json); pass the --out directory of a train run`);
  return { runDir, cfg: JSON.parse(readFileSync(p, "utf8")) as TrainConfig };
}

export function writeRunConfig(runDir: string, cfg: TrainConfig): void {
  mkdirSync(join(runDir, "checkpoint"), { recursive: true });
  const text = JSON.stringify(cfg, null, 2) + "\n";
  writeFileAtomic(join(runDir, "config.json"), text);
  // the model config beside the weights, so checkpoint/ alone is enough to rebuild the network
  writeFileAtomic(join(runDir, "checkpoint", "config.json"), text);
}

export interface FinalResult {
  test_accuracy: number;
  test_loss: number;
  train_accuracy: number | null;
  epochs: number;
  seconds: number;
  train_seconds: number;
  task: string;
  model: string;
  gradient: string;
  device: string;
  spikes_per_neuron: Record<string, number>;
  out: string;
  report: string;
}

/** Evaluates, probes one sample and writes report.html (plus final model weights); returns the result. */
export async function finishRun(trainer: Trainer, runDir: string, cfg: TrainConfig, startMs: number): Promise<FinalResult> {
  // the evaluation after the last epoch is the final one (weights have not changed since)
  const ev = trainer.lastEval ?? (await trainer.evaluate("test"));
  const probe = await trainer.probe(0);
  const last = trainer.state.history[trainer.state.history.length - 1];
  const report = join(runDir, "report.html");
  const result: FinalResult = {
    test_accuracy: ev.accuracy,
    test_loss: ev.loss,
    train_accuracy: last ? last.train_accuracy : null,
    epochs: trainer.state.epoch,
    seconds: (performance.now() - startMs) / 1000,
    train_seconds: trainer.state.seconds,
    task: trainer.task.name,
    model: cfg.modelName,
    gradient: cfg.gradient,
    device: currentDeviceName(),
    spikes_per_neuron: ev.spikesPerNeuron,
    out: runDir,
    report,
  };
  await saveModelWeightsAsync(join(runDir, "model.safetensors"), trainer.model, { epoch: String(trainer.state.epoch), test_accuracy: String(ev.accuracy) });
  writeFileAtomic(report, renderReport({
    title: `exodus-snn: ${trainer.task.name}, ${cfg.modelName}, ${cfg.gradient} gradients`,
    config: { ...cfg, task_description: trainer.task.description },
    history: trainer.state.history,
    final: result,
    confusion: ev.confusion,
    probe,
  }));
  return result;
}
