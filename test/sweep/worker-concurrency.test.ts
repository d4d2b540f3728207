/**
 * `exodus-snn worker --concurrency 2 --store DIR` as a user starts it (a process of its own): 4 toy trials on
 * one worker, two at a time. Every trial completes exactly once (one start and one finish in its
 * attempts.jsonl, by this worker), two trials ran at the same time, the run directories (checkpoints, weights)
 * are in the worker's --store and not in the plan's store, and SIGTERM stops the worker cleanly (exit 0).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { expandPlan, parsePlan } from "../../src/sweep/plan.js";
import { openQueue, submit, trialStatuses, type TrialStatus } from "../../src/sweep/queue.js";
import { readAttempts } from "../../src/sweep/run-trial.js";
import { redisServerAvailable, startRedis } from "./redis-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("one worker, --concurrency 2 and --store DIR: 4 trials, each completed once, two at a time, checkpoints in DIR", { skip: redisServerAvailable() ? false : "redis-server is not installed (.ci/setup-system installs it)", timeout: 120_000 }, async () => {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), "exodus-concurrency-"));
  const planStore = join(dir, "plan-store"), workerStore = join(dir, "mounted-here");
  // long enough (2 epochs of 128 samples, T = 20) that the first two trials overlap
  const plan = parsePlan({ name: "conc", base: { task: "toy", model: "tiny", epochs: 2, lr: 0.02, batchSize: 16, steps: 20, limitTrain: 128, device: "ref" }, seeds: [1, 2, 3, 4], store: planStore });
  const trials = expandPlan(plan);
  const q = openQueue(redis.url);
  let worker: ChildProcess | null = null;
  const log: string[] = [];
  try {
    // queued first, so the worker finds 4 waiting trials and takes two at once
    assert.equal((await submit(q, plan, trials)).added.length, 4);
    worker = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "worker", "--redis", redis.url, "--concurrency", "2", "--store", workerStore], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    worker.stderr!.on("data", (d) => log.push(String(d)));
    const exited = new Promise<number | null>((res) => worker!.once("exit", (code) => res(code)));
    let rows: TrialStatus[] = [];
    for (let i = 0; i < 900; i++) {
      rows = await trialStatuses(q, trials);
      if (rows.every((r) => r.state === "completed" || r.state === "failed")) break;
      await sleep(100);
    }
    assert.deepEqual(rows.map((r) => r.state), ["completed", "completed", "completed", "completed"], log.join(""));
    assert.match(log.join(""), /taking trials from redis:\/\/127\.0\.0\.1:\d+\/? \(concurrency 2, store .*mounted-here\)/);

    const me = `${hostname()}:${worker.pid}`;
    for (const r of rows) {
      const run = join(workerStore, r.trial.id);
      const att = readAttempts(run);
      assert.deepEqual(att.map((a) => [a.event, a.worker, a.epoch]), [["start", me, 0], ["finish", me, 2]], `${r.trial.id}: ${JSON.stringify(att)}`);
      const state = JSON.parse(readFileSync(join(run, "checkpoint", "state.json"), "utf8")) as { epoch?: number; state?: { epoch: number } };
      assert.equal(state.epoch ?? state.state?.epoch, 2, `${r.trial.id} checkpoint after the last epoch`);
      assert.ok(existsSync(join(run, "model.safetensors")));
      assert.equal(r.result!.worker, me);
      assert.equal(r.result!.resumed_from_epoch, 0);
    }
    assert.deepEqual(readdirSync(workerStore).sort(), trials.map((t) => t.id).sort());
    assert.ok(!existsSync(planStore), "the plan's store was not used: the worker's --store replaces it");
    // two trials at once: some pair of [taken, finished] intervals overlaps
    const spans = rows.map((r) => [r.startedAt!, r.finishedAt!] as const);
    const overlaps = spans.some(([s1, e1], i) => spans.some(([s2, e2], j) => i < j && s1 < e2 && s2 < e1));
    assert.ok(overlaps, `no two trials ran at the same time: ${JSON.stringify(spans)}`);

    worker.kill("SIGTERM");
    assert.equal(await exited, 0, log.join(""));
    assert.match(log.join(""), /stopping after the running trials/);
  } finally {
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill("SIGKILL");
    await q.close();
    await redis.stop();
  }
});
