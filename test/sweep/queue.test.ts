/**
 * The queue with a real redis-server and one in-process worker: re-submitting adds only missing trials;
 * a job whose settings fail validation, or whose id does not match them, is refused; a trial that fails by
 * itself is marked failed with its error and not retried; `sweep report` writes the table, one chart per
 * axis and the final weights, byte-equal to those the run wrote, from Redis alone; a wrong password is a
 * ConnectionError (exit 4) that says what to check. The server requires a password throughout.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { expandPlan, parsePlan } from "../../src/sweep/plan.js";
import { openQueue, submit, trialStatuses, type TrialStatus } from "../../src/sweep/queue.js";
import { startWorker } from "../../src/sweep/worker.js";
import type { Trial } from "../../src/sweep/plan.js";
import { redisServerAvailable, startRedis } from "./redis-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("submit, refuse, fail once, report", { skip: redisServerAvailable() ? false : "redis-server is not installed (.ci/setup-system installs it)", timeout: 120_000 }, async () => {
  // with a password, as a server reachable from other machines should have
  const redis = await startRedis({ password: "s3cret/pw" });
  const dir = mkdtempSync(join(tmpdir(), "exodus-queue-"));
  const store = join(dir, "store");
  const q = openQueue(redis.url);
  const worker = startWorker({ url: redis.url, lockMs: 1000 });
  const waitDone = async (trials: Trial[]): Promise<TrialStatus[]> => {
    for (let i = 0; i < 300; i++) {
      const rows = await trialStatuses(q, trials);
      if (rows.every((r) => r.state === "completed" || r.state === "failed")) return rows;
      await sleep(100);
    }
    throw new Error("trials did not finish in 30 s");
  };
  try {
    const base = { task: "toy", model: "tiny", epochs: 2, lr: 0.02, batchSize: 16, device: "ref" };
    const plan2 = parsePlan({ name: "q", base, seeds: [1, 2], store });
    const r1 = await submit(q, plan2, expandPlan(plan2));
    assert.equal(r1.added.length, 2);
    const r2 = await submit(q, plan2, expandPlan(plan2));
    assert.deepEqual([r2.added.length, r2.existing.length], [0, 2]);
    const plan3 = parsePlan({ name: "q", base, seeds: [1, 2, 3], store });
    const trials3 = expandPlan(plan3);
    const r3 = await submit(q, plan3, trials3);
    assert.deepEqual(r3.added, [trials3[2]!.id]);

    // settings no plan would produce, written to the queue by something else
    const evil = { plan: "q", trialId: "q-evil", spec: { ...base, rm: "-rf" }, store };
    await q.add("q", evil as never, { jobId: "q-evil", attempts: 1 });
    await q.add("q", { plan: "q", trialId: "q-000000000000", spec: { ...trials3[0]!.spec }, store }, { jobId: "q-000000000000", attempts: 1 });
    // passes validation, fails when the task is built (mnist-rate fixes the rate code)
    const badPlan = parsePlan({ name: "bad", base: { ...base, task: "mnist-rate", encoding: "latency" }, store });
    const bad = expandPlan(badPlan);
    await submit(q, badPlan, bad);

    const rows = await waitDone(trials3);
    assert.deepEqual(rows.map((r) => r.state), ["completed", "completed", "completed"]);
    const refused = await Promise.all(["q-evil", "q-000000000000"].map((id) => q.getJob(id)));
    for (const j of refused) assert.equal(await j!.getState(), "failed");
    assert.match(refused[0]!.failedReason, /refused: job q-evil: unknown key 'rm'/);
    assert.match(refused[1]!.failedReason, /refused: job id q-000000000000 does not match its settings/);
    const [failed] = await waitDone(bad);
    assert.equal(failed!.state, "failed");
    assert.match(failed!.error!, /ConfigError: task 'mnist-rate' already fixes the encoding/);
    // not retried: still failed, one attempt, after two stalled-check periods
    await sleep(2500);
    const again = (await q.getJob(bad[0]!.id))!;
    assert.equal(await again.getState(), "failed");
    assert.equal(again.attemptsMade, 1);

    const planFile = join(dir, "plan.json");
    writeFileSync(planFile, JSON.stringify({ name: "q", base, seeds: [1, 2, 3], store }));
    const out = join(dir, "report");
    const rep = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "sweep", "report", planFile, "--redis", redis.url, "--out", out], { cwd: root, encoding: "utf8" });
    assert.equal(rep.status, 0, rep.stderr);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { id: string; state: string; result: { test_accuracy: number } | null }[];
    assert.deepEqual(results.map((r) => [r.id, r.state]), trials3.map((t) => [t.id, "completed"]));
    for (const t of trials3) {
      assert.deepEqual(readFileSync(join(out, "weights", `${t.id}.safetensors`)), readFileSync(join(store, t.id, "model.safetensors")), t.id);
    }
    const wrong = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "sweep", "status", planFile, "--redis", redis.url.replace("s3cret", "wrong")], { cwd: root, encoding: "utf8" });
    assert.equal(wrong.status, 4, wrong.stderr);
    assert.match(wrong.stderr, /ConnectionError: cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(WRONGPASS.*check --redis/);
    const html = readFileSync(join(out, "report.html"), "utf8");
    assert.equal((html.match(/<svg/g) ?? []).length, 1, "one chart: the seed axis");
    assert.equal((html.match(/<tr><td>q-/g) ?? []).length, 3);
  } finally {
    await worker.close();
    await q.close();
    await redis.stop();
  }
});
