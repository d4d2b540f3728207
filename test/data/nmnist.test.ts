/**
 * N-MNIST .bin reader/writer: the real tonic sample (counts computed independently with numpy and
 * listed in data-formats.md §1.1), byte-identical re-encoding, overflow-record skipping, the
 * Train/<digit> tree walker, and FormatErrors for truncated, off-sensor and time-reversed records.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { makeEvents } from "../../src/data/events.js";
import { decodeNmnist, encodeNmnist, listNmnistTree, readNmnistFile } from "../../src/data/readers/nmnist.js";
import { lcg, fixture, tempDir, throwsFormat } from "./helpers.js";

const SAMPLE = fixture("sample_nmnist.bin");

test("real sample_nmnist.bin: 4,325 events from 654 to 311,175 µs", () => {
  const ev = readNmnistFile(SAMPLE);
  assert.equal(ev.t.length, 4325);
  assert.equal(ev.t[0], 654);
  assert.equal(ev.t[ev.t.length - 1], 311175);
  let on = 0;
  const sacc = [0, 0, 0];
  for (let i = 0; i < ev.t.length; i++) {
    on += ev.p[i]!;
    sacc[ev.t[i]! < 105000 ? 0 : ev.t[i]! < 210000 ? 1 : 2]!++;
    assert.ok(ev.x[i]! < 34 && ev.y[i]! < 34);
  }
  assert.equal(on, 2145);
  assert.equal(ev.t.length - on, 2180);
  assert.deepEqual(sacc, [1391, 1343, 1591]);
});

test("real sample re-encodes byte for byte", () => {
  const raw = readFileSync(SAMPLE);
  assert.deepEqual(Buffer.from(encodeNmnist(decodeNmnist(raw, SAMPLE))), raw);
});

test("decoding follows the byte layout (hand-built records)", () => {
  // x=3, y=7, ON, t = 0x012345; x=33, y=0, OFF, t = 0x7FFFFF
  const buf = Uint8Array.from([3, 7, 0x80 | 0x01, 0x23, 0x45, 33, 0, 0x7f, 0xff, 0xff]);
  const ev = decodeNmnist(buf);
  assert.deepEqual(Array.from(ev.x), [3, 33]);
  assert.deepEqual(Array.from(ev.y), [7, 0]);
  assert.deepEqual(Array.from(ev.p), [1, 0]);
  assert.deepEqual(Array.from(ev.t), [0x012345, 0x7fffff]);
});

test("y == 240 overflow records are skipped and add 2^13 µs to later events", () => {
  const buf = Uint8Array.from([1, 1, 0, 0, 10, 0, 240, 0, 0, 0, 2, 2, 0x80, 0, 5]);
  const ev = decodeNmnist(buf);
  assert.equal(ev.t.length, 2);
  assert.deepEqual(Array.from(ev.t), [10, 5 + 8192]);
});

test("random round trip write → read", () => {
  const r = lcg(7);
  for (let rep = 0; rep < 50; rep++) {
    const n = Math.floor(r() * 300);
    const t: number[] = [];
    let cur = 0;
    for (let i = 0; i < n; i++) t.push((cur += Math.floor(r() * 3000)));
    const ev = makeEvents(t.map(() => Math.floor(r() * 34)), t.map(() => Math.floor(r() * 34)), t, t.map(() => (r() < 0.5 ? 1 : 0)));
    const back = decodeNmnist(encodeNmnist(ev));
    assert.deepEqual(back, ev);
  }
});

test("malformed files raise FormatError with file and byte offset", () => {
  const raw = readFileSync(SAMPLE);
  throwsFormat(() => decodeNmnist(raw.subarray(0, 21623), "trunc.bin"), { file: "trunc.bin", where: /^byte 21620$/, expected: /5-byte/ });
  const off = Uint8Array.from(raw.subarray(0, 50));
  off[25] = 34; // x of record 5
  throwsFormat(() => decodeNmnist(off, "off.bin"), { file: "off.bin", where: /^byte 25$/, expected: /x < 34/ });
  const back = Uint8Array.from([0, 0, 0, 0, 100, 0, 0, 0, 0, 99]);
  throwsFormat(() => decodeNmnist(back, "back.bin"), { file: "back.bin", where: /^byte 5$/, expected: /non-decreasing/ });
});

test("Train/<digit>/*.bin tree: sorted by digit then name, label = folder", () => {
  const { dir, done } = tempDir();
  try {
    const raw = readFileSync(SAMPLE);
    for (const [d, name] of [[3, "b.bin"], [3, "a.bin"], [0, "z.bin"]] as const) {
      mkdirSync(join(dir, String(d)), { recursive: true });
      writeFileSync(join(dir, String(d), name), raw);
    }
    writeFileSync(join(dir, "3", "notes.txt"), "x");
    const files = listNmnistTree(dir);
    assert.deepEqual(files.map((f) => [f.label, f.path.slice(dir.length + 1)]), [[0, "0/z.bin"], [3, "3/a.bin"], [3, "3/b.bin"]]);
  } finally {
    done();
  }
});
