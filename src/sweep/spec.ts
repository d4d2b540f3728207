/**
 * One trial's settings (the sweep's vocabulary, a flat object of the `train` flags in camelCase) and its
 * validation. The same check runs when a plan is read and again in the worker before a job trains, so a job
 * written to Redis by anything else is refused with the same ConfigError. `trainConfigFor` turns a spec into
 * the Trainer's TrainConfig.
 */
import { isAbsolute } from "node:path";
import { ConfigError } from "../errors.js";
import { GRADIENT_ENGINES } from "../neurons/dynamics.js";
import { PRESETS } from "../train/models/presets.js";
import { EVENT_RUN_KEYS, trainConfigFrom, type RunOptions } from "../train/run.js";
import { EVENT_TASKS, taskEntry, TASKS } from "../train/tasks/index.js";
import type { TrainConfig } from "../train/trainer.js";

/**
 * A trial: the options of `exodus-snn train` (RunOptions) that a plan may set, with the model, epochs, batch size
 * and learning rate always present. A model config file (--config) is not a plan key: a trial's settings are
 * its whole identity (ids.ts), and a file's contents could change under the same name.
 */
export type TrialSpec = Omit<RunOptions, "config" | "model" | "epochs" | "batchSize" | "lr"> & {
  model: string;
  epochs: number;
  batchSize: number;
  lr: number;
};

type Rule =
  | { kind: "enum"; values: readonly string[] }
  | { kind: "int"; min: number }
  | { kind: "num"; min: number; open: boolean; max?: number }
  | { kind: "path" };

/** Every key a plan may set, with its rule: the list a ConfigError for an unknown key quotes. */
export const SPEC_KEYS: Readonly<Record<keyof TrialSpec, Rule>> = {
  task: { kind: "enum", values: TASKS },
  model: { kind: "enum", values: PRESETS },
  gradient: { kind: "enum", values: GRADIENT_ENGINES },
  epochs: { kind: "int", min: 1 },
  batchSize: { kind: "int", min: 1 },
  lr: { kind: "num", min: 0, open: true },
  seed: { kind: "int", min: 0 },
  encoding: { kind: "enum", values: ["rate", "latency"] },
  steps: { kind: "int", min: 1 },
  shift: { kind: "int", min: 0 },
  hidden: { kind: "int", min: 1 },
  tau: { kind: "num", min: 0, open: true },
  optimizer: { kind: "enum", values: ["adam", "adamw", "sgd"] },
  weightDecay: { kind: "num", min: 0, open: false },
  clip: { kind: "num", min: 0, open: true },
  schedule: { kind: "enum", values: ["cosine", "constant"] },
  device: { kind: "enum", values: ["auto", "wasm", "ref", "webgpu"] },
  limitTrain: { kind: "int", min: 1 },
  limitTest: { kind: "int", min: 1 },
  // the event datasets' keys, checked as `train` checks --data, --time-bins, --time-window-us, --downsample
  data: { kind: "path" },
  timeBins: { kind: "int", min: 1 },
  timeWindowUs: { kind: "num", min: 0, open: true },
  downsample: { kind: "num", min: 0, open: true, max: 1 },
};

/** Keys a trial must end up with (from the base or an axis): the CLI's per-task defaults are not applied here. */
export const REQUIRED_KEYS = ["task", "model", "epochs", "lr"] as const;

const DEFAULTS: Partial<TrialSpec> = { gradient: "exodus", batchSize: 128, seed: 1, optimizer: "adam", schedule: "cosine", device: "auto" };

export function isSpecKey(k: string): k is keyof TrialSpec {
  return Object.prototype.hasOwnProperty.call(SPEC_KEYS, k);
}

/** Checks one value against its key's rule; `where` names the place in the plan for the message. */
export function checkValue(key: keyof TrialSpec, v: unknown, where: string): void {
  const r = SPEC_KEYS[key];
  if (r.kind === "enum") {
    if (typeof v !== "string" || !r.values.includes(v)) throw new ConfigError(`${where}: '${key}' must be one of ${r.values.join(", ")}, got ${JSON.stringify(v)}`);
    return;
  }
  if (r.kind === "path") {
    // the same path on every worker: a relative one would be read from each worker's working directory
    if (typeof v !== "string" || !isAbsolute(v)) throw new ConfigError(`${where}: '${key}' must be an absolute path that every worker can read, got ${JSON.stringify(v)}`);
    return;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigError(`${where}: '${key}' must be a number, got ${JSON.stringify(v)}`);
  if (r.kind === "int" && (!Number.isInteger(v) || v < r.min)) throw new ConfigError(`${where}: '${key}' must be an integer ≥ ${r.min}, got ${v}`);
  if (r.kind === "num" && (r.open ? v <= r.min : v < r.min)) throw new ConfigError(`${where}: '${key}' must be ${r.open ? ">" : "≥"} ${r.min}, got ${v}`);
  if (r.kind === "num" && r.max !== undefined && v > r.max) throw new ConfigError(`${where}: '${key}' must be in (${r.min}, ${r.max}], got ${v}`);
}

/** Validates a complete trial (unknown keys, types, ranges, required keys) and fills the defaults. */
export function validateSpec(raw: unknown, where: string): TrialSpec {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(`${where}: a trial must be a JSON object of training settings`);
  for (const [k, v] of Object.entries(raw)) {
    if (!isSpecKey(k)) throw new ConfigError(`${where}: unknown key '${k}'; use one of ${Object.keys(SPEC_KEYS).join(", ")}`);
    checkValue(k, v, where);
  }
  const spec = { ...DEFAULTS, ...(raw as Partial<TrialSpec>) };
  for (const k of REQUIRED_KEYS) if (spec[k] === undefined) throw new ConfigError(`${where}: '${k}' is missing; set it in the plan's "base" or as an axis`);
  const task = spec.task!;
  for (const k of EVENT_RUN_KEYS) {
    if (spec[k] !== undefined && !taskEntry(task).events) throw new ConfigError(`${where}: '${k}' applies to the event datasets (${EVENT_TASKS.join(", ")}), not to task '${task}'; remove it or change the task`);
  }
  if (spec.timeBins !== undefined && spec.timeWindowUs !== undefined) throw new ConfigError(`${where}: 'timeBins' and 'timeWindowUs' are both set; bin by count or by time, not both`);
  return spec as TrialSpec;
}

/** The Trainer config of a trial: what `exodus-snn train` builds from the same settings (task defaults included). */
export async function trainConfigFor(s: TrialSpec, device: TrainConfig["device"]): Promise<TrainConfig> {
  return trainConfigFrom({ ...s, device });
}
