/**
 * The consumer side: a BullMQ worker that takes trials from the queue and trains each in a worker thread
 * (see trial-thread.ts), checkpointing into the shared store. A job whose settings fail validation, or
 * whose id does not match its settings, is refused; a trial that throws fails with its error and is not
 * retried. A worker that dies leaves its job's lock to expire; BullMQ's stalled-job check (run by every
 * live worker) puts it back on the queue and the next worker resumes it from the last checkpoint.
 * The same queue carries the accuracy experiment's runs (accuracy-jobs.ts), a second job kind: validated
 * the same way, trained in the same thread, not checkpointed (a run is minutes; a retried one starts over).
 */
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker as ThreadWorker } from "node:worker_threads";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { connectionFor, QUEUE_NAME } from "./redis.js";
import { trialId } from "./ids.js";
import { validateSpec } from "./spec.js";
import { workerName, type TrialResult } from "./run-trial.js";
import type { JobData } from "./queue.js";
import type { RunResult } from "../experiments/accuracy.js";
import { ACCURACY_JOB, accuracyRunId, validateAccuracyRun, type AccuracyJobData } from "./accuracy-jobs.js";
import type { ThreadMessage, ThreadRequest } from "./trial-thread.js";

export interface WorkerOptions {
  url: string;
  concurrency?: number;
  /** Overrides the store path in the jobs (when the shared directory is mounted elsewhere on this machine). */
  store?: string;
  /** How long a job's lock lasts without renewal; a dead worker's trial is retried after about this long. */
  lockMs?: number;
  /** How often this worker looks for stalled jobs. */
  stalledIntervalMs?: number;
  onEvent?(line: string): void;
}

// the thread entry sits beside this file: .js when built, .ts when run through tsx (tests), where the
// thread has to register tsx itself: a worker thread does not inherit the parent's --import hooks
const THREAD_ENTRY = new URL(`./trial-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
const TS_BOOTSTRAP = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(THREAD_ENTRY.href)}); })`;

function startThread(): ThreadWorker {
  return THREAD_ENTRY.pathname.endsWith(".ts") ? new ThreadWorker(TS_BOOTSTRAP, { eval: true }) : new ThreadWorker(THREAD_ENTRY);
}

/** One training thread, reused for trial after trial; a thread that dies is replaced by a new one. */
class TrialThread {
  private thread: ThreadWorker | null = null;
  busy = false;

  run(req: ThreadRequest, onEpoch: (epoch: number) => void): Promise<TrialResult | RunResult> {
    this.busy = true;
    const t = (this.thread ??= startThread());
    return new Promise<TrialResult | RunResult>((res, rej) => {
      const done = (f: () => void) => {
        t.off("message", onMessage);
        t.off("error", onError);
        t.off("exit", onExit);
        this.busy = false;
        f();
      };
      const onMessage = (m: ThreadMessage) => {
        if (m.kind === "epoch") onEpoch(m.epoch);
        else if (m.kind === "done") done(() => res(m.result));
        else done(() => rej(new UnrecoverableError(`${m.name}: ${m.message}`)));
      };
      const onError = (e: Error) => {
        this.thread = null;
        done(() => rej(new UnrecoverableError(`${e.name}: ${e.message}`)));
      };
      const onExit = (code: number) => {
        this.thread = null;
        done(() => rej(new UnrecoverableError(`the training thread exited with code ${code} before a result`)));
      };
      t.on("message", onMessage);
      t.on("error", onError);
      t.on("exit", onExit);
      t.postMessage(req);
    });
  }

  async close(): Promise<void> {
    await this.thread?.terminate();
    this.thread = null;
  }
}

type AnyJob = Job<JobData | AccuracyJobData, TrialResult | RunResult>;

export function startWorker(o: WorkerOptions): Worker<JobData | AccuracyJobData, TrialResult | RunResult> {
  const me = workerName();
  const threads: TrialThread[] = [];
  const log = o.onEvent ?? (() => undefined);
  // BullMQ runs at most `concurrency` jobs at once, so a free thread always exists
  const freeThread = () => {
    let t = threads.find((x) => !x.busy);
    if (!t) threads.push((t = new TrialThread()));
    return t;
  };
  const accuracyRun = (job: AnyJob, d: Partial<AccuracyJobData>): Promise<RunResult> => {
    let run;
    try {
      run = validateAccuracyRun(d.run, `job ${job.id}`);
      if (accuracyRunId(run) !== job.id) throw new Error(`job id ${job.id} does not match its run (expected ${accuracyRunId(run)}); submit runs with \`exodus-snn experiment accuracy --redis\``);
    } catch (e) {
      throw new UnrecoverableError(`refused: ${(e as Error).message}`);
    }
    log(`accuracy run ${job.id} started (${run.variant.name}, seed ${run.seed})`);
    return freeThread().run({ kind: "accuracy-run", run }, () => undefined) as Promise<RunResult>;
  };
  const processor = async (job: AnyJob): Promise<TrialResult | RunResult> => {
    const a = job.data as Partial<AccuracyJobData> | undefined;
    if (a?.kind === ACCURACY_JOB) return accuracyRun(job, a);
    const d = job.data as Partial<JobData> | undefined;
    let spec;
    try {
      if (!d || typeof d.plan !== "string" || typeof d.store !== "string") throw new Error("job data lacks 'plan' or 'store'; submit trials with `exodus-snn sweep`");
      spec = validateSpec(d.spec, `job ${job.id}`);
      if (trialId(d.plan, spec) !== job.id) throw new Error(`job id ${job.id} does not match its settings (expected ${trialId(d.plan, spec)}); submit trials with \`exodus-snn sweep\``);
    } catch (e) {
      throw new UnrecoverableError(`refused: ${(e as Error).message}`);
    }
    const runDir = join(resolve(o.store ?? d.store), job.id!);
    log(`trial ${job.id} started (${runDir})`);
    return freeThread().run({ kind: "trial", spec, runDir, worker: me }, (epoch) => void job.updateProgress(epoch).catch(() => undefined));
  };
  const w = new Worker<JobData | AccuracyJobData, TrialResult | RunResult>(QUEUE_NAME, processor, {
    connection: connectionFor(o.url),
    concurrency: o.concurrency ?? 1,
    lockDuration: o.lockMs ?? 30_000,
    stalledInterval: o.stalledIntervalMs ?? o.lockMs ?? 30_000,
    // a trial may outlive a few dead workers; past this BullMQ fails it as "stalled more than allowable limit"
    maxStalledCount: 5,
  });
  w.on("completed", (job) => {
    const r = job.returnvalue;
    log(`${"testAcc" in r ? "accuracy run" : "trial"} ${job.id} completed: test accuracy ${(("testAcc" in r ? r.testAcc : r.test_accuracy) * 100).toFixed(2)} %`);
  });
  w.on("failed", (job, err) => log(`trial ${job?.id ?? "?"} failed: ${err.message}`));
  w.on("error", (err) => log(`worker error: ${err.message}`));
  // the training threads would keep the process alive after the queue closes
  w.on("closed", () => void Promise.all(threads.map((t) => t.close())));
  return w;
}
