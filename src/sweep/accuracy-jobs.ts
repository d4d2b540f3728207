/**
 * The accuracy experiment's grid on the sweep's queue: each run (variant × seed, an AccuracyRunSpec) is a
 * BullMQ job of its own kind on the same queue as sweep trials, with a stable id (a hash of the run's complete
 * settings), trained by `exodus-snn worker` with the same function a local run uses; results come back as the
 * jobs' return values. Re-running the command adds only missing runs, reuses finished ones and retries
 * failed ones. The workers read the data from the path the submitting machine gives (a shared disk).
 */
import { createHash } from "node:crypto";
import { Queue, type Job } from "bullmq";
import { ConfigError } from "../errors.js";
import { runLine, type RunResult } from "../experiments/accuracy.js";
import type { AccuracyRunSpec, GridRunner } from "../experiments/accuracy-event.js";
import { GRADIENT_ENGINES } from "../neurons/dynamics.js";
import { taskEntry } from "../train/tasks/table.js";
import { TASK_OPTION_KEYS } from "../train/tasks/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import { clientConnectionFor, connectionError, QUEUE_NAME } from "./redis.js";

export const ACCURACY_JOB = "accuracy-run";

export interface AccuracyJobData {
  kind: typeof ACCURACY_JOB;
  runId: string;
  run: AccuracyRunSpec;
}

/** "accuracy-<task>-<12 hex>": BullMQ refuses ':' and integer-looking custom ids. */
export function accuracyRunId(run: AccuracyRunSpec): string {
  return `accuracy-${run.setup.task}-${createHash("sha256").update(canonicalJson(run)).digest("hex").slice(0, 12)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function keys(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new ConfigError(`${where}: unknown key '${k}'; use ${allowed.join(", ")}`);
}

function num(v: unknown, where: string, o: { int?: boolean; min: number; open?: boolean; max?: number }): number {
  const ok = typeof v === "number" && Number.isFinite(v) && (!o.int || Number.isInteger(v)) && (o.open ? v > o.min : v >= o.min) && (o.max === undefined || v < o.max);
  if (!ok) throw new ConfigError(`${where} must be ${o.int ? "an integer" : "a number"} ${o.open ? ">" : "≥"} ${o.min}${o.max !== undefined ? ` and < ${o.max}` : ""}, got ${JSON.stringify(v)}`);
  return v as number;
}

/**
 * Checks a job's run as a worker receives it (anything may have written it to Redis): known keys only, an
 * event task of the table, numbers in range. Throws a ConfigError naming the key.
 */
export function validateAccuracyRun(raw: unknown, where: string): AccuracyRunSpec {
  if (!isObject(raw)) throw new ConfigError(`${where}: the run must be an object {setup, variant, seed}`);
  keys(raw, ["setup", "variant", "seed"], where);
  const { setup, variant } = raw;
  if (!isObject(setup)) throw new ConfigError(`${where}: 'setup' must be an object`);
  keys(setup, ["task", "options", "valFraction", "epochs", "batchSize", "lr", "optimizer"], `${where}: setup`);
  if (typeof setup.task !== "string" || !taskEntry(setup.task).events) throw new ConfigError(`${where}: setup.task must name an event dataset of the task table, got ${JSON.stringify(setup.task)}`);
  if (!isObject(setup.options)) throw new ConfigError(`${where}: setup.options must be an object of task options`);
  keys(setup.options, Object.keys(TASK_OPTION_KEYS), `${where}: setup.options`);
  for (const [k, v] of Object.entries(setup.options)) {
    if (k === "data" || k === "cacheDir" || k === "encoding") {
      if (typeof v !== "string") throw new ConfigError(`${where}: setup.options.${k} must be a string`);
    } else num(v, `${where}: setup.options.${k}`, { min: 0, open: true, int: k !== "timeWindowUs" && k !== "downsample" });
  }
  num(setup.valFraction, `${where}: setup.valFraction`, { min: 0, open: true, max: 1 });
  num(setup.epochs, `${where}: setup.epochs`, { int: true, min: 1 });
  num(setup.batchSize, `${where}: setup.batchSize`, { int: true, min: 1 });
  num(setup.lr, `${where}: setup.lr`, { min: 0, open: true });
  if (setup.optimizer !== "adam" && setup.optimizer !== "sgd") throw new ConfigError(`${where}: setup.optimizer must be adam or sgd, got ${JSON.stringify(setup.optimizer)}`);
  if (!isObject(variant)) throw new ConfigError(`${where}: 'variant' must be an object {name, engine, gradScale}`);
  keys(variant, ["name", "engine", "gradScale"], `${where}: variant`);
  if (typeof variant.name !== "string") throw new ConfigError(`${where}: variant.name must be a string`);
  if (!(GRADIENT_ENGINES as readonly unknown[]).includes(variant.engine)) throw new ConfigError(`${where}: variant.engine must be one of ${GRADIENT_ENGINES.join(", ")}, got ${JSON.stringify(variant.engine)}`);
  num(variant.gradScale, `${where}: variant.gradScale`, { min: 0, open: true });
  num(raw.seed, `${where}: seed`, { int: true, min: 0 });
  return raw as unknown as AccuracyRunSpec;
}

export interface QueueRunnerOptions {
  /** How often the submitting process looks at the jobs (default 1 s). */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A GridRunner that submits the runs to the queue at `url` and waits for the workers' results. */
export function queueRunner(url: string, o: QueueRunnerOptions = {}): GridRunner {
  return async (runs, log) => {
    const q = new Queue<AccuracyJobData, RunResult>(QUEUE_NAME, { connection: clientConnectionFor(url) });
    let lastError: Error | null = null;
    q.on("error", (e) => (lastError = e));
    try {
      const ids = runs.map((run) => accuracyRunId(run));
      let added = 0;
      for (const [i, run] of runs.entries()) {
        const id = ids[i]!;
        const job = await q.getJob(id);
        if (!job) {
          // one attempt, as sweep trials: a run that throws fails for good; a killed worker's run is a stalled job
          await q.add(ACCURACY_JOB, { kind: ACCURACY_JOB, runId: id, run }, { jobId: id, attempts: 1, removeOnComplete: false, removeOnFail: false });
          added++;
        } else if ((await job.getState()) === "failed") {
          log(`  ${id} (${run.variant.name}, seed ${run.seed}) failed before (${job.failedReason}); retrying it`);
          await job.retry();
        }
      }
      log(`  ${runs.length} runs on the queue (${added} added, ${runs.length - added} there already; finished ones are reused)`);
      const results: (RunResult | null)[] = runs.map(() => null);
      const t0 = performance.now();
      for (;;) {
        for (const [i, id] of ids.entries()) {
          if (results[i]) continue;
          const job: Job<AccuracyJobData, RunResult> | undefined = await q.getJob(id);
          if (!job) throw new ConfigError(`job ${id} vanished from the queue (removed by hand?); run the command again to resubmit it`);
          const state = await job.getState();
          if (state === "failed") throw new ConfigError(`run ${runs[i]!.variant.name}, seed ${runs[i]!.seed} (job ${id}) failed on a worker: ${job.failedReason}`);
          if (state !== "completed") continue;
          const r = job.returnvalue;
          results[i] = r;
          const done = results.filter((x): x is RunResult => x !== null);
          log(`${runLine(r)}  (${r.seconds.toFixed(1)} s on a worker; ${done.length}/${runs.length} done after ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
        }
        if (results.every((r) => r !== null)) return results as RunResult[];
        await sleep(o.pollMs ?? 1000);
      }
    } catch (e) {
      if (e instanceof ConfigError || !lastError) throw e;
      throw connectionError(url, lastError as Error);
    } finally {
      await q.close().catch(() => undefined);
    }
  };
}
