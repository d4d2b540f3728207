/**
 * Dataset classes, framed sources, the disk cache and the loader: NMNIST over a temp tree built from
 * the real sample, DVSGesture over hand-built AEDAT + CSV + trials, SHD/SSC over the fixtures,
 * ConfigErrors that name the expected layout, time-major batches with padding, seeded shuffling.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { FrameCache } from "../../src/data/cache.js";
import { DVSGesture } from "../../src/data/datasets/dvs-gesture.js";
import { FramedDataset } from "../../src/data/datasets/framed.js";
import { SHD, SSC } from "../../src/data/datasets/heidelberg.js";
import { NMNIST } from "../../src/data/datasets/nmnist.js";
import { collate, Loader, type Sample } from "../../src/data/loader.js";
import { closeH5Reader } from "../../src/data/readers/hdf5.js";
import { readNmnistFile } from "../../src/data/readers/nmnist.js";
import { ConfigError, FormatError } from "../../src/errors.js";
import { concat, HEADER, packet, polEvents } from "./aedat-fixtures.js";
import { fixture, tempDir } from "./helpers.js";

after(() => closeH5Reader());

test("collate: [T, ...f] samples → [T, B, ...f], zero-padded, labels and lengths", () => {
  const a: Sample = { x: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [3, 2], label: 4 };
  const b: Sample = { x: Float32Array.from([7, 8]), shape: [1, 2], label: 9 };
  const batch = collate([a, b]);
  assert.deepEqual(batch.shape, [3, 2, 2]);
  assert.deepEqual(Array.from(batch.x), [1, 2, 7, 8, 3, 4, 0, 0, 5, 6, 0, 0]);
  assert.deepEqual(Array.from(batch.labels), [4, 9]);
  assert.deepEqual(Array.from(batch.lengths), [3, 1]);
  assert.deepEqual(collate([a, b], 2).shape, [2, 2, 2]);
});

test("loader: every sample once per epoch, seeded order, different per epoch", async () => {
  const src = { length: 10, get: (i: number): Sample => ({ x: Float32Array.from([i]), shape: [1, 1], label: i }) };
  const seen = async (l: Loader, e: number): Promise<number[]> => {
    const out: number[] = [];
    for await (const b of l.epoch(e)) out.push(...b.labels);
    return out;
  };
  const l = new Loader(src, { batchSize: 3, shuffle: true, seed: 5 });
  const e0 = await seen(l, 0);
  assert.deepEqual([...e0].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(await seen(new Loader(src, { batchSize: 3, shuffle: true, seed: 5 }), 0), e0);
  assert.notDeepEqual(await seen(l, 1), e0);
  assert.equal((await seen(new Loader(src, { batchSize: 3, dropLast: true }), 0)).length, 9);
  assert.deepEqual(await seen(new Loader(src, { batchSize: 4 }), 0), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("NMNIST over Train/<digit>; framed + cached; missing layout named", async () => {
  const { dir, done } = tempDir();
  try {
    assert.throws(() => new NMNIST(dir), (e) => e instanceof ConfigError && /Train\/<0-9>\/<id>\.bin/.test(e.message));
    for (const d of [1, 7]) {
      mkdirSync(join(dir, "Train", String(d)), { recursive: true });
      copyFileSync(fixture("sample_nmnist.bin"), join(dir, "Train", String(d), "00001.bin"));
    }
    const ds = new NMNIST(dir);
    assert.equal(ds.length, 2);
    const s = ds.events(1);
    assert.equal(s.label, 7);
    assert.equal(s.events.t.length, 4325);
    // tonic cuts the first saccade at t < 100 ms (numpy count on the real file: 1,369)
    assert.equal(new NMNIST(dir, { firstSaccadeOnly: true }).events(0).events.t.length, 1369);
    const cacheDir = join(dir, "cache");
    const framed = new FramedDataset(ds, { nTimeBins: 10 }, { cache: cacheDir });
    const first = await framed.get(0);
    assert.deepEqual(first.shape, [10, 2, 34, 34]);
    const total = first.x.reduce((a, b) => a + b, 0);
    assert.ok(total > 4000 && total <= 4325, `framed events ${total}`);
    assert.equal(readdirSync(cacheDir).length, 1);
    const again = await new FramedDataset(ds, { nTimeBins: 10 }, { cache: cacheDir }).get(0);
    assert.deepEqual(again, first);
    const cache = framed.cache as FrameCache;
    await framed.get(0);
    assert.equal(cache.hits, 1);
    const loader = new Loader(framed, { batchSize: 2 });
    for await (const b of loader.epoch(0)) {
      assert.deepEqual(b.shape, [10, 2, 2, 34, 34]);
      assert.deepEqual(Array.from(b.labels), [1, 7]);
    }
    // an independent count: events of the real file inside the 10 windows equals the framed total
    const ev = readNmnistFile(fixture("sample_nmnist.bin"));
    const w = Math.floor((ev.t[ev.t.length - 1]! - ev.t[0]!) / 10);
    const inside = Array.from(ev.t).filter((t) => t < ev.t[0]! + 10 * w).length;
    assert.equal(total, inside);
  } finally {
    done();
  }
});

test("DVSGesture: trials list + aedat + labels CSV → labelled segments", () => {
  const { dir, done } = tempDir();
  try {
    const root = join(dir, "DvsGesture");
    mkdirSync(root);
    assert.throws(() => new DVSGesture(dir), (e) => e instanceof ConfigError && /trials_to_train\.txt/.test(e.message));
    const file = concat(Buffer.from(HEADER, "latin1"), packet(1, 8, 0, polEvents([[1, 1, 1, 100], [2, 2, 0, 150], [3, 3, 1, 250], [4, 4, 1, 400]]), 4));
    writeFileSync(join(root, "user01_natural.aedat"), file);
    writeFileSync(join(root, "trials_to_train.txt"), "user01_natural.aedat\r\n");
    assert.throws(() => new DVSGesture(dir), (e) => e instanceof ConfigError && /user01_natural_labels\.csv/.test(e.message));
    writeFileSync(join(root, "user01_natural_labels.csv"), "class,startTime_usec,endTime_usec\r\n3,100,200\r\n11,200,401\r\n");
    const ds = new DVSGesture(dir);
    assert.equal(ds.length, 2);
    const a = ds.events(0);
    assert.equal(a.label, 2);
    assert.deepEqual(Array.from(a.events.t), [0, 50]);
    const b = ds.events(1);
    assert.equal(b.label, 10);
    assert.deepEqual(Array.from(b.events.x), [3, 4]);
    writeFileSync(join(root, "user01_natural_labels.csv"), "class,startTime_usec,endTime_usec\r\n12,100,200\r\n");
    assert.throws(() => new DVSGesture(dir), FormatError);
  } finally {
    done();
  }
});

test("SHD / SSC over a root with the fixtures; missing files named", async () => {
  const { dir, done } = tempDir();
  try {
    await assert.rejects(SHD.open(dir), (e) => e instanceof ConfigError && /shd_train\.h5/.test(e.message) && /shd_test\.h5/.test(e.message));
    await assert.rejects(SSC.open(dir, { split: "valid" }), (e) => e instanceof ConfigError && /ssc_valid\.h5/.test(e.message));
    copyFileSync(fixture("shd_fixture_f16.h5"), join(dir, "shd_train.h5"));
    copyFileSync(fixture("shd_fixture_f32.h5"), join(dir, "ssc_test.h5"));
    const shd = await SHD.open(dir);
    assert.equal(shd.length, 4);
    assert.equal(shd.classes[11], "eins");
    const s = shd.events(3);
    assert.equal(s.label, 19);
    assert.equal(s.events.t.length, 11);
    const ssc = await SSC.open(dir, { split: "test" });
    assert.equal(ssc.classes.length, 35);
    const framed = new FramedDataset(shd, { timeWindow: 100_000, startTime: 0, endTime: 1_400_000 });
    const x = await framed.get(0);
    assert.deepEqual(x.shape, [14, 1, 700]);
    assert.equal(x.x.reduce((a, b) => a + b, 0), 17);
  } finally {
    done();
  }
});

test("frame cache: a damaged entry is a miss and is rewritten", () => {
  const { dir, done } = tempDir();
  try {
    const c = new FrameCache(dir);
    const fr = { data: Int16Array.from([1, -2, 3, 4]), shape: [1, 2, 2] };
    let made = 0;
    const make = (): typeof fr => (made++, fr);
    assert.deepEqual(c.getOrCompute("k", make), fr);
    assert.deepEqual(c.getOrCompute("k", make), fr);
    assert.equal(made, 1);
    const file = join(dir, "k.frm");
    writeFileSync(file, readFileSync(file).subarray(0, 10));
    assert.deepEqual(c.getOrCompute("k", make), fr);
    assert.equal(made, 2);
    assert.ok(!readdirSync(dir).some((f) => f.endsWith(".tmp")));
  } finally {
    done();
  }
});
