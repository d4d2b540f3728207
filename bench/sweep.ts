/**
 * Queue overhead per sweep trial (issue 17; not a test): a throwaway redis-server, one in-process worker,
 * trials of a toy run that trains in milliseconds, submitted one at a time so none waits behind another.
 * Prints medians and 90th percentiles of: submission → a worker starts it (BullMQ's processedOn), the
 * worker's time around the training run (validation, thread hand-off, result and weights into Redis),
 * finish → the submitter hears of it (QueueEvents), and the report's read-back per trial
 * (`sweep report` minus file writing). Usage: npm run bench:sweep [-- --trials N]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueueEvents } from "bullmq";
import { expandPlan, parsePlan } from "../src/sweep/plan.js";
import { openQueue, submit, trialStatuses } from "../src/sweep/queue.js";
import { connectionFor, QUEUE_NAME } from "../src/sweep/redis.js";
import { renderSweepReport } from "../src/sweep/report.js";
import { startWorker } from "../src/sweep/worker.js";
import { startRedis } from "../test/sweep/redis-server.js";

const args = process.argv.slice(2);
const at = args.indexOf("--trials");
const N = at >= 0 ? Number(args[at + 1]) : 30;
const quantile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const row = (name: string, xs: number[]) => console.log(`| ${name} | ${quantile(xs, 0.5).toFixed(1)} | ${quantile(xs, 0.9).toFixed(1)} |`);

const redis = await startRedis();
const store = join(mkdtempSync(join(tmpdir(), "exodus-bench-sweep-")), "store");
const q = openQueue(redis.url);
const events = new QueueEvents(QUEUE_NAME, { connection: connectionFor(redis.url) });
const worker = startWorker({ url: redis.url });
try {
  await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
  const base = { task: "toy", model: "tiny", epochs: 1, lr: 0.02, batchSize: 16, limitTrain: 16, limitTest: 16, steps: 5, device: "ref" };
  // seed 0 warms the training thread up (module loading) and is not counted
  const plan = parsePlan({ name: "bench", base, seeds: Array.from({ length: N + 1 }, (_, i) => i), store });
  const trials = expandPlan(plan);
  const toStart: number[] = [], inWorker: number[] = [], toClient: number[] = [], training: number[] = [];
  for (const [i, t] of trials.entries()) {
    const t0 = Date.now();
    await submit(q, { ...plan, seeds: [t.spec.seed] }, [t]);
    const job = (await q.getJob(t.id))!;
    await job.waitUntilFinished(events, 60_000);
    const t1 = Date.now();
    const done = (await q.getJob(t.id))!;
    if (i === 0) continue;
    const run = done.returnvalue.seconds * 1000;
    toStart.push(done.processedOn! - t0);
    inWorker.push(done.finishedOn! - done.processedOn! - run);
    toClient.push(t1 - done.finishedOn!);
    training.push(run);
  }
  const r0 = performance.now();
  const rows = await trialStatuses(q, trials.slice(1));
  renderSweepReport(plan, rows);
  const reportPer = (performance.now() - r0) / N;
  console.log(`${N} trials, one worker (concurrency 1), redis-server on 127.0.0.1, toy trial of 1 epoch on ref; ms:`);
  console.log("| per trial | median ms | p90 ms |\n|---|---|---|");
  row("submission → worker starts it", toStart);
  row("worker overhead around the run (validation, thread hand-off, result + weights into Redis)", inWorker);
  row("finish → submitter notified (QueueEvents)", toClient);
  row("the training run itself (runTrial, for scale)", training);
  console.log(`| report read-back (status + result + weights from Redis, HTML), per trial | ${reportPer.toFixed(1)} | – |`);
} finally {
  await worker.close();
  await events.close();
  await q.close();
  await redis.stop();
}
