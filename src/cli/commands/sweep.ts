/**
 * `exodus-snn sweep PLAN --redis URL` submits a plan's trials to the queue (only those not queued yet);
 * `sweep status PLAN` prints each trial's state; `sweep report PLAN` writes report.html, results.json and
 * every finished trial's weights from what Redis holds. Workers (`exodus-snn worker`) do the training.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { ExodusError, UsageError } from "../../errors.js";
import { writeFileAtomic } from "../../util/write-file-atomic.js";
import { expandPlan, readPlan } from "../../sweep/plan.js";
import type { TrialStatus } from "../../sweep/queue.js";
import { redactUrl, redisUrlFrom } from "../../sweep/redis.js";
import { axesOf, renderSweepReport } from "../../sweep/report.js";

interface Flags {
  redis?: string;
  dryRun?: boolean;
  out?: string;
}

// bullmq loads only for the sweep commands, not on every `exodus-snn` start
const queueModule = () => import("../../sweep/queue.js");
type Q = ReturnType<Awaited<ReturnType<typeof queueModule>>["openQueue"]>;

async function withQueue<T>(url: string, f: (q: Q) => Promise<T>): Promise<T> {
  const q = (await queueModule()).openQueue(url);
  try {
    return await f(q);
  } catch (e) {
    if (e instanceof ExodusError || !q.lastError) throw e;
    throw new UsageError(`cannot use Redis at ${redactUrl(url)} (${q.lastError.message}); check --redis (host, port, password, rediss:// for TLS) and that the server runs`);
  } finally {
    await q.close().catch(() => undefined);
  }
}

async function submitAction(planPath: string, f: Flags): Promise<void> {
  const plan = readPlan(planPath);
  const trials = expandPlan(plan);
  if (f.dryRun) {
    for (const t of trials) process.stdout.write(`${t.id} ${JSON.stringify(t.params)}\n`);
    process.stdout.write(JSON.stringify({ plan: plan.name, trials: trials.length }) + "\n");
    return;
  }
  const url = redisUrlFrom(f.redis);
  const { submit, storeFor } = await queueModule();
  const r = await withQueue(url, (q) => submit(q, plan, trials));
  process.stderr.write(`exodus-snn sweep: plan ${plan.name}: ${trials.length} trials, ${r.added.length} added, ${r.existing.length} already queued (${redactUrl(url)}); checkpoints in ${storeFor(plan)}\n`);
  process.stdout.write(JSON.stringify({ plan: plan.name, trials: trials.length, added: r.added.length, existing: r.existing.length, store: storeFor(plan) }) + "\n");
}

function countStates(rows: TrialStatus[]): Record<string, number> {
  return rows.reduce<Record<string, number>>((c, r) => ({ ...c, [r.state]: (c[r.state] ?? 0) + 1 }), {});
}

async function statusAction(planPath: string, f: Flags): Promise<void> {
  const plan = readPlan(planPath);
  const rows = await withQueue(redisUrlFrom(f.redis), async (q) => (await queueModule()).trialStatuses(q, expandPlan(plan)));
  const axes = axesOf(plan);
  for (const r of rows) {
    const where = axes.map((a) => `${a}=${String(r.trial.params[a])}`).join(" ");
    const what = r.result ? `test acc ${(r.result.test_accuracy * 100).toFixed(2)} %` : r.error ? r.error : r.progress !== null ? `epoch ${r.progress}/${r.trial.spec.epochs}` : "";
    process.stderr.write(`${r.trial.id}  ${r.state.padEnd(9)} ${where}  ${what}\n`);
  }
  process.stdout.write(JSON.stringify({ plan: plan.name, trials: rows.length, ...countStates(rows) }) + "\n");
}

async function reportAction(planPath: string, f: Flags): Promise<void> {
  const plan = readPlan(planPath);
  const rows = await withQueue(redisUrlFrom(f.redis), async (q) => (await queueModule()).trialStatuses(q, expandPlan(plan)));
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
    .description("queue the plan's trials that are not queued yet")
    .option("--redis <url>", redisHelp)
    .option("--dry-run", "list the trials and their ids without contacting Redis")
    .action((plan: string, f: Flags) => submitAction(plan, f));
  sweep.command("status <plan>").description("print each trial's state").option("--redis <url>", redisHelp).action((plan: string, f: Flags) => statusAction(plan, f));
  sweep
    .command("report <plan>")
    .description("write report.html, results.json and the final weights of every finished trial")
    .option("--redis <url>", redisHelp)
    .option("--out <dir>", "report directory (default runs/sweeps/<plan name>-report)")
    .action((plan: string, f: Flags) => reportAction(plan, f));
}
