/**
 * Does loading keep up with training? For each task on the data path (mnist-rate, nmnist, shd, dvs-gesture; data
 * written here in the datasets' real formats), the loader's samples/s with a cold frame cache (decode + bin +
 * write the cache) and a warm one (cache reads), next to the samples/s one training step of the task's default
 * model consumes (EXODUS, wasm, the task's default batch). The worker feed runs this same loader on its own
 * thread, so "warm ÷ step" is how far ahead it can stay. Goal: warm ≥ 3× step. Run: npm run bench:data.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeEvents } from "../src/data/events.js";
import { encodeAedat31 } from "../src/data/readers/aedat.js";
import { formatGestureLabels, formatTrials } from "../src/data/readers/gesture-labels.js";
import { closeH5Reader } from "../src/data/readers/hdf5.js";
import { writeShd } from "../src/data/readers/shd.js";
import { writeNmnistSimTree } from "../src/data/sim/nmnist-sim.js";
import { Adam } from "../src/train/optim.js";
import { computeLoss } from "../src/train/losses.js";
import { buildModel, presetConfig } from "../src/train/models/presets.js";
import { selectDevice } from "../src/train/run.js";
import { createTask, taskEntry } from "../src/train/tasks/table.js";
import type { Task, TaskOptions } from "../src/train/tasks/types.js";
import { backward } from "../src/tensor/grad.js";
import { tidy } from "../src/tensor/memory.js";
import { tensor } from "../src/tensor/ops/index.js";
import { Rng } from "../src/util/rng.js";

export interface LoaderRow {
  task: string;
  batch: number;
  coldSamplesPerS: number;
  warmSamplesPerS: number;
  stepSamplesPerS: number;
}

/** Samples/s of encoding every training sample once, batch by batch. */
async function pass(task: Task, B: number): Promise<number> {
  const n = task.size("train");
  const rng = new Rng(1);
  const t0 = performance.now();
  for (let s = 0; s < n; s += B) await task.encode("train", Array.from({ length: Math.min(B, n - s) }, (_, i) => s + i), rng);
  return n / ((performance.now() - t0) / 1000);
}

/** Samples/s of training steps (forward, backward, Adam) of the task's default model on one batch of its data. */
async function stepRate(name: string, task: Task, B: number, steps: number): Promise<number> {
  const entry = taskEntry(name);
  const cfg = presetConfig(entry.defaults.model, task);
  const model = buildModel(cfg, { gradient: "exodus", seed: 1 });
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const idx = Array.from({ length: B }, (_, i) => i % task.size("train"));
  const x = await task.encode("train", idx, new Rng(2));
  const labels = idx.map((i) => task.label("train", i));
  const step = () =>
    tidy(() => {
      model.resetStates();
      const y = model.forward(tensor(x, [task.T, B, ...task.inputShape]));
      const loss = computeLoss(cfg.loss, y, labels);
      opt.zeroGrad();
      backward(loss);
      opt.step();
    });
  step(); // warm-up (compilation, scratch)
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) step();
  return (steps * B) / ((performance.now() - t0) / 1000);
}

/** Writes each dataset in its real layout under dir; returns the TaskOptions that read it. */
async function makeData(dir: string): Promise<Record<string, TaskOptions>> {
  const r = new Rng(7);
  writeNmnistSimTree(join(dir, "nmnist"), { split: "train", count: 512 });
  writeNmnistSimTree(join(dir, "nmnist"), { split: "test", count: 8 });
  // SHD-like: 1 s utterances, ~8,000 spikes over 700 channels, increasing times (the real files' density)
  const shd = { times: [] as Float32Array[], units: [] as Uint16Array[], labels: [] as number[] };
  for (let i = 0; i < 512; i++) {
    const k = r.int(6000, 10000);
    shd.times.push(Float32Array.from({ length: k }, (_, j) => (j / k) * 1.0));
    shd.units.push(Uint16Array.from({ length: k }, () => r.int(0, 700)));
    shd.labels.push(i % 20);
  }
  mkdirSync(join(dir, "shd"));
  await writeShd(join(dir, "shd", "shd_train.h5"), shd);
  await writeShd(join(dir, "shd", "shd_test.h5"), { times: shd.times.slice(0, 8), units: shd.units.slice(0, 8), labels: shd.labels.slice(0, 8) });
  // DVS Gesture-like: 8 recordings × 8 gestures of 1.5 s, 200,000 events each (≈ the real set's density)
  const g = join(dir, "dvs", "DvsGesture");
  mkdirSync(g, { recursive: true });
  const names: string[] = [];
  for (let u = 1; u <= 8; u++) {
    const name = `user${String(u).padStart(2, "0")}_fluorescent`;
    const per = 200_000, segs = 8;
    const n = per * segs;
    const t = new Float64Array(n), x = new Uint16Array(n), y = new Uint16Array(n), p = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      t[i] = 1_000_000 + Math.floor(i / per) * 1_600_000 + Math.floor(((i % per) / per) * 1_500_000);
      x[i] = r.int(0, 128);
      y[i] = r.int(0, 128);
      p[i] = r.int(0, 2);
    }
    writeFileSync(join(g, `${name}.aedat`), encodeAedat31(makeEvents(x, y, t, p)));
    writeFileSync(join(g, `${name}_labels.csv`), formatGestureLabels(Array.from({ length: segs }, (_, s) => ({ label: s % 11, startUs: 1_000_000 + s * 1_600_000, endUs: 1_000_000 + s * 1_600_000 + 1_500_000 }))));
    names.push(`${name}.aedat`);
  }
  writeFileSync(join(g, "trials_to_train.txt"), formatTrials(names.slice(0, 7)));
  writeFileSync(join(g, "trials_to_test.txt"), formatTrials(names.slice(7)));
  return {
    "mnist-rate": { limitTrain: 2048 },
    nmnist: { data: join(dir, "nmnist") },
    shd: { data: join(dir, "shd") },
    "dvs-gesture": { data: join(dir, "dvs") },
  };
}

export async function loaderBench(log: (s: string) => void = console.log): Promise<LoaderRow[]> {
  const device = await selectDevice("auto");
  const dir = mkdtempSync(join(tmpdir(), "exodus-loader-bench-"));
  const rows: LoaderRow[] = [];
  try {
    const data = await makeData(dir);
    log(`\nloader vs training step (${device} backend; cold = first pass, fills the frame cache; warm = cache reads)`);
    log("| task | batch | loader cold samples/s | loader warm samples/s | training step samples/s | warm ÷ step |");
    log("|---|---|---|---|---|---|");
    for (const [name, o] of Object.entries(data)) {
      const task = await createTask(name, { ...o, cacheDir: join(dir, "cache", name) });
      const B = taskEntry(name).defaults.batchSize;
      const cold = await pass(task, B);
      const warm = await pass(task, B);
      const step = await stepRate(name, task, B, name === "dvs-gesture" ? 2 : 4);
      rows.push({ task: name, batch: B, coldSamplesPerS: cold, warmSamplesPerS: warm, stepSamplesPerS: step });
      log(`| ${name} | ${B} | ${cold.toFixed(0)} | ${warm.toFixed(0)} | ${step.toFixed(1)} | ${(warm / step).toFixed(1)}× |`);
    }
  } finally {
    closeH5Reader();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
