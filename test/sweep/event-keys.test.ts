/**
 * A plan over an event dataset: its base and axes take the keys `exodus-snn train` takes for the event datasets
 * (data, timeBins, timeWindowUs, downsample), each validated as the train flags are (a ConfigError naming the
 * key), and a trial's config opens the dataset with them, as `train --data … --time-bins … --downsample …` does.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../src/errors.js";
import { expandPlan, parsePlan } from "../../src/sweep/plan.js";
import { trainConfigFor, validateSpec } from "../../src/sweep/spec.js";
import { taskFor } from "../../src/train/run.js";
import { writeTinyShd } from "../experiments/tiny-shd.js";

test("event-dataset keys in a plan: validated like the train flags, and a trial's task is binned and downsampled by them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-event-plan-"));
  // the frame cache goes to the exodus-snn home: keep it in this test's folder
  process.env.EXODUS_SNN_HOME = join(dir, "home");
  // the train file stands for the pair (its _test.h5 beside it), as `train --data` takes it
  const data = (await writeTinyShd(dir, { train: 20, test: 10 })).replace(/\.h5$/, "_train.h5");
  const base = { task: "shd", model: "tiny", epochs: 1, lr: 0.01, device: "ref", data, downsample: 1 / 7 };
  const trials = expandPlan(parsePlan({ name: "ev", base, grid: { timeBins: [8, 12] } }));
  assert.deepEqual(trials.map((t) => [t.spec.data, t.spec.timeBins, t.spec.downsample]), [[data, 8, 1 / 7], [data, 12, 1 / 7]]);
  for (const t of trials) {
    const cfg = await trainConfigFor(t.spec, "ref");
    assert.deepEqual([cfg.data, cfg.timeBins, cfg.downsample, cfg.T], [data, t.spec.timeBins, 1 / 7, t.spec.timeBins]);
    const task = await taskFor(cfg);
    // SHD's 700 channels × 1/7 → 100, one frame per time bin
    assert.deepEqual([task.inputShape, task.T, task.size("train"), task.size("test")], [[100], t.spec.timeBins, 20, 10]);
  }
  // binning by time is a plan axis too
  const byTime = expandPlan(parsePlan({ name: "ev", base, random: { draws: 2, seed: 1, axes: { timeWindowUs: { uniform: [2000, 8000] } } } }));
  assert.ok(byTime.every((t) => t.spec.timeWindowUs! >= 2000 && t.spec.timeWindowUs! <= 8000 && t.spec.timeBins === undefined));

  const refused: [unknown, RegExp][] = [
    [{ name: "ev", base: { ...base, data: "tiny_train.h5" } }, /plan: base: 'data' must be an absolute path that every worker can read, got "tiny_train\.h5"/],
    [{ name: "ev", base: { ...base, data: 7 } }, /'data' must be an absolute path/],
    [{ name: "ev", base, grid: { timeBins: [8, 0] } }, /plan: grid\.timeBins: 'timeBins' must be an integer ≥ 1, got 0/],
    [{ name: "ev", base, grid: { timeBins: [2.5] } }, /'timeBins' must be an integer ≥ 1, got 2\.5/],
    [{ name: "ev", base: { ...base, timeWindowUs: 0 } }, /'timeWindowUs' must be > 0, got 0/],
    [{ name: "ev", base: { ...base, downsample: 1.5 } }, /'downsample' must be in \(0, 1\], got 1\.5/],
    [{ name: "ev", base: { ...base, downsample: 0 } }, /'downsample' must be > 0, got 0/],
    [{ name: "ev", base: { ...base, timeBins: 8 }, grid: { timeWindowUs: [4000] } }, /'timeBins' and 'timeWindowUs' are both set/],
    [{ name: "ev", base: { task: "toy", model: "tiny", epochs: 1, lr: 0.02 }, grid: { timeBins: [8] } }, /'timeBins' applies to the event datasets \(nmnist, shd, ssc, dvs-gesture\), not to task 'toy'/],
    [{ name: "ev", base: { task: "toy", model: "tiny", epochs: 1, lr: 0.02, data } }, /'data' applies to the event datasets/],
    [{ name: "ev", base: { ...base, cacheDir: dir } }, /plan: base: unknown key 'cacheDir'; use one of .*data, timeBins, timeWindowUs, downsample/],
  ];
  for (const [raw, msg] of refused) assert.throws(() => expandPlan(parsePlan(raw)), (e: unknown) => e instanceof ConfigError && msg.test(e.message), JSON.stringify(raw));
  // a worker checks a job's settings the same way
  assert.throws(() => validateSpec({ task: "toy", model: "tiny", epochs: 1, lr: 0.02, downsample: 0.5 }, "job x"), (e: unknown) => e instanceof ConfigError && /job x: 'downsample' applies to the event datasets/.test(e.message));
});
