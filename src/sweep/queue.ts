/**
 * The producer side: trials become BullMQ jobs on one queue shared by every plan, keyed by their stable id
 * (so re-submitting adds only what is missing), and their states and results are read back by id.
 * Jobs are kept after they finish: the results live in Redis, where `sweep report` reads them.
 */
import { resolve } from "node:path";
import { Queue, type Job } from "bullmq";
import { ExodusError } from "../errors.js";
import { clientConnectionFor, connectionError, QUEUE_NAME } from "./redis.js";
import type { Plan, Trial } from "./plan.js";
import type { TrialSpec } from "./spec.js";
import type { TrialResult } from "./run-trial.js";

export interface JobData {
  plan: string;
  trialId: string;
  spec: TrialSpec;
  /** Shared checkpoint directory as the submitting machine names it (a worker's --store overrides it). */
  store: string;
}

export type TrialState = "missing" | "waiting" | "active" | "completed" | "failed" | "delayed" | "prioritized" | "waiting-children" | "unknown";

export interface TrialStatus {
  trial: Trial;
  state: TrialState;
  result: TrialResult | null;
  error: string | null;
  /** ms since epoch, from BullMQ: added, first taken by a worker, finished. */
  addedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** Last progress a worker reported: epochs done. */
  progress: number | null;
}

/** The queue for submitting and reading back; connection errors surface as rejected calls (see lastError). */
export function openQueue(url: string): Queue<JobData, TrialResult> & { lastError: Error | null } {
  const q = Object.assign(new Queue<JobData, TrialResult>(QUEUE_NAME, { connection: clientConnectionFor(url) }), { lastError: null as Error | null });
  // without a listener ioredis prints every failed reconnect with its stack
  q.on("error", (e) => (q.lastError = e));
  return q;
}

export type SweepQueue = ReturnType<typeof openQueue>;

/**
 * Runs `f` on a queue opened for `url` and closes it; a call that fails after the connection failed (refused,
 * unknown host, wrong password, untrusted certificate) becomes a ConnectionError naming the cause.
 */
export async function withQueue<T>(url: string, f: (q: SweepQueue) => Promise<T>): Promise<T> {
  const q = openQueue(url);
  try {
    return await f(q);
  } catch (e) {
    if (e instanceof ExodusError || !q.lastError) throw e;
    throw connectionError(url, q.lastError);
  } finally {
    await q.close().catch(() => undefined);
  }
}

/** Fails with a ConnectionError unless the server at `url` answers and accepts the login. */
export async function checkRedis(url: string): Promise<void> {
  await withQueue(url, (q) => q.count());
}

export function storeFor(plan: Plan): string {
  return resolve(plan.store ?? `runs/sweeps/${plan.name}`);
}

export interface SubmitResult {
  /** Trials that had no job: queued now. */
  added: string[];
  /** Trials that had a job already (in any state), left as they were unless retried. */
  existing: string[];
  /** Failed trials put back on the queue (`retryFailed`). */
  retried: string[];
  /** Failed trials left failed (no `retryFailed`). */
  failed: string[];
}

/**
 * Adds the trials that have no job yet. A failed trial stays failed (its error is final: the same settings
 * would fail the same way) unless `retryFailed` puts it back on the queue, for a failure the user has fixed
 * outside the settings (data missing on a worker, out of memory, a bug fixed in exodus-snn). A retried trial
 * resumes from its last checkpoint in the store, like a trial whose worker died.
 */
export async function submit(queue: Queue<JobData, TrialResult>, plan: Plan, trials: Trial[], o: { retryFailed?: boolean } = {}): Promise<SubmitResult> {
  const r: SubmitResult = { added: [], existing: [], retried: [], failed: [] };
  const missing: Trial[] = [];
  for (const t of trials) {
    const job = await queue.getJob(t.id);
    if (!job) {
      missing.push(t);
      continue;
    }
    r.existing.push(t.id);
    if ((await job.getState()) !== "failed") continue;
    if (!o.retryFailed) {
      r.failed.push(t.id);
      continue;
    }
    // a fresh attempt count: with attempts 1, a retried trial that fails again is failed again, not retried by BullMQ
    await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    r.retried.push(t.id);
  }
  const store = storeFor(plan);
  await queue.addBulk(missing.map((t) => ({
    name: plan.name,
    data: { plan: plan.name, trialId: t.id, spec: t.spec, store },
    // one attempt: a trial that throws (bad config, NaN) fails for good; a killed worker's trial is not a
    // failed attempt but a stalled job, which BullMQ hands to another worker
    opts: { jobId: t.id, attempts: 1, removeOnComplete: false, removeOnFail: false },
  })));
  r.added = missing.map((t) => t.id);
  return r;
}

export async function trialStatuses(queue: Queue<JobData, TrialResult>, trials: Trial[]): Promise<TrialStatus[]> {
  const out: TrialStatus[] = [];
  for (const trial of trials) {
    const job: Job<JobData, TrialResult> | undefined = await queue.getJob(trial.id);
    if (!job) {
      out.push({ trial, state: "missing", result: null, error: null, addedAt: null, startedAt: null, finishedAt: null, progress: null });
      continue;
    }
    const state = (await job.getState()) as TrialState;
    out.push({
      trial, state,
      result: state === "completed" ? job.returnvalue : null,
      error: state === "failed" ? job.failedReason : null,
      addedAt: job.timestamp ?? null, startedAt: job.processedOn ?? null, finishedAt: job.finishedOn ?? null,
      progress: typeof job.progress === "number" ? job.progress : null,
    });
  }
  return out;
}
