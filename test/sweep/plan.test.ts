/**
 * Plans without Redis: expansion order and count, stable ids, random draws reproduced from the generator's
 * documented test vector, and the validation errors (each a ConfigError naming the key); Redis URLs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, UsageError } from "../../src/errors.js";
import { canonicalJson, trialId } from "../../src/sweep/ids.js";
import { expandPlan, parsePlan } from "../../src/sweep/plan.js";
import { redactUrl, redisUrlFrom } from "../../src/sweep/redis.js";
import { validateSpec } from "../../src/sweep/spec.js";

const base = { task: "toy", model: "tiny", epochs: 2, lr: 0.02, device: "ref" };
const noLr = { task: "toy", model: "tiny", epochs: 2, device: "ref" };

test("grid × seeds expand in plan order (last axis fastest) with defaults filled", () => {
  const trials = expandPlan(parsePlan({ name: "g", base, grid: { gradient: ["exodus", "slayer"], batchSize: [8, 16] }, seeds: [1, 2] }));
  assert.equal(trials.length, 8);
  assert.deepEqual(trials.map((t) => [t.params.gradient, t.params.batchSize, t.params.seed]), [
    ["exodus", 8, 1], ["exodus", 8, 2], ["exodus", 16, 1], ["exodus", 16, 2],
    ["slayer", 8, 1], ["slayer", 8, 2], ["slayer", 16, 1], ["slayer", 16, 2],
  ]);
  assert.deepEqual(trials[0]!.spec, { ...base, gradient: "exodus", batchSize: 8, seed: 1, optimizer: "adam", schedule: "cosine" });
});

test("trial ids: the same on every expansion, different when any setting differs, independent of key order", () => {
  const plan = { name: "ids", base, seeds: [1, 2, 3] };
  const a = expandPlan(parsePlan(plan)).map((t) => t.id);
  assert.deepEqual(expandPlan(parsePlan(structuredClone(plan))).map((t) => t.id), a);
  assert.equal(new Set(a).size, 3);
  for (const id of a) assert.match(id, /^ids-[0-9a-f]{12}$/);
  const b = expandPlan(parsePlan({ ...plan, base: { ...base, epochs: 3 } })).map((t) => t.id);
  assert.equal(a.filter((id) => b.includes(id)).length, 0);
  assert.equal(canonicalJson({ b: 1, a: [2, { d: 3, c: "x" }] }), '{"a":[2,{"c":"x","d":3}],"b":1}');
  const s1 = validateSpec({ ...base, seed: 4 }, "t");
  const s2 = validateSpec({ seed: 4, device: "ref", lr: 0.02, epochs: 2, model: "tiny", task: "toy" }, "t");
  assert.equal(trialId("p", s1), trialId("p", s2));
});

test("random draws come from the plan's seed (mulberry32 test vector: seed 1 → 0.6270739405881613, 0.002735721180215478)", () => {
  const trials = expandPlan(parsePlan({ name: "r", base: noLr, random: { draws: 2, seed: 1, axes: { lr: { uniform: [0.01, 0.03] } } } }));
  const want = [0.01 + 0.02 * 0.6270739405881613, 0.01 + 0.02 * 0.002735721180215478];
  assert.equal(trials.length, 2);
  trials.forEach((t, i) => assert.ok(Math.abs(t.spec.lr - want[i]!) < 1e-15, `draw ${i}: ${t.spec.lr} vs ${want[i]}`));
  const log = expandPlan(parsePlan({ name: "r", base: noLr, random: { draws: 1, seed: 1, axes: { lr: { logUniform: [1e-3, 1e-1] } } } }));
  assert.ok(Math.abs(log[0]!.spec.lr - 10 ** (-3 + 2 * 0.6270739405881613)) < 1e-15);
  // two draws of one choice that agree are one trial
  const dup = expandPlan(parsePlan({ name: "d", base, random: { draws: 6, seed: 3, axes: { gradient: { choice: ["exodus"] } } } }));
  assert.equal(dup.length, 1);
});

test("plan validation: each mistake is a ConfigError naming the key", () => {
  const cases: [unknown, RegExp][] = [
    [{ name: "x", base, grids: {} }, /unknown key 'grids'/],
    [{ name: "x", base: { ...base, learningRate: 1 } }, /base: unknown key 'learningRate'.*lr/],
    [{ name: "x", base, grid: { tauMem: [1] } }, /grid: unknown key 'tauMem'/],
    [{ name: "x", base, grid: { gradient: [] } }, /grid\.gradient is empty/],
    [{ name: "x", base, seeds: [] }, /'seeds' is empty/],
    [{ name: "x", base, random: { draws: 2, axes: {} } }, /random\.axes is empty/],
    [{ name: "x", base, random: { draws: 2, axes: { hidden: { uniform: [1, 9] } } } }, /'hidden' takes discrete values/],
    [{ name: "x", base: noLr, random: { draws: 2, axes: { lr: { uniform: [0.1, 0.01] } } } }, /lo < hi/],
    [{ name: "x", base, grid: { lr: [0.1] } }, /'lr' is set more than once/],
    [{ name: "x", base, grid: { gradient: ["exodus", "magic"] } }, /'gradient' must be one of exodus, bptt, slayer/],
    [{ name: "x", base: { ...base, epochs: 1.5 } }, /'epochs' must be an integer ≥ 1/],
    [{ name: "x", base: { ...base, lr: undefined } }, /'lr' is missing/],
    [{ name: "x", base, grid: { batchSize: [1, 2, 3, 4] }, seeds: [1, 2, 3] , maxTrials: 10 }, /12 trials exceed maxTrials \(10\)/],
    [{ name: "x", base, seeds: Array.from({ length: 1001 }, (_, i) => i) }, /1001 trials exceed maxTrials \(1000\)/],
    [{ name: "bad name!", base }, /'name'/],
    [[1, 2], /one JSON object/],
  ];
  for (const [plan, msg] of cases) {
    assert.throws(() => expandPlan(parsePlan(JSON.parse(JSON.stringify(plan)))), (e: unknown) => e instanceof ConfigError && msg.test(e.message), JSON.stringify(plan));
  }
});

test("a job's settings get the same check as a plan (what the worker runs before training)", () => {
  assert.throws(() => validateSpec({ ...base, rm: "-rf" }, "job j"), (e: unknown) => e instanceof ConfigError && /job j: unknown key 'rm'/.test(e.message));
  assert.throws(() => validateSpec("toy", "job j"), ConfigError);
  assert.throws(() => validateSpec({ ...base, lr: -1 }, "job j"), /'lr' must be > 0/);
});

test("Redis URLs: redis:// and rediss:// with credentials are accepted, other schemes are a UsageError; logs hide the password", () => {
  assert.equal(redisUrlFrom("rediss://user:s3cret@cache.example:6380/2"), "rediss://user:s3cret@cache.example:6380/2");
  assert.equal(redisUrlFrom("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  for (const bad of ["http://host:6379", "localhost:6379", "not a url"]) assert.throws(() => redisUrlFrom(bad), UsageError, bad);
  assert.equal(redactUrl("rediss://user:s3cret@cache.example:6380/2"), "rediss://user:***@cache.example:6380/2");
  const saved = process.env.EXODUS_REDIS_URL;
  delete process.env.EXODUS_REDIS_URL;
  try {
    assert.throws(() => redisUrlFrom(undefined), /--redis/);
  } finally {
    if (saved !== undefined) process.env.EXODUS_REDIS_URL = saved;
  }
});
