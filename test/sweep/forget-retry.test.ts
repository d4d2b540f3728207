/**
 * Running a plan again, on a real redis-server with one in-process worker and the sweep commands run in-process:
 * - failed trials stay failed when the plan is re-submitted (only missing trials are added), `sweep status`
 *   counts them and names --retry-failed, and `--retry-failed` re-queues them: here the trials fail because
 *   their data file is missing, and complete once it exists, under the same settings and ids;
 * - `sweep forget` lists the plan's jobs (an earlier version's too) and removes nothing without --yes; with
 *   --yes no key and no queue entry of the plan's jobs is left in Redis while another plan's job stays,
 *   the plan can be submitted again in full, and --runs deletes its run directories; a job a worker holds
 *   is not removed.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Redis } from "ioredis";
import { main } from "../../src/cli/main.js";
import { expandPlan, parsePlan, type Trial } from "../../src/sweep/plan.js";
import { openQueue, trialStatuses, type TrialStatus } from "../../src/sweep/queue.js";
import { startWorker } from "../../src/sweep/worker.js";
import { writeTinyShd } from "../experiments/tiny-shd.js";
import { redisServerAvailable, startRedis } from "./redis-server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** main() with stdout and stderr captured; the last stdout line parsed as the command's JSON result. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string; json: Record<string, unknown> | null }> {
  const out: string[] = [], err: string[] = [];
  const [o, e] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
  const last = out.join("").trim().split("\n").pop() ?? "";
  return { code, out: out.join(""), err: err.join(""), json: last.startsWith("{") ? (JSON.parse(last) as Record<string, unknown>) : null };
}

/** Every key in the database and every member of every list, set and sorted set: where a job id could hide. */
async function everything(url: string): Promise<{ keys: string[]; members: string[] }> {
  const r = new Redis(url);
  try {
    // a worker's stalled-check key comes and goes by itself
    const keys = (await r.keys("*")).filter((k) => !k.endsWith(":stalled-check")).sort();
    const members: string[] = [];
    for (const k of keys) {
      const type = await r.type(k);
      if (type === "list") members.push(...(await r.lrange(k, 0, -1)));
      else if (type === "zset") members.push(...(await r.zrange(k, "0", "-1")));
      else if (type === "set") members.push(...(await r.smembers(k)));
    }
    return { keys, members };
  } finally {
    r.disconnect();
  }
}

test("re-submitting, --retry-failed, status, and forget", { skip: redisServerAvailable() ? false : "redis-server is not installed (.ci/setup-system installs it)", timeout: 180_000 }, async () => {
  const redis = await startRedis({ password: "pw" });
  const dir = mkdtempSync(join(tmpdir(), "exodus-forget-"));
  // frame cache of the worker's trials (the training thread inherits the environment)
  process.env.EXODUS_SNN_HOME = join(dir, "home");
  const store = join(dir, "store");
  const data = join(dir, "data", "tiny_train.h5");
  const base = { task: "shd", model: "tiny", epochs: 1, lr: 0.01, batchSize: 10, device: "ref", data, timeBins: 8, downsample: 1 / 7 };
  const planFile = (seeds: number[]) => {
    const p = join(dir, `plan-${seeds.join("")}.json`);
    writeFileSync(p, JSON.stringify({ name: "again", base, seeds, store }));
    return p;
  };
  const plan12 = planFile([1, 2]), plan123 = planFile([1, 2, 3]);
  const trials = expandPlan(parsePlan({ name: "again", base, seeds: [1, 2, 3], store }));
  const ids = trials.map((t) => t.id);
  const q = openQueue(redis.url);
  let worker = startWorker({ url: redis.url, lockMs: 1000 });
  const settle = async (ts: Trial[]): Promise<TrialStatus[]> => {
    for (let i = 0; i < 600; i++) {
      const rows = await trialStatuses(q, ts);
      if (rows.every((r) => r.state === "completed" || r.state === "failed")) return rows;
      await sleep(100);
    }
    throw new Error("trials did not finish in 60 s");
  };
  try {
    // 1. the data file is missing: both trials fail with the reader's error
    const s1 = await cli(["sweep", plan12, "--redis", redis.url]);
    assert.equal(s1.code, 0, s1.err);
    assert.deepEqual(s1.json, { plan: "again", trials: 2, added: 2, existing: 0, retried: 0, failed: 0, store });
    let rows = await settle(trials.slice(0, 2));
    assert.deepEqual(rows.map((r) => r.state), ["failed", "failed"]);
    assert.match(rows[0]!.error!, /ConfigError: shd: .*tiny_train\.h5 does not exist/);
    const st = await cli(["sweep", "status", plan12, "--redis", redis.url]);
    assert.equal(st.code, 0, st.err);
    assert.deepEqual(st.json, { plan: "again", trials: 2, failed: 2 });
    assert.match(st.err, new RegExp(`2 of 2 trials failed \\(errors above\\); once the cause is fixed, re-queue them with: exodus-snn sweep ${plan12} --redis <url> --retry-failed`));

    // 2. the data arrives; a plain re-submission adds only the new trial and leaves the failed ones failed
    mkdirSync(join(dir, "data"));
    await writeTinyShd(join(dir, "data"), { train: 20, test: 10 });
    const s2 = await cli(["sweep", plan123, "--redis", redis.url]);
    assert.equal(s2.code, 0, s2.err);
    assert.deepEqual(s2.json, { plan: "again", trials: 3, added: 1, existing: 2, retried: 0, failed: 2, store });
    assert.match(s2.err, /2 failed \(re-queue them with --retry-failed\)/);
    rows = await settle(trials);
    assert.deepEqual(rows.map((r) => r.state), ["failed", "failed", "completed"]);
    // 3. --retry-failed: the same jobs (same ids) run again and complete
    const s3 = await cli(["sweep", plan123, "--redis", redis.url, "--retry-failed"]);
    assert.equal(s3.code, 0, s3.err);
    assert.deepEqual(s3.json, { plan: "again", trials: 3, added: 0, existing: 3, retried: 2, failed: 0, store });
    rows = await settle(trials);
    assert.deepEqual(rows.map((r) => r.state), ["completed", "completed", "completed"]);
    for (const r of rows) assert.ok(r.result!.test_accuracy >= 0 && r.result!.epochs === 1, r.trial.id);
    const st2 = await cli(["sweep", "status", plan123, "--redis", redis.url]);
    assert.deepEqual(st2.json, { plan: "again", trials: 3, completed: 3 });
    assert.doesNotMatch(st2.err, /retry-failed/);

    // another plan's job, which forget must leave alone
    const otherRaw = { name: "again-other", base: { task: "toy", model: "tiny", epochs: 1, lr: 0.02, batchSize: 16, device: "ref" }, store };
    const otherFile = join(dir, "other.json");
    writeFileSync(otherFile, JSON.stringify(otherRaw));
    const so = await cli(["sweep", otherFile, "--redis", redis.url]);
    assert.equal(so.code, 0, so.err);
    const otherTrials = expandPlan(parsePlan(otherRaw));
    assert.equal((await settle(otherTrials))[0]!.state, "completed");
    const before = await everything(redis.url);
    assert.ok(before.keys.some((k) => k.endsWith(`:${ids[0]}`)), "the job hash is where this test looks for it");

    // 4. forget without --yes: the list (the seed-3 trial is not in plan12, but it is the plan's), nothing removed
    const dry = await cli(["sweep", "forget", plan12, "--redis", redis.url]);
    assert.equal(dry.code, 2, dry.err);
    assert.deepEqual(dry.out.trim().split("\n").map((l) => l.split(/\s+/).slice(0, 2)), ids.map((id) => [id, "completed"]));
    assert.match(dry.out, new RegExp(`${ids[2]}  completed  \\(not in the plan file now`));
    assert.match(dry.err, /UsageError: nothing removed: 3 job\(s\) of plan again in redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? would be removed \(listed above\); add --yes to remove them \(3 run directories in .* would stay: add --runs/);
    assert.deepEqual(await everything(redis.url), before);

    // 5. forget --yes: not a trace of the plan's jobs; the other plan's job and its result stay
    const f1 = await cli(["sweep", "forget", plan12, "--redis", redis.url, "--yes"]);
    assert.equal(f1.code, 0, f1.err);
    assert.deepEqual(f1.json, { plan: "again", removed: 3, run_dirs_deleted: 0, run_dirs_kept: 3 });
    assert.match(f1.err, /3 run directories stay in .*, where a re-submitted trial resumes from its checkpoint \(add --runs to delete them too\)/);
    const after = await everything(redis.url);
    for (const id of ids) {
      assert.deepEqual(after.keys.filter((k) => k.includes(id)), [], `keys of ${id}`);
      assert.ok(!after.members.includes(id), `${id} is still listed in a queue structure`);
    }
    assert.ok(after.keys.some((k) => k.endsWith(`:${otherTrials[0]!.id}`)));
    assert.ok(after.members.includes(otherTrials[0]!.id));
    assert.equal((await trialStatuses(q, otherTrials))[0]!.state, "completed");
    assert.deepEqual(readdirSync(store).sort(), [...ids, otherTrials[0]!.id].sort());

    // 6. the plan is new again: every trial is added; forget --runs also deletes the run directories
    await worker.close();
    const s4 = await cli(["sweep", plan123, "--redis", redis.url]);
    assert.deepEqual(s4.json, { plan: "again", trials: 3, added: 3, existing: 0, retried: 0, failed: 0, store });
    const f2 = await cli(["sweep", "forget", plan123, "--redis", redis.url, "--yes", "--runs"]);
    assert.equal(f2.code, 0, f2.err);
    assert.deepEqual(f2.json, { plan: "again", removed: 3, run_dirs_deleted: 3, run_dirs_kept: 0 });
    assert.deepEqual(readdirSync(store), [otherTrials[0]!.id]);
    assert.deepEqual((await trialStatuses(q, trials)).map((r) => r.state), ["missing", "missing", "missing"]);

    // 7. a trial a worker is training is not removed (nothing is); once its worker is gone, it can be
    const longRaw = { name: "again-long", base: { task: "toy", model: "tiny", epochs: 500, lr: 0.02, batchSize: 16, device: "ref" }, store };
    const longFile = join(dir, "long.json");
    writeFileSync(longFile, JSON.stringify(longRaw));
    const longTrials = expandPlan(parsePlan(longRaw));
    const sl = await cli(["sweep", longFile, "--redis", redis.url]);
    assert.equal(sl.code, 0, sl.err);
    worker = startWorker({ url: redis.url, lockMs: 1000 });
    for (let i = 0; i < 300 && (await trialStatuses(q, longTrials))[0]!.state !== "active"; i++) await sleep(50);
    const busy = await cli(["sweep", "forget", longFile, "--redis", redis.url, "--yes"]);
    assert.equal(busy.code, 2, busy.err);
    assert.match(busy.out, /a worker is training it/);
    assert.match(busy.err, new RegExp(`nothing removed: 1 trial\\(s\\) of plan again-long are being trained \\(${longTrials[0]!.id}\\)`));
    assert.equal((await trialStatuses(q, longTrials))[0]!.state, "active");
    // the worker is stopped without finishing the trial: its lock lapses (1 s)
    await worker.close(true);
    await sleep(1500);
    const freed = await cli(["sweep", "forget", longFile, "--redis", redis.url, "--yes"]);
    assert.equal(freed.code, 0, freed.err);
    assert.equal(freed.json!.removed, 1);
    assert.equal((await trialStatuses(q, longTrials))[0]!.state, "missing");
  } finally {
    await worker.close(true).catch(() => undefined);
    await q.close();
    await redis.stop();
  }
});
