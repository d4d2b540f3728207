/**
 * `exodus-snn sweep PLAN --redis URL` submits a plan's trials to the queue (only those not queued yet; failed
 * ones again with --retry-failed); `sweep status PLAN` prints each trial's state; `sweep report PLAN` writes
 * report.html, results.json and every finished trial's weights from what Redis holds; `sweep forget PLAN --yes`
 * removes the plan's jobs (and with --runs its run directories) so it can run again from scratch.
 * Workers (`exodus-snn worker`) do the training.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { writeFileAtomic } from "../../util/write-file-atomic.js";
import { expandPlan, readPlan } from "../../sweep/plan.js";
import type { TrialStatus } from "../../sweep/queue.js";
import { redactUrl, redisUrlFrom } from "../../sweep/redis.js";
import { axesOf, renderSweepReport } from "../../sweep/report.js";

interface Flags {
  redis?: string;
  dryRun?: boolean;
  retryFailed?: boolean;
  out?: string;
  yes?: boolean;
  runs?: boolean;
}

// bullmq loads only for the sweep commands, not on every `exodus-snn` start
const queueModule = () => import("../../sweep/queue.js");

async function submitAction(planPath: string, f: Flags): Promise<void> {
  const plan = readPlan(planPath);
  const trials = expandPlan(plan);
  if (f.dryRun) {
    for (const t of trials) process.stdout.write(`${t.id} ${JSON.stringify(t.params)}\n`);
    process.stdout.write(JSON.stringify({ plan: plan.name, trials: trials.length }) + "\n");
    return;
  }
  const url = redisUrlFrom(f.redis);
  const { submit, storeFor, withQueue } = await queueModule();
  const r = await withQueue(url, (q) => submit(q, plan, trials, { retryFailed: f.retryFailed }));
  const failed = r.failed.length ? `, ${r.failed.length} failed (re-queue them with --retry-failed)` : "";
  const retried = r.retried.length ? `, ${r.retried.length} failed ones re-queued` : "";
  process.stderr.write(`exodus-snn sweep: plan ${plan.name}: ${trials.length} trials, ${r.added.length} added, ${r.existing.length} already queued${retried}${failed} (${redactUrl(url)}); checkpoints in ${storeFor(plan)}\n`);
  process.stdout.write(JSON.stringify({ plan: plan.name, trials: trials.length, added: r.added.length, existing: r.existing.length, retried: r.retried.length, failed: r.failed.length, store: storeFor(plan) }) + "\n");
}

function countStates(rows: TrialStatus[]): Record<string, number> {
  return rows.reduce<Record<string, number>>((c, r) => ({ ...c, [r.state]: (c[r.state] ?? 0) + 1 }), {});
}

async function statusAction(planPath: string, f: Flags): Promise<void> {
  const plan = readPlan(planPath);
  const { trialStatuses, withQueue } = await queueModule();
  const rows = await withQueue(redisUrlFrom(f.redis), (q) => trialStatuses(q, expandPlan(plan)));
  const axes = axesOf(plan);
  for (const r of rows) {
    const where = axes.map((a) => `${a}=${String(r.trial.params[a])}`).join(" ");
    const what = r.result ? `test acc ${(r.result.test_accuracy * 100).toFixed(2)} %` : r.error ? r.error : r.progress !== null ? `epoch ${r.progress}/${r.trial.spec.epochs}` : "";
    process.stderr.write(`${r.trial.id}  ${r.state.padEnd(9)} ${where}  ${what}\n`);
  }
  const failed = rows.filter((r) => r.state === "failed").length;
  if (failed) process.stderr.write(`${failed} of ${rows.length} trials failed (errors above); once the cause is fixed, re-queue them with: exodus-snn sweep ${planPath} --redis <url> --retry-failed\n`);
  process.stdout.write(JSON.stringify({ plan: plan.name, trials: rows.length, ...countStates(rows) }) + "\n");
}

async function forgetAction(planPath: string, f: Flags): Promise<void> {
  const plan = readPlan(planPath);
  const trials = expandPlan(plan);
  const url = redisUrlFrom(f.redis);
  const { storeFor, withQueue } = await queueModule();
  const { planJobs, removeJobs, runDirsOf } = await import("../../sweep/forget.js");
  const store = storeFor(plan);
  const dirs = runDirsOf(store, plan);
  const done = await withQueue(url, async (q) => {
    const jobs = await planJobs(q, plan, trials);
    for (const j of jobs) process.stdout.write(`${j.id}  ${j.state}${j.locked ? " (a worker is training it)" : ""}${j.inPlan ? "" : "  (not in the plan file now: left by an earlier version of the plan)"}\n`);
    if (f.runs) for (const d of dirs) process.stdout.write(`${d}  run directory\n`);
    const running = jobs.filter((j) => j.locked);
    if (running.length) throw new UsageError(`nothing removed: ${running.length} trial(s) of plan ${plan.name} are being trained (${running.map((j) => j.id).join(", ")}); stop their workers or wait until they finish (exodus-snn sweep status), then forget again`);
    const what = `${jobs.length} job(s) of plan ${plan.name} in ${redactUrl(url)}${f.runs ? ` and ${dirs.length} run director${dirs.length === 1 ? "y" : "ies"} in ${store}` : ""}`;
    const stay = !f.runs && dirs.length ? ` (${dirs.length} run director${dirs.length === 1 ? "y" : "ies"} in ${store} would stay: add --runs to delete them too)` : "";
    if (!f.yes) throw new UsageError(`nothing removed: ${what} would be removed (listed above); add --yes to remove them${stay}`);
    const r = await removeJobs(q, jobs);
    if (r.locked.length) throw new UsageError(`${r.removed.length} job(s) removed, but ${r.locked.length} were taken by a worker meanwhile (${r.locked.join(", ")}); stop it or wait, then forget again`);
    return { jobs: r.removed.length };
  });
  if (f.runs) for (const d of dirs) rmSync(d, { recursive: true, force: true });
  const kept = !f.runs && dirs.length ? `; ${dirs.length} run director${dirs.length === 1 ? "y stays" : "ies stay"} in ${store}, where a re-submitted trial resumes from its checkpoint (add --runs to delete them too)` : "";
  process.stderr.write(`exodus-snn sweep: plan ${plan.name}: ${done.jobs} job(s) removed from ${redactUrl(url)}${f.runs ? `, ${dirs.length} run director${dirs.length === 1 ? "y" : "ies"} deleted` : ""}${kept}\n`);
  process.stdout.write(JSON.stringify({ plan: plan.name, removed: done.jobs, run_dirs_deleted: f.runs ? dirs.length : 0, run_dirs_kept: f.runs ? 0 : dirs.length }) + "\n");
}

async function reportAction(planPath: string, f: Flags): Promise<void> {
  const plan = readPlan(planPath);
  const { trialStatuses, withQueue } = await queueModule();
  const rows = await withQueue(redisUrlFrom(f.redis), (q) => trialStatuses(q, expandPlan(plan)));
  const out = resolve(f.out ?? join("runs", "sweeps", `${plan.name}-report`));
  mkdirSync(join(out, "weights"), { recursive: true });
  for (const r of rows) if (r.result) writeFileAtomic(join(out, "weights", `${r.trial.id}.safetensors`), Buffer.from(r.result.weights_base64, "base64"));
  const results = rows.map((r) => ({
    id: r.trial.id, params: r.trial.params, spec: r.trial.spec, state: r.state, error: r.error,
    result: r.result ? { ...r.result, weights_base64: undefined } : null,
    added_at: r.addedAt, started_at: r.startedAt, finished_at: r.finishedAt,
  }));
  writeFileAtomic(join(out, "results.json"), JSON.stringify(results, null, 2) + "\n");
  const report = join(out, "report.html");
  writeFileAtomic(report, renderSweepReport(plan, rows));
  process.stdout.write(`report: ${report}\n`);
  process.stdout.write(JSON.stringify({ plan: plan.name, trials: rows.length, ...countStates(rows), report, results: join(out, "results.json") }) + "\n");
}

export function register(program: Command): void {
  const sweep = program.command("sweep").description("run a grid of training runs on many machines through a Redis queue (workers: exodus-snn worker)");
  const redisHelp = "Redis server, redis://[user:password@]host:port[/db] or rediss:// for TLS (default: EXODUS_REDIS_URL)";
  sweep
    .command("submit <plan>", { isDefault: true })
    .description("queue the plan's trials that are not queued yet (failed ones again with --retry-failed)")
    .option("--redis <url>", redisHelp)
    .option("--dry-run", "list the trials and their ids without contacting Redis")
    .option("--retry-failed", "put failed trials back on the queue (they resume from their last checkpoint)")
    .action((plan: string, f: Flags) => submitAction(plan, f));
  sweep.command("status <plan>").description("print each trial's state and how many failed").option("--redis <url>", redisHelp).action((plan: string, f: Flags) => statusAction(plan, f));
  sweep
    .command("report <plan>")
    .description("write report.html, results.json and the final weights of every finished trial")
    .option("--redis <url>", redisHelp)
    .option("--out <dir>", "report directory (default runs/sweeps/<plan name>-report)")
    .action((plan: string, f: Flags) => reportAction(plan, f));
  sweep
    .command("forget <plan>")
    .description("remove the plan's jobs, results and weights from Redis, so it can be run again from scratch")
    .option("--redis <url>", redisHelp)
    .option("--yes", "remove them (without it: list what would be removed and remove nothing)")
    .option("--runs", "also delete the plan's run directories (checkpoints) in its store on this machine")
    .action((plan: string, f: Flags) => forgetAction(plan, f));
}
