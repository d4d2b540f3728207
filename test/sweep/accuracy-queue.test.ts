/**
 * `experiment accuracy --redis`: the grid (2 variants × 1 seed on a tiny SHD file) goes through the sweep's
 * queue to one worker and comes back with the same numbers as a local run with the same seed; re-running
 * reuses the finished jobs; a job whose run fails validation, or whose id does not match it, is refused.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Queue } from "bullmq";
import { planEventAccuracy, runEventAccuracy, type EventAccuracyOptions } from "../../src/experiments/accuracy-event.js";
import { accuracyRunId, queueRunner } from "../../src/sweep/accuracy-jobs.js";
import { QUEUE_NAME } from "../../src/sweep/redis.js";
import { startWorker } from "../../src/sweep/worker.js";
import { writeTinyShd } from "../experiments/tiny-shd.js";
import { redisServerAvailable, startRedis } from "./redis-server.js";

test("accuracy grid through the queue equals a local run", { skip: redisServerAvailable() ? false : "redis-server is not installed (.ci/setup-system installs it)", timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-acc-queue-"));
  // the worker thread and this process share the frame cache through the environment
  process.env.EXODUS_SNN_HOME = join(dir, "home");
  const data = (await writeTinyShd(dir)).replace(/\.h5$/, "_train.h5");
  const o: EventAccuracyOptions = { task: "shd", data, epochs: 1, seeds: 1, timeBins: 20, batchSize: 16, slayerScales: [1], withBptt: false, limitTrain: 80 };
  const local = await runEventAccuracy(o);
  const redis = await startRedis();
  const worker = startWorker({ url: redis.url, lockMs: 2000 });
  const q = new Queue(QUEUE_NAME, { connection: { url: redis.url } });
  try {
    const remote = await runEventAccuracy(o, queueRunner(redis.url, { pollMs: 100 }));
    const numbers = (r: typeof local) => r.runs.map((x) => [x.variant, x.engine, x.gradScale, x.seed, x.valAcc, x.testAcc, x.finalLoss]);
    assert.equal(local.runs.length, 2);
    assert.deepEqual(numbers(remote), numbers(local));
    assert.deepEqual(remote.summary.map((t) => ({ ...t, rows: t.rows.map((r) => ({ ...r, seconds: 0 })) })), local.summary.map((t) => ({ ...t, rows: t.rows.map((r) => ({ ...r, seconds: 0 })) })));
    // every run is a job with a stable id; a second submission adds nothing and reuses the results
    const ids = planEventAccuracy(o).runs.map(accuracyRunId);
    for (const id of ids) assert.equal(await (await q.getJob(id))!.getState(), "completed");
    const lines: string[] = [];
    const again = await runEventAccuracy({ ...o, log: (s) => lines.push(s) }, queueRunner(redis.url, { pollMs: 100 }));
    assert.deepEqual(numbers(again), numbers(local));
    assert.ok(lines.some((l) => /2 runs on the queue \(0 added, 2 there already/.test(l)), lines.join("\n"));

    // written by something else: an unknown key, and a run whose id is not its hash
    const run = planEventAccuracy(o).runs[0]!;
    await q.add("accuracy-run", { kind: "accuracy-run", runId: "accuracy-evil", run: { ...run, rm: "-rf" } }, { jobId: "accuracy-evil", attempts: 1 });
    await q.add("accuracy-run", { kind: "accuracy-run", runId: "accuracy-shd-000000000000", run }, { jobId: "accuracy-shd-000000000000", attempts: 1 });
    for (const [id, why] of [["accuracy-evil", /refused: job accuracy-evil: unknown key 'rm'/], ["accuracy-shd-000000000000", /refused: job id accuracy-shd-000000000000 does not match its run/]] as const) {
      for (let i = 0; i < 100 && !(await (await q.getJob(id))!.isFailed()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match((await q.getJob(id))!.failedReason, why);
    }
  } finally {
    await q.close();
    await worker.close();
    await redis.stop();
  }
});
