/**
 * The acceptance test: a 6-trial toy plan, two worker processes, one killed with SIGKILL in the
 * middle of a trial after at least one epoch's checkpoint. Every trial must complete exactly once (one
 * "finish" line per trial in its attempts.jsonl), the killed trial must be resumed by the other worker from
 * its checkpoint, and every result must equal what `exodus-snn train` gives locally with the same settings.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { hostname } from "node:os";
import { expandPlan, readPlan } from "../../src/sweep/plan.js";
import { openQueue, trialStatuses, type TrialStatus } from "../../src/sweep/queue.js";
import { readAttempts } from "../../src/sweep/run-trial.js";
import { redisServerAvailable, startRedis } from "./redis-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (code) => res({ code, stdout, stderr }));
  });
}

function startWorker(url: string, log: string[]): ChildProcess {
  const p = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "worker", "--redis", url, "--lock-ms", "2000"], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  p.stderr!.on("data", (d) => log.push(String(d)));
  return p;
}

test("two workers, one killed mid-trial: every trial completes once, the killed one resumes, results equal local runs", { skip: redisServerAvailable() ? false : "redis-server is not installed (.ci/setup-system installs it)", timeout: 180_000 }, async () => {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), "exodus-sweep-"));
  const store = join(dir, "store");
  const planPath = join(dir, "plan.json");
  // epochs long enough (T=30, 192 samples) that the kill lands inside a trial, after its first checkpoint
  const base = { task: "toy", model: "tiny", epochs: 4, lr: 0.02, batchSize: 16, steps: 30, limitTrain: 192, device: "ref" };
  writeFileSync(planPath, JSON.stringify({ name: "kill-test", base, grid: { gradient: ["exodus", "slayer"] }, seeds: [1, 2, 3], store }));
  const workers: ChildProcess[] = [];
  const logs: string[][] = [[], []];
  try {
    const sub = await cli(["sweep", planPath, "--redis", redis.url]);
    assert.equal(sub.code, 0, sub.stderr);
    assert.deepEqual(JSON.parse(sub.stdout.trim().split("\n").pop()!), { plan: "kill-test", trials: 6, added: 6, existing: 0, retried: 0, failed: 0, store });

    workers.push(startWorker(redis.url, logs[0]!), startWorker(redis.url, logs[1]!));
    const victim = workers[0]!;
    const victimName = `${hostname()}:${victim.pid}`;
    // kill the first worker once a trial it runs has a checkpoint and has not finished
    let killedTrial: string | null = null;
    for (let i = 0; i < 1500 && !killedTrial; i++) {
      await sleep(20);
      if (!existsSync(store)) continue;
      for (const id of readdirSync(store)) {
        const att = readAttempts(join(store, id));
        const mine = att.length === 1 && att[0]!.event === "start" && att[0]!.worker === victimName;
        if (mine && existsSync(join(store, id, "checkpoint", "state.json"))) {
          victim.kill("SIGKILL");
          killedTrial = id;
          break;
        }
      }
    }
    assert.ok(killedTrial, `worker 1 never held a checkpointed trial:\n${logs[0]!.join("")}`);
    const stateAtKill = JSON.parse(readFileSync(join(store, killedTrial, "checkpoint", "state.json"), "utf8")) as { epoch?: number; state?: { epoch: number } };

    const plan = readPlan(planPath);
    const trials = expandPlan(plan);
    const q = openQueue(redis.url);
    let rows: TrialStatus[] = [];
    try {
      for (let i = 0; i < 600; i++) {
        rows = await trialStatuses(q, trials);
        if (rows.every((r) => r.state === "completed" || r.state === "failed")) break;
        await sleep(200);
      }
    } finally {
      await q.close();
    }
    assert.deepEqual(rows.map((r) => r.state), Array(6).fill("completed"), `trial states; worker 2 log:\n${logs[1]!.join("")}`);

    for (const r of rows) {
      const att = readAttempts(join(store, r.trial.id));
      assert.equal(att.filter((a) => a.event === "finish").length, 1, `${r.trial.id} finished once: ${JSON.stringify(att)}`);
    }
    const att = readAttempts(join(store, killedTrial));
    const starts = att.filter((a) => a.event === "start");
    assert.equal(starts.length, 2, `killed trial started twice: ${JSON.stringify(att)}`);
    assert.equal(starts[0]!.worker, victimName);
    assert.notEqual(starts[1]!.worker, victimName);
    assert.ok(starts[1]!.epoch >= 1, `resumed from epoch ${starts[1]!.epoch}, not from scratch (checkpoint at kill: ${JSON.stringify(stateAtKill)})`);
    const killedRow = rows.find((r) => r.trial.id === killedTrial)!;
    assert.equal(killedRow.result!.resumed_from_epoch, starts[1]!.epoch);

    // the reference: the ordinary train command, same settings, no queue, no interruption
    for (const r of rows) {
      const s = r.trial.spec;
      const local = await cli(["train", "--task", s.task, "--model", s.model, "--gradient", s.gradient, "--epochs", String(s.epochs), "--lr", String(s.lr),
        "--batch-size", String(s.batchSize), "--steps", String(s.steps), "--limit-train", String(s.limitTrain), "--seed", String(s.seed),
        "--device", "ref", "--out", join(dir, "local", r.trial.id), "--no-progress"]);
      assert.equal(local.code, 0, local.stderr);
      const want = JSON.parse(local.stdout.trim().split("\n").pop()!) as Record<string, number>;
      const got = r.result!;
      assert.deepEqual(
        { test_accuracy: got.test_accuracy, test_loss: got.test_loss, train_accuracy: got.train_accuracy, epochs: got.epochs },
        { test_accuracy: want.test_accuracy, test_loss: want.test_loss, train_accuracy: want.train_accuracy, epochs: want.epochs },
        `${r.trial.id} ${JSON.stringify(r.trial.params)}${r.trial.id === killedTrial ? " (the killed trial)" : ""}`,
      );
    }
  } finally {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
    await redis.stop();
  }
});
