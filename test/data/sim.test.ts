/**
 * Simulators. nmnist-sim: seeded, realistic event counts on the three saccades, disjoint digit
 * splits, written as a real N-MNIST tree that the NMNIST class reads back. order-burst: shapes,
 * seeds, and the count baseline — logistic regression on per-channel counts, trained here — scores
 * chance on AB vs BA while the same baseline separates AA' from BB' and spike order separates AB/BA.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { NMNIST } from "../../src/data/datasets/nmnist.js";
import { splitIndices } from "../../src/data/sim/mnist-digits.js";
import { nmnistSimSample, saccadeOffset, simulateDvs, writeNmnistSimTree } from "../../src/data/sim/nmnist-sim.js";
import { ORDER_BURST_SEEDS, orderBurst, orderBurstSymbols } from "../../src/data/sim/order-burst.js";
import { Rng } from "../../src/util/rng.js";
import { tempDir } from "./helpers.js";

test("saccade path waypoints (tonic's stabilize)", () => {
  assert.deepEqual(saccadeOffset(0), [0, 0]);
  assert.deepEqual(saccadeOffset(52_500), [1.75, 3.5]);
  assert.deepEqual(saccadeOffset(105_000), [3.5, 7]);
  assert.deepEqual(saccadeOffset(210_000), [7, 0]);
  assert.deepEqual(saccadeOffset(315_000), [0, 0]);
});

test("DVS model: a blank image emits nothing; a digit emits on all three saccades", () => {
  assert.equal(simulateDvs(new Float32Array(784), new Rng(1)).t.length, 0);
  const s = nmnistSimSample("train", 0);
  const ev = s.events;
  assert.ok(ev.t.length > 2000 && ev.t.length < 9000, `${ev.t.length} events`);
  const per = [0, 0, 0];
  let on = 0;
  for (let i = 0; i < ev.t.length; i++) {
    assert.ok(i === 0 || ev.t[i]! >= ev.t[i - 1]!);
    assert.ok(ev.x[i]! < 34 && ev.y[i]! < 34 && ev.t[i]! >= 0 && ev.t[i]! < 315_000);
    per[Math.min(2, Math.floor(ev.t[i]! / 105_000))]!++;
    on += ev.p[i]!;
  }
  assert.ok(per.every((n) => n > 300), `per saccade ${per}`);
  assert.ok(on > 0.25 * ev.t.length && on < 0.75 * ev.t.length);
});

test("nmnist-sim is seeded and its splits use disjoint digits", () => {
  assert.deepEqual(nmnistSimSample("val", 3), nmnistSimSample("val", 3));
  assert.notDeepEqual(nmnistSimSample("val", 3).events.t, nmnistSimSample("val", 4).events.t);
  const [tr, va, te] = [splitIndices("train"), splitIndices("val"), splitIndices("test")];
  assert.deepEqual([tr.length, va.length, te.length], [8000, 1000, 1000]);
  const all = new Set([...tr, ...va, ...te]);
  assert.equal(all.size, 10000);
});

test("written as a real N-MNIST tree that NMNIST reads back", () => {
  const { dir, done } = tempDir();
  try {
    assert.equal(writeNmnistSimTree(dir, { split: "test", count: 4 }), 4);
    const ds = new NMNIST(dir, { train: false });
    assert.equal(ds.length, 4);
    const want = [0, 1, 2, 3].map((i) => nmnistSimSample("test", i));
    const got = [0, 1, 2, 3].map((i) => ds.events(i));
    const key = (e: { label: number; events: { t: Float64Array } }): string => `${e.label}:${e.events.t.length}`;
    assert.deepEqual(got.map(key).sort(), want.map(key).sort());
  } finally {
    done();
  }
});

test("order-burst: shape, labels, seeds, disjoint split ranges", () => {
  const b = orderBurst({ taskSeed: 7, split: "train", count: 64 });
  assert.deepEqual(b.shape, [150, 64, 32]);
  assert.ok(b.labels.every((l) => l >= 0 && l < 4));
  assert.ok(b.x.every((v) => v === 0 || v === 1));
  assert.deepEqual(orderBurst({ taskSeed: 7, split: "train", count: 64 }), b);
  assert.notDeepEqual(orderBurst({ taskSeed: 8, split: "train", count: 64 }).x, b.x);
  const r = Object.values(ORDER_BURST_SEEDS).sort((p, q) => p[0] - q[0]);
  for (let i = 1; i < r.length; i++) assert.ok(r[i]![0] >= r[i - 1]![1]);
  assert.throws(() => orderBurst({ taskSeed: 1, split: "val", count: 2001 }));
  const { A, B } = orderBurstSymbols(7);
  assert.equal(new Set([...A, ...B]).size, 12);
});

/** Per-sample per-channel spike counts from a [T, N, C] batch. */
function counts(x: Float32Array, [T, N, C]: number[]): Float64Array[] {
  const out = Array.from({ length: N! }, () => new Float64Array(C!));
  for (let t = 0; t < T!; t++) for (let n = 0; n < N!; n++) for (let c = 0; c < C!; c++) out[n]![c]! += x[(t * N! + n) * C! + c]!;
  return out;
}

/** Binary logistic regression by full-batch gradient descent on standardised features. */
function logisticAccuracy(train: Float64Array[], ytr: number[], test: Float64Array[], yte: number[]): { train: number; test: number } {
  const F = train[0]!.length;
  const mu = new Float64Array(F);
  const sd = new Float64Array(F);
  for (const v of train) for (let f = 0; f < F; f++) mu[f]! += v[f]! / train.length;
  for (const v of train) for (let f = 0; f < F; f++) sd[f]! += (v[f]! - mu[f]!) ** 2 / train.length;
  const z = (v: Float64Array): Float64Array => v.map((a, f) => (a - mu[f]!) / Math.sqrt(sd[f]! + 1e-9));
  const Xtr = train.map(z);
  const Xte = test.map(z);
  const w = new Float64Array(F);
  let b = 0;
  for (let it = 0; it < 300; it++) {
    const gw = new Float64Array(F);
    let gb = 0;
    Xtr.forEach((v, i) => {
      const p = 1 / (1 + Math.exp(-(v.reduce((a, x, f) => a + x * w[f]!, 0) + b)));
      const e = p - ytr[i]!;
      for (let f = 0; f < F; f++) gw[f]! += (e * v[f]!) / Xtr.length;
      gb += e / Xtr.length;
    });
    for (let f = 0; f < F; f++) w[f]! -= 0.5 * gw[f]!;
    b -= 0.5 * gb;
  }
  const acc = (X: Float64Array[], y: number[]): number => X.filter((v, i) => (v.reduce((a, x, f) => a + x * w[f]!, 0) + b > 0 ? 1 : 0) === y[i]).length / X.length;
  return { train: acc(Xtr, ytr), test: acc(Xte, yte) };
}

test("count baseline: chance on AB vs BA; separates AA' vs BB'; spike order separates AB vs BA", () => {
  const tr = orderBurst({ taskSeed: 3, split: "train", count: 2000, classes: "pair" });
  const te = orderBurst({ taskSeed: 3, split: "test", count: 1000, classes: "pair" });
  const pair = logisticAccuracy(counts(tr.x, tr.shape), Array.from(tr.labels), counts(te.x, te.shape), Array.from(te.labels));
  // 1,000 test samples: chance ± 0.056 is about 3.5 standard deviations
  assert.ok(Math.abs(pair.test - 0.5) < 0.056, `count baseline on AB/BA scored ${pair.test}`);

  // control: the same baseline is not broken — AA' vs BB' differ in counts and are separated
  const all = orderBurst({ taskSeed: 3, split: "train", count: 1200 });
  const allTe = orderBurst({ taskSeed: 3, split: "test", count: 600 });
  const pick = (bt: typeof all): { X: Float64Array[]; y: number[] } => {
    const c = counts(bt.x, bt.shape);
    const X: Float64Array[] = [];
    const y: number[] = [];
    bt.labels.forEach((l, i) => {
      if (l >= 2) {
        X.push(c[i]!);
        y.push(l - 2);
      }
    });
    return { X, y };
  };
  const a = pick(all);
  const bte = pick(allTe);
  assert.ok(logisticAccuracy(a.X, a.y, bte.X, bte.y).test > 0.95);

  // and the label is in the timing: first A-channel spike before first B-channel spike ⇒ AB
  const { A, B } = orderBurstSymbols(3);
  const [T, N, C] = te.shape as [number, number, number];
  let right = 0;
  for (let n = 0; n < N; n++) {
    const first = (chs: number[]): number => {
      // earliest step where at least 3 of the symbol's channels fire (ignores lone noise spikes)
      for (let t = 0; t < T; t++) if (chs.filter((c) => te.x[(t * N + n) * C + c]).length >= 3) return t;
      return T;
    };
    if ((first(A) < first(B) ? 0 : 1) === te.labels[n]) right++;
  }
  assert.ok(right / N > 0.95, `order rule accuracy ${right / N}`);
});

test("NmnistSim works as an event dataset behind FramedDataset and the Loader", async () => {
  const { FramedDataset } = await import("../../src/data/datasets/framed.js");
  const { Loader } = await import("../../src/data/loader.js");
  const { NmnistSim } = await import("../../src/data/sim/nmnist-sim.js");
  const ds = new NmnistSim("val", { count: 3 });
  assert.equal(ds.length, 3);
  assert.deepEqual(ds.events(1).events, nmnistSimSample("val", 1).events);
  const loader = new Loader(new FramedDataset(ds, { nTimeBins: 20 }), { batchSize: 3 });
  for await (const b of loader.epoch(0)) {
    assert.deepEqual(b.shape, [20, 3, 2, 34, 34]);
    assert.deepEqual(Array.from(b.labels), [0, 1, 2].map((i) => nmnistSimSample("val", i).label));
  }
});
