/**
 * `exodus-snn experiment accuracy --task shd --data FILE.h5`: the accuracy comparison (accuracy.ts) on an
 * event dataset of the task table with the task's default network (for SHD/SSC the paper's `shd` preset).
 * The dataset is framed once (through the frame cache) and held in memory as an EventFrameTask, shared by
 * every run; validation is a split of the training file (speaker-disjoint where the file records speakers).
 *
 * Each run of the grid (variant × seed) is plain JSON (AccuracyRunSpec), so the same function trains it here
 * or in a sweep worker (src/sweep/accuracy-jobs.ts) and both give the same numbers.
 */
import { ConfigError } from "../errors.js";
import { setBackendSync } from "../kernels/registry.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import { canonicalJson } from "../util/canonical-json.js";
import { stateDict } from "../train/checkpoint.js";
import { buildModel, presetConfig, type ModelConfig } from "../train/models/presets.js";
import type { StTensor } from "../train/safetensors.js";
import { EventTask } from "../train/tasks/event-task.js";
import { loadEventFrames, type EventFrameTask } from "../train/tasks/event-frames.js";
import { createTask, EVENT_TASKS, taskEntry } from "../train/tasks/table.js";
import type { TaskOptions } from "../train/tasks/types.js";
import { countBaseline } from "./baseline.js";
import { DEFAULT_SLAYER_SCALES, runLine, summariseTask, trainOne, variantsOf, type AccuracyResult, type OptimizerName, type RunResult, type TaskSetup, type Variant } from "./accuracy.js";
import { disposeModel } from "./models.js";

/** Everything the runs of one experiment share: the data, its binning, the split and the training settings. */
export interface EventSetupSpec {
  task: string;
  /** The task's options (data as an absolute path, binning, limits): what `train` would get. */
  options: TaskOptions;
  valFraction: number;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
}

/** One run of the grid: what a queue job carries. */
export interface AccuracyRunSpec {
  setup: EventSetupSpec;
  variant: Variant;
  seed: number;
}

export interface EventAccuracyOptions {
  task: string;
  data: string;
  seeds?: number;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  timeBins?: number;
  timeWindowUs?: number;
  steps?: number;
  downsample?: number;
  limitTrain?: number;
  limitTest?: number;
  slayerScales?: number[];
  withBptt?: boolean;
  /** Share of the training file held out for validation (default 0.15). */
  valFraction?: number;
  optimizer?: OptimizerName;
  /** The command line, for the report. */
  command?: string;
  log?: (s: string) => void;
}

export const DEFAULT_VAL_FRACTION = 0.15;

export interface EventSetup extends TaskSetup {
  frames: EventFrameTask;
  spec: EventSetupSpec;
}

/** The task table's entry of an event dataset (ConfigError for any other task). */
export function eventTaskEntry(task: string): ReturnType<typeof taskEntry> {
  const entry = taskEntry(task);
  if (!entry.events) throw new ConfigError(`experiment accuracy --task ${task}: only the event datasets (${EVENT_TASKS.join(", ")}) run here; order-burst and nmnist-sim run with --tasks`);
  return entry;
}

/** The runs of an experiment, seed by seed (so the first seed's runs time every engine early). */
export function planEventAccuracy(o: EventAccuracyOptions): { setup: EventSetupSpec; variants: Variant[]; runs: AccuracyRunSpec[]; seeds: number } {
  const entry = eventTaskEntry(o.task);
  const valFraction = o.valFraction ?? DEFAULT_VAL_FRACTION;
  if (!(valFraction > 0 && valFraction < 1)) throw new ConfigError(`--val-fraction must be in (0, 1), got ${valFraction}`);
  const options: TaskOptions = {
    data: o.data, T: o.steps, timeBins: o.timeBins, timeWindowUs: o.timeWindowUs, downsample: o.downsample, limitTrain: o.limitTrain, limitTest: o.limitTest,
  };
  for (const k of Object.keys(options) as (keyof TaskOptions)[]) if (options[k] === undefined) delete options[k];
  const setup: EventSetupSpec = {
    task: o.task, options, valFraction,
    epochs: o.epochs ?? entry.defaults.epochs, batchSize: o.batchSize ?? entry.defaults.batchSize, lr: o.lr ?? entry.defaults.lr, optimizer: o.optimizer ?? "adam",
  };
  const variants = variantsOf(o.slayerScales ?? DEFAULT_SLAYER_SCALES, o.withBptt ?? true);
  const seeds = o.seeds ?? 3;
  const runs: AccuracyRunSpec[] = [];
  for (let seed = 0; seed < seeds; seed++) for (const variant of variants) runs.push({ setup, variant, seed });
  return { setup, variants, runs, seeds };
}

/** The task's default preset with every spiking layer's surrogate scale set to gradScale. */
function scaledModel(base: ModelConfig, gradScale: number): ModelConfig {
  return { ...base, layers: base.layers.map((l) => (l.type === "lif" || l.type === "iaf" ? { ...l, gradScale } : l)) };
}

// One setup held at a time: a worker thread that takes run after run of the same experiment frames the data once.
let held: { key: string; setup: Promise<EventSetup> } | null = null;

/** Opens the task, loads its frames and builds the shared TaskSetup (memoised on the spec). */
export function eventSetup(spec: EventSetupSpec, log?: (s: string) => void): Promise<EventSetup> {
  const key = canonicalJson({ task: spec.task, options: spec.options, valFraction: spec.valFraction });
  if (held?.key === key) return held.setup.then((s) => ({ ...s, spec, epochs: spec.epochs, batch: spec.batchSize, lr: { adam: spec.lr, sgd: spec.lr } }));
  const setup = (async (): Promise<EventSetup> => {
    const task = await createTask(spec.task, spec.options);
    if (!(task instanceof EventTask)) throw new ConfigError(`task '${spec.task}' is not an event dataset`);
    const frames = await loadEventFrames(task, { valFraction: spec.valFraction, log });
    const base = presetConfig(taskEntry(spec.task).defaults.model, frames);
    const init = (seed: number): ReadonlyMap<string, StTensor> => {
      // the preset's own initialisation (as `exodus-snn train --seed`), drawn once and copied into every engine's model
      const probe = buildModel(base, { gradient: "exodus", seed });
      const all = stateDict(probe);
      const w = new Map(probe.namedParameters().map(([n]) => [n, all.get(n)!] as const));
      disposeModel(probe);
      return w;
    };
    return {
      task: frames, val: frames.evaluatingOn("val"), frames, spec,
      model: (gradScale) => scaledModel(base, gradScale), init, spikeInput: true,
      epochs: spec.epochs, batch: spec.batchSize, evalBatch: 256, lr: { adam: spec.lr, sgd: spec.lr },
      description: `${frames.description}; network: the '${taskEntry(spec.task).defaults.model}' preset`,
    };
  })();
  held = { key, setup };
  // a failed load is not kept: the next call tries again
  setup.catch(() => held?.setup === setup && (held = null));
  return setup;
}

/** Trains one run of the grid (this thread's wasm backend). */
export async function runAccuracyJob(run: AccuracyRunSpec, log?: (s: string) => void): Promise<RunResult> {
  setBackendSync("wasm");
  const s = await eventSetup(run.setup, log);
  const t0 = performance.now();
  // long runs (SHD: minutes per epoch) say how far they are
  const onEpoch = log && ((e: number, loss: number) => log(`    ${run.variant.name} seed ${run.seed}: epoch ${e + 1}/${run.setup.epochs}, training loss ${loss.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`));
  const r = trainOne(s, run.variant, run.seed, run.setup.optimizer, run.setup.lr, onEpoch);
  return { task: run.setup.task, variant: run.variant.name, engine: run.variant.engine, gradScale: run.variant.gradScale, seed: run.seed, ...r };
}

/** Runs the grid somewhere (here, or on the sweep's workers) and returns one result per run, in order. */
export type GridRunner = (runs: AccuracyRunSpec[], log: (s: string) => void) => Promise<RunResult[]>;

const fmtMin = (s: number) => (s < 120 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);

/** Remaining time from the mean seconds per engine so far (an engine not yet timed: the mean of all). */
export function remainingEstimate(done: readonly RunResult[], todo: readonly { engine: GradientEngine }[]): number {
  const all = done.reduce((a, r) => a + r.seconds, 0) / Math.max(1, done.length);
  const by = (e: GradientEngine) => {
    const rs = done.filter((r) => r.engine === e);
    return rs.length ? rs.reduce((a, r) => a + r.seconds, 0) / rs.length : all;
  };
  return todo.reduce((a, v) => a + by(v.engine), 0);
}

export const runLocally: GridRunner = async (runs, log) => {
  const out: RunResult[] = [];
  for (const [i, run] of runs.entries()) {
    const r = await runAccuracyJob(run, log);
    out.push(r);
    const left = remainingEstimate(out, runs.slice(i + 1).map((x) => x.variant));
    log(`${runLine(r)}  (${r.seconds.toFixed(1)} s, ${(r.trainSeconds / run.setup.epochs).toFixed(1)} s/epoch)${i + 1 < runs.length ? `; ≈ ${fmtMin(left)} left` : ""}`);
    if (i === 0) log(`  estimate: ${runs.length} runs × ≈ ${r.seconds.toFixed(0)} s (${r.engine}) ≈ ${fmtMin(r.seconds * runs.length)} in all; BPTT usually costs more per run, the estimate is refined after each run`);
  }
  return out;
};

/** The experiment: frames loaded once, the count baseline, the grid (here or through `runner`), the summary. */
export async function runEventAccuracy(o: EventAccuracyOptions, runner: GridRunner = runLocally): Promise<AccuracyResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  setBackendSync("wasm");
  const plan = planEventAccuracy(o);
  log(`${o.task}: framing ${o.data} (cached after the first time)`);
  const s = await eventSetup(plan.setup, log);
  log(`${s.description} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const tb = performance.now();
  const base = countBaseline(s.task);
  log(`${o.task}: count baseline (logistic regression on per-channel spike counts) = ${(100 * base).toFixed(1)} % (${((performance.now() - tb) / 1000).toFixed(1)} s)`);
  const runs = await runner(plan.runs, log);
  const summary = summariseTask(o.task, plan.setup.lr, base, 1 / s.task.classes, plan.variants, runs);
  const f = s.frames;
  const v = f.val;
  const nVal = s.val.size("test");
  const split = v.by === "speaker"
    ? `validation: ${nVal} samples of ${v.valSpeakers.length} speaker(s) held out of the training file (${v.trainSpeakers.length} speakers left for training; the test file has ${v.testSpeakers.length}, ${v.testSpeakers.filter((x) => v.trainSpeakers.includes(x) || v.valSpeakers.includes(x)).length} of them also in the training file)`
    : `validation: ${nVal} samples, a fixed random ${(100 * v.fraction).toFixed(0)} % of the training file (it records no speakers)`;
  const trainSec = runs.reduce((a, r) => a + r.trainSeconds, 0) / runs.length / plan.setup.epochs;
  return {
    config: { quick: false, seeds: plan.seeds, optimizer: plan.setup.optimizer, slayerScales: [...(o.slayerScales ?? DEFAULT_SLAYER_SCALES)], tasks: { [o.task]: s.description } },
    provenance: {
      command: o.command ?? "",
      data: `${o.data}${/_train\.h5$/.test(o.data) ? ` (with ${o.data.replace(/_train\.h5$/, "_test.h5")})` : ""}: ${f.size("train")} training samples, ${nVal} validation, ${f.size("test")} test; ${split}`,
      epochs: plan.setup.epochs, batchSize: plan.setup.batchSize, epochSeconds: trainSec,
    },
    runs,
    summary: [summary],
    seconds: (performance.now() - t0) / 1000,
  };
}
