/**
 * `experiment accuracy --task shd --data FILE.h5` on a tiny SHD-format file: the artefacts name the command,
 * the data and every variant; the same seed gives the same numbers twice; EXODUS and BPTT, whose gradients
 * are equal, train to the same loss from the same weights and batches; the validation split holds out whole
 * speakers; a missing file is a ConfigError (exit 2) naming it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { AccuracyResult } from "../../src/experiments/accuracy.js";
import { loadEventFrames, pickValidation } from "../../src/train/tasks/event-frames.js";
import { createTask } from "../../src/train/tasks/table.js";
import type { EventTask } from "../../src/train/tasks/event-task.js";
import { Rng } from "../../src/util/rng.js";
import { writeTinyShd } from "./tiny-shd.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

function cli(args: string[], home: string) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, EXODUS_SNN_HOME: home } });
}

test("experiment accuracy --task shd: artefacts, same seed → same numbers, EXODUS = BPTT", { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-acc-shd-"));
  const data = await writeTinyShd(dir);
  const args = ["experiment", "accuracy", "--task", "shd", "--data", data, "--epochs", "1", "--seeds", "1", "--time-bins", "25", "--batch-size", "16", "--slayer-scales", "0.1,1"];
  const a = cli([...args, "--out", join(dir, "a")], join(dir, "home"));
  assert.equal(a.status, 0, a.stderr + a.stdout);
  // the second run reads the frames from the cache the first one wrote
  const b = cli([...args, "--out", join(dir, "b")], join(dir, "home"));
  assert.equal(b.status, 0, b.stderr);
  const ra = JSON.parse(readFileSync(join(dir, "a", "accuracy-shd.json"), "utf8")) as AccuracyResult;
  const rb = JSON.parse(readFileSync(join(dir, "b", "accuracy-shd.json"), "utf8")) as AccuracyResult;
  const numbers = (r: AccuracyResult) => r.runs.map((x) => [x.variant, x.seed, x.valAcc, x.testAcc, x.finalLoss]);
  assert.deepEqual(numbers(ra), numbers(rb));
  assert.deepEqual(ra.runs.map((x) => x.variant), ["exodus", "slayer s=0.1", "slayer s=1", "bptt"]);
  const loss = (v: string) => ra.runs.find((x) => x.variant === v)!.finalLoss;
  assert.ok(Math.abs(loss("exodus") - loss("bptt")) < 1e-4, `EXODUS ${loss("exodus")} vs BPTT ${loss("bptt")}`);
  assert.notEqual(loss("slayer s=0.1"), loss("exodus"), "the SLAYER scale must change training");
  assert.ok(Number.isFinite(ra.summary[0]!.slayerBestScale));
  // 120 training samples: 8 speakers of 15, whole speakers (≥ 15 %) held out for validation
  assert.match(ra.provenance!.data, /tiny_train\.h5 \(with \S+tiny_test\.h5\): 90 training samples, 30 validation, 40 test; validation: 30 samples of 2 speaker\(s\) held out/);
  const md = readFileSync(join(dir, "a", "accuracy-shd.md"), "utf8");
  assert.match(md, /Command: `exodus-snn experiment accuracy --task shd --data \S+tiny\.h5 --epochs 1/);
  assert.match(md, /count baseline \d+\.\d %/);
  for (const v of ["exodus", "slayer s=0.1", "slayer s=1", "bptt"]) assert.match(md, new RegExp(`\\| ${v.replace(".", "\\.")}( \\(best\\))? \\| \\d+\\.\\d ± \\d+\\.\\d \\|`));
  assert.match(readFileSync(join(dir, "a", "accuracy-shd.svg"), "utf8"), /^<svg/);
  assert.match(a.stdout, /estimate: 4 runs/);
});

test("experiment accuracy --task shd: a missing --data file is a ConfigError (exit 2) naming it", () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-acc-shd-"));
  const missing = join(dir, "nope.h5");
  const r = cli(["experiment", "accuracy", "--task", "shd", "--data", missing, "--no-write"], join(dir, "home"));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /ConfigError/);
  assert.ok(r.stderr.includes(missing), r.stderr);
  const t = cli(["experiment", "accuracy", "--task", "toy", "--data", missing, "--no-write"], join(dir, "home"));
  assert.equal(t.status, 2);
  assert.match(t.stderr, /only the event datasets/);
});

test("validation split: whole speakers, a fixed choice, at least the fraction; random without speakers", () => {
  const speakers = Int32Array.from({ length: 100 }, (_, i) => i % 10);
  const a = pickValidation(100, speakers, 0.15);
  assert.equal(a.by, "speaker");
  assert.equal(a.valSpeakers.length, 2);
  assert.deepEqual([...a.val].map((i) => speakers[i]).filter((s, i, xs) => xs.indexOf(s) === i).sort(), a.valSpeakers);
  assert.deepEqual(pickValidation(100, speakers, 0.15).val, a.val);
  // one speaker only: a random subset
  const r = pickValidation(100, new Int32Array(100), 0.2);
  assert.equal(r.by, "random");
  assert.equal(r.val.length, 20);
});

test("EventFrameTask holds the same batches the Trainer's EventTask encodes, split by speaker", async () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-acc-shd-"));
  const data = (await writeTinyShd(dir)).replace(/\.h5$/, "_train.h5");
  const task = (await createTask("shd", { data, timeBins: 12, cacheDir: join(dir, "cache") })) as EventTask;
  const frames = await loadEventFrames(task, { valFraction: 0.15 });
  const val = frames.evaluatingOn("val");
  assert.deepEqual([frames.size("train"), val.size("test"), frames.size("test")], [90, 30, 40]);
  // tiny-shd gives sample i of the training file speaker i % 8: rebuild which file index each split row is
  const held = new Set(frames.val.valSpeakers);
  const trainIdx = Array.from({ length: 120 }, (_, i) => i).filter((i) => !held.has(i % 8));
  const valIdx = Array.from({ length: 120 }, (_, i) => i).filter((i) => held.has(i % 8));
  const rng = new Rng(0);
  const same = async (got: Float32Array, split: "train" | "test", idx: number[]) => assert.deepEqual(got, await task.encode(split, idx, rng));
  await same(frames.encode("train", [0, 5, 89], rng), "train", [trainIdx[0]!, trainIdx[5]!, trainIdx[89]!]);
  await same(val.encode("test", [0, 29], rng) as Float32Array, "train", [valIdx[0]!, valIdx[29]!]);
  await same(frames.encode("test", [3, 39], rng), "test", [3, 39]);
  assert.deepEqual([frames.label("train", 5), val.label("test", 29)], [task.label("train", trainIdx[5]!), task.label("train", valIdx[29]!)]);
  assert.ok((await task.encode("train", [0], rng)).some((v) => v > 0), "the frames must not be empty");
});
