/**
 * The event datasets on the training path (src/data/layouts.ts → EventTask → trainer input), each in its
 * authors' layout: N-MNIST folders and zips, SHD files (plain and gzipped, a folder or a *_train.h5 file), DVS
 * Gesture's folder. Expected frames are counted by hand from the events written; the cache is checked for
 * reuse, repair of damaged entries and no half-written files; every broken layout is a typed error naming the
 * missing file and the fix; the worker feed gives the same batches as inline encoding.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ConfigError, FormatError } from "../../src/errors.js";
import { makeEvents } from "../../src/data/events.js";
import { encodeAedat31 } from "../../src/data/readers/aedat.js";
import { formatGestureLabels, formatTrials } from "../../src/data/readers/gesture-labels.js";
import { closeH5Reader } from "../../src/data/readers/hdf5.js";
import { readNmnistFile } from "../../src/data/readers/nmnist.js";
import { writeShd } from "../../src/data/readers/shd.js";
import { writeNmnistSimTree } from "../../src/data/sim/nmnist-sim.js";
import { InlineFeed, WorkerFeed } from "../../src/train/feed.js";
import { createTask } from "../../src/train/tasks/table.js";
import type { Task } from "../../src/train/tasks/types.js";
import { Rng } from "../../src/util/rng.js";
import { fixture, handZip, tempDir } from "../data/helpers.js";

// Unpacked archives and gunzipped files go to the exodus-snn home: a private one for this file's tests.
const home = tempDir("exodus-home-");
process.env["EXODUS_SNN_HOME"] = home.dir;
test.after(() => {
  closeH5Reader();
  home.done();
});

/** Files under dir, recursively (relative paths). */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? dir, e.name));
}

/** An N-MNIST tree of simulated recordings (real .bin format): Train/ 24 samples, Test/ 12. */
function nmnistTree(root: string): void {
  writeNmnistSimTree(root, { split: "train", count: 24 });
  writeNmnistSimTree(root, { split: "test", count: 12 });
}

test("nmnist: Train/ and Test/ folders → [T, B, 2, 17, 17] frames whose totals are the file's events pooled 2×2", async () => {
  const { dir, done } = tempDir();
  try {
    nmnistTree(join(dir, "nm"));
    const cacheDir = join(dir, "cache");
    const task = await createTask("nmnist", { data: join(dir, "nm"), timeBins: 5, cacheDir });
    assert.deepEqual([task.size("train"), task.size("test"), task.T, task.classes], [24, 12, 5, 10]);
    assert.deepEqual(task.inputShape, [2, 17, 17]);
    // labels are the digit folders
    const testFiles = files(join(dir, "nm", "Test")).sort();
    const byLabel = new Map<number, number>();
    for (const f of testFiles) byLabel.set(Number(f.split("/").at(-2)), (byLabel.get(Number(f.split("/").at(-2))) ?? 0) + 1);
    const got = new Map<number, number>();
    for (let i = 0; i < 12; i++) got.set(task.label("test", i), (got.get(task.label("test", i)) ?? 0) + 1);
    assert.deepEqual([...got.entries()].sort(), [...byLabel.entries()].sort());
    // frames of test sample i, summed over time, equal its events counted per (polarity, y>>1, x>>1), over the
    // span tonic's n_time_bins covers: 5 bins of w = floor((t_last − t_0)/5) µs from t_0 (the tail after 5w is dropped)
    const x = await task.encode("test", [0, 1, 2], new Rng(1));
    assert.equal(x.length, 5 * 3 * 2 * 17 * 17);
    const ds = (task as unknown as { framed: { test: { ds: { files: { path: string }[] } } } }).framed.test.ds;
    for (let b = 0; b < 3; b++) {
      const ev = readNmnistFile(ds.files[b]!.path);
      const t0 = ev.t[0]!, w = Math.floor((ev.t[ev.t.length - 1]! - t0) / 5);
      const want = new Float64Array(2 * 17 * 17);
      for (let k = 0; k < ev.t.length; k++) if (ev.t[k]! < t0 + 5 * w) want[ev.p[k]! * 289 + (ev.y[k]! >> 1) * 17 + (ev.x[k]! >> 1)]!++;
      const have = new Float64Array(2 * 17 * 17);
      for (let t = 0; t < 5; t++) for (let f = 0; f < 578; f++) have[f]! += x[(t * 3 + b) * 578 + f]!;
      assert.deepEqual(have, want, `sample ${b}`);
      assert.ok(want.reduce((a, v) => a + v, 0) > 100);
    }
    // cache: one entry per framed sample; a damaged entry is rebuilt to the same frames
    const entries = files(cacheDir);
    assert.equal(entries.length, 3);
    assert.ok(entries.every((f) => f.endsWith(".frm")));
    for (const f of entries) truncateSync(f, 10);
    const again = await createTask("nmnist", { data: join(dir, "nm"), timeBins: 5, cacheDir });
    assert.deepEqual(await again.encode("test", [0, 1, 2], new Rng(1)), x);
    assert.ok(files(cacheDir).every((f) => readFileSync(f).length > 10), "damaged entries rewritten");
  } finally {
    done();
  }
});

test("nmnist: the original train.zip/test.zip are unpacked once into the home and read like the folders", async () => {
  const { dir, done } = tempDir();
  try {
    nmnistTree(join(dir, "tree"));
    const zipOf = (split: string) => handZip(files(join(dir, "tree", split)).map((f) => [f.slice(join(dir, "tree").length + 1), readFileSync(f), true]));
    mkdirSync(join(dir, "zips"));
    writeFileSync(join(dir, "zips", "train.zip"), zipOf("Train"));
    writeFileSync(join(dir, "zips", "test.zip"), zipOf("Test"));
    const fromZip = await createTask("nmnist", { data: join(dir, "zips"), timeBins: 4, cacheDir: join(dir, "c1") });
    const fromTree = await createTask("nmnist", { data: join(dir, "tree"), timeBins: 4, cacheDir: join(dir, "c2") });
    assert.equal(fromZip.size("train"), 24);
    const idx = Array.from({ length: 12 }, (_, i) => i);
    assert.deepEqual(idx.map((i) => fromZip.label("test", i)), idx.map((i) => fromTree.label("test", i)));
    assert.deepEqual(await fromZip.encode("test", idx, new Rng(0)), await fromTree.encode("test", idx, new Rng(0)));
    assert.ok(readdirSync(join(home.dir, "unpacked")).every((d) => !d.includes(".tmp")));
  } finally {
    done();
  }
});

test("nmnist: a missing split folder, a missing root and a truncated recording are typed errors naming the fix", async () => {
  const { dir, done } = tempDir();
  try {
    nmnistTree(join(dir, "nm"));
    renameSync(join(dir, "nm", "Test"), join(dir, "nm", "Elsewhere"));
    await assert.rejects(createTask("nmnist", { data: join(dir, "nm") }), (e) => e instanceof ConfigError && /Test\/ \(or test\.zip\)/.test(e.message) && /exodus-snn data fetch nmnist --root/.test(e.message));
    await assert.rejects(createTask("nmnist", { data: join(dir, "nope") }), (e) => e instanceof ConfigError && e.message.includes(join(dir, "nope")) && /data fetch nmnist/.test(e.message));
    renameSync(join(dir, "nm", "Elsewhere"), join(dir, "nm", "Test"));
    const cacheDir = join(dir, "cache");
    const task = await createTask("nmnist", { data: join(dir, "nm"), timeBins: 5, cacheDir });
    const ds = (task as unknown as { framed: { test: { ds: { files: { path: string }[] } } } }).framed.test.ds;
    const bad = ds.files[0]!.path;
    truncateSync(bad, 7); // N-MNIST events are 5 bytes: 7 is a cut event
    await assert.rejects(Promise.resolve(task.encode("test", [0], new Rng(0))), (e) => e instanceof FormatError && e.file === bad);
    assert.deepEqual(files(cacheDir), [], "nothing cached for a sample that failed");
  } finally {
    done();
  }
});

/** SHD-layout spikes whose frames are easy to count by hand. */
const SHD_SPIKES = {
  times: [[0.0005, 0.005, 0.009, 0.5], [0.001, 0.002, 0.003], [0.0, 0.01]],
  units: [[0, 7, 699, 350], [1, 2, 3], [13, 14]],
  labels: [3, 17, 0],
};

test("shd: 4 ms frames over 700 → 100 channels (tonic's time_window and Downsample), from a folder or a *_train.h5 file, gzipped or not", async () => {
  const { dir, done } = tempDir();
  try {
    mkdirSync(join(dir, "shd"));
    // float64 times, so each spike sits where it was written (float32 would move 5 ms by 1e-4 µs)
    await writeShd(join(dir, "shd", "shd_train.h5"), SHD_SPIKES, "f64");
    await writeShd(join(dir, "shd", "shd_test.h5"), SHD_SPIKES, "f64");
    const task = await createTask("shd", { data: join(dir, "shd"), cacheDir: join(dir, "cache") });
    assert.deepEqual([task.T, task.classes, ...task.inputShape], [250, 20, 100]);
    assert.deepEqual([0, 1, 2].map((i) => task.label("test", i)), [3, 17, 0]);
    const x = await task.encode("test", [0, 1, 2], new Rng(0));
    const at = (t: number, b: number, c: number) => x[(t * 3 + b) * 100 + c]!;
    const nz: string[] = [];
    for (let t = 0; t < 250; t++) for (let b = 0; b < 3; b++) for (let c = 0; c < 100; c++) if (at(t, b, c)) nz.push(`${t}:${b}:${c}=${at(t, b, c)}`);
    // sample 0: windows start at its first spike (0.5 ms): [0.5, 4.5) ms unit 0 → ch 0; 5 ms in [4.5, 8.5) unit 7 →
    // ch 1; 9 ms in [8.5, 12.5) unit 699 → ch 99; the spike at 500 ms is in window 124, but tonic keeps only the
    // floor((500 − 0.5 − 4)/4) + 1 = 124 complete windows 0…123, so it is dropped.
    // sample 1: 1, 2, 3 ms all in window 0 (units 1, 2, 3 → ch 0): a span under one window gives one frame.
    // sample 2: 0 ms unit 13 → ch 1 (window 0); 10 ms would be window 2, but floor((10 − 4)/4) + 1 = 2 windows are kept.
    assert.deepEqual(nz.sort(), ["0:0:0=1", "1:0:1=1", "2:0:99=1", "0:1:0=3", "0:2:1=1"].sort());
    // a *_train.h5 file with its _test partner, gzipped: the same batches
    mkdirSync(join(dir, "gz"));
    for (const s of ["train", "test"]) writeFileSync(join(dir, "gz", `mine_${s}.h5.gz`), gzipSync(readFileSync(join(dir, "shd", `shd_${s}.h5`))));
    const viaGz = await createTask("shd", { data: join(dir, "gz", "mine_train.h5.gz"), cacheDir: join(dir, "cache2") });
    assert.deepEqual(await viaGz.encode("test", [0, 1, 2], new Rng(0)), x);
    // the real SHD layout (h5py's VLEN arrays), via the fixture: labels read through
    mkdirSync(join(dir, "real"));
    copyFileSync(fixture("shd_fixture_f32.h5"), join(dir, "real", "shd_train.h5"));
    copyFileSync(fixture("shd_fixture_f16.h5"), join(dir, "real", "shd_test.h5"));
    const real = await createTask("shd", { data: join(dir, "real"), timeBins: 10, cacheDir: join(dir, "cache3") });
    assert.deepEqual([0, 1, 2, 3].map((i) => real.label("train", i)), [0, 13, 7, 19]);
    assert.equal(real.T, 10);
  } finally {
    done();
  }
});

test("shd/ssc: missing partner files and unusable names are ConfigErrors naming the file and the fetch command", async () => {
  const { dir, done } = tempDir();
  try {
    await writeShd(join(dir, "x_train.h5"), SHD_SPIKES);
    await assert.rejects(createTask("shd", { data: join(dir, "x_train.h5") }), (e) => e instanceof ConfigError && e.message.includes(join(dir, "x_test.h5")));
    await assert.rejects(createTask("ssc", { data: dir }), (e) => e instanceof ConfigError && e.message.includes("ssc_train.h5") && /data fetch ssc/.test(e.message));
    writeFileSync(join(dir, "odd.h5"), "x");
    await assert.rejects(createTask("shd", { data: join(dir, "odd.h5") }), (e) => e instanceof ConfigError && /_train\.h5/.test(e.message));
    // a truncated HDF5 file is a FormatError naming it
    writeFileSync(join(dir, "t_train.h5"), readFileSync(join(dir, "x_train.h5")).subarray(0, 300));
    copyFileSync(join(dir, "x_train.h5"), join(dir, "t_test.h5"));
    await assert.rejects(createTask("shd", { data: join(dir, "t_train.h5") }), (e) => e instanceof FormatError && e.file === join(dir, "t_train.h5"));
  } finally {
    done();
  }
});

test("dvs-gesture: the folder of recordings, label CSVs and trial lists → labelled [2, 32, 32] frames", async () => {
  const { dir, done } = tempDir();
  try {
    const root = join(dir, "DvsGesture");
    mkdirSync(root, { recursive: true });
    // one recording per user, two labelled segments each: class 1 (label 0) then class 11 (label 10)
    for (const user of ["user01_natural", "user02_led"]) {
      const n = 2000;
      const rng = new Rng(user.length);
      const t = Array.from({ length: n }, (_, i) => 1_000_000 + i * 1000);
      const x = t.map(() => rng.int(0, 128)), y = t.map(() => rng.int(0, 128)), p = t.map(() => rng.int(0, 2));
      writeFileSync(join(root, `${user}.aedat`), encodeAedat31(makeEvents(x, y, t, p)));
      writeFileSync(join(root, `${user}_labels.csv`), formatGestureLabels([{ label: 0, startUs: 1_000_000, endUs: 1_900_000 }, { label: 10, startUs: 2_000_000, endUs: 2_900_000 }]));
    }
    writeFileSync(join(root, "trials_to_train.txt"), formatTrials(["user01_natural.aedat"]));
    writeFileSync(join(root, "trials_to_test.txt"), formatTrials(["user02_led.aedat"]));
    const task = await createTask("dvs-gesture", { data: dir, cacheDir: join(dir, "cache") });
    assert.deepEqual([task.size("train"), task.size("test"), task.classes, task.T, ...task.inputShape], [2, 2, 11, 150, 2, 32, 32]);
    assert.deepEqual([task.label("test", 0), task.label("test", 1)], [0, 10]);
    const x = await task.encode("train", [0], new Rng(0));
    // 900 events of segment 1 (1 ms apart) in 10 ms frames: 90 frames, the last one incomplete and dropped by
    // tonic's time_window → 89 full frames of 10 events each, the rest zero-padded
    const perFrame = Array.from({ length: 150 }, (_, t) => x.subarray(t * 2048, (t + 1) * 2048).reduce((a, v) => a + v, 0));
    assert.deepEqual(perFrame.slice(0, 89), new Array(89).fill(10));
    assert.ok(perFrame.slice(89).every((v) => v === 0));
    rmSync(join(root, "trials_to_test.txt"));
    await assert.rejects(createTask("dvs-gesture", { data: dir }), (e) => e instanceof ConfigError && e.message.includes("trials_to_test.txt"));
  } finally {
    done();
  }
});

test("the worker feed prepares the same batches as inline encoding (random rate code, and event files), and brings typed errors back", async () => {
  const { dir, done } = tempDir();
  try {
    const check = async (name: string, options: Record<string, unknown>, task: Task) => {
      const batches = [[3, 1, 4], [1, 5, 9], [2, 6]];
      const a = new InlineFeed(task).stream("train", batches, 77);
      const w = await WorkerFeed.start(name, options);
      try {
        const b = w.stream("train", batches, 77);
        for (let k = 0; k < batches.length; k++) assert.deepEqual(await b.next(), await a.next(), `${name} batch ${k}`);
      } finally {
        await w.close();
      }
    };
    const mnistOpts = { limitTrain: 20, limitTest: 10 };
    await check("mnist-rate", mnistOpts, await createTask("mnist-rate", mnistOpts));
    nmnistTree(join(dir, "nm"));
    const nmOpts = { data: join(dir, "nm"), timeBins: 4, cacheDir: join(dir, "cache") };
    await check("nmnist", nmOpts, await createTask("nmnist", nmOpts));
    // a recording that breaks after the task opened: the worker's FormatError arrives as a FormatError
    const task = await createTask("nmnist", nmOpts);
    const f = (task as unknown as { framed: { train: { ds: { files: { path: string }[] } } } }).framed.train.ds.files;
    const w = await WorkerFeed.start("nmnist", { ...nmOpts, cacheDir: join(dir, "cache-b") });
    try {
      truncateSync(f[(task as unknown as { subset: { train: Int32Array } }).subset.train[0]!]!.path, 3);
      await assert.rejects(w.stream("train", [[0]], 1).next(), (e) => e instanceof FormatError);
    } finally {
      await w.close();
    }
    await assert.rejects(WorkerFeed.start("nmnist", { data: join(dir, "missing") }), (e) => e instanceof ConfigError);
  } finally {
    done();
  }
});
