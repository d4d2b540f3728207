/**
 * Fuzzing every parser with ≥ 10,000 random and mutated inputs (seeded, so failures reproduce):
 * each input must either decode within bounds (output no larger than the input allows) or raise a
 * FormatError that names the file, a byte offset / line / HDF5 path, and what was expected. Any
 * other exception, a slow call or an oversize result fails. HDF5 bytes go through the real h5wasm
 * worker (fewer inputs: each costs a file write and an HDF5 open; hangs hit the deadline).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { decodeFrames, encodeFrames } from "../../src/data/cache.js";
import { decodeAedat31, encodeAedat31 } from "../../src/data/readers/aedat.js";
import { parseGestureLabels, parseTrials } from "../../src/data/readers/gesture-labels.js";
import { closeH5Reader, readH5Datasets, type H5Read } from "../../src/data/readers/hdf5.js";
import { decodeIdx, encodeIdx } from "../../src/data/readers/idx.js";
import { decodeNmnist } from "../../src/data/readers/nmnist.js";
import { readShd, SHD_PATHS, validateShd } from "../../src/data/readers/shd.js";
import { makeEvents } from "../../src/data/events.js";
import { FormatError } from "../../src/errors.js";
import { lcg, fixture, tempDir } from "./helpers.js";

after(() => closeH5Reader());

const N = 10_000;
const WHERE = /^(byte \d+|line \d+|\/[\w/]*(\[\d+\])*|gzip stream|HDF5.*)$/;

type R = () => number;
const int = (r: R, n: number): number => Math.floor(r() * n);

function randomBytes(r: R, maxLen: number): Uint8Array {
  const b = new Uint8Array(int(r, maxLen + 1));
  for (let i = 0; i < b.length; i++) b[i] = int(r, 256);
  return b;
}

/** Flip, overwrite, insert, delete or truncate a few bytes of a valid input. */
function mutate(r: R, src: Uint8Array): Uint8Array {
  let b = Uint8Array.from(src);
  const k = 1 + int(r, 4);
  for (let j = 0; j < k; j++) {
    const op = int(r, 5);
    const at = int(r, Math.max(1, b.length));
    if (op === 0 && b.length) b[at] = b[at]! ^ (1 << int(r, 8));
    else if (op === 1 && b.length) b[at] = int(r, 256);
    else if (op === 2) b = Uint8Array.from([...b.subarray(0, at), int(r, 256), ...b.subarray(at)]);
    else if (op === 3 && b.length) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
    else b = b.subarray(0, at);
  }
  return b;
}

interface Stats {
  ok: number;
  rejected: number;
  slowestMs: number;
}

/** Run one input; only a FormatError naming the file and a location is an acceptable failure. */
function one<T>(name: string, run: () => T, bound: (out: T) => boolean, s: Stats): void {
  const t0 = performance.now();
  try {
    const out = run();
    assert.ok(bound(out), `${name}: output exceeds what the input can hold`);
    s.ok++;
  } catch (e) {
    if (!(e instanceof FormatError)) throw new Error(`${name}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.equal(e.file, name);
    assert.match(e.where, WHERE, `${name}: where '${e.where}'`);
    assert.ok(e.expected.length > 3);
    s.rejected++;
  }
  s.slowestMs = Math.max(s.slowestMs, performance.now() - t0);
}

function finish(s: Stats, label: string): void {
  assert.ok(s.ok + s.rejected >= N, `${label}: ${s.ok + s.rejected} inputs`);
  assert.ok(s.rejected > 0, `${label}: no input was rejected`);
  assert.ok(s.slowestMs < 500, `${label}: slowest input took ${s.slowestMs} ms`);
}

test("fuzz N-MNIST .bin decoder", () => {
  const r = lcg(101);
  const real = readFileSync(fixture("sample_nmnist.bin")).subarray(0, 1000);
  const s: Stats = { ok: 0, rejected: 0, slowestMs: 0 };
  for (let i = 0; i < N; i++) {
    const buf = i % 2 ? mutate(r, real) : randomBytes(r, 60);
    one(`n${i}.bin`, () => decodeNmnist(buf, `n${i}.bin`), (ev) => ev.t.length <= buf.length / 5, s);
  }
  finish(s, "nmnist");
});

test("fuzz AEDAT 3.1 decoder", () => {
  const r = lcg(202);
  const ev = makeEvents([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], [10, 20, 30, 40, 50, 60], [1, 0, 1, 0, 1, 0]);
  const valid = encodeAedat31(ev, { packetSize: 4 });
  const head = valid.subarray(0, valid.length - 2 * 28 - 6 * 8);
  const s: Stats = { ok: 0, rejected: 0, slowestMs: 0 };
  for (let i = 0; i < N; i++) {
    const k = i % 3;
    const buf = k === 0 ? mutate(r, valid) : k === 1 ? Uint8Array.from([...head, ...randomBytes(r, 120)]) : randomBytes(r, 80);
    one(`a${i}.aedat`, () => decodeAedat31(buf, `a${i}.aedat`), (o) => o.events.t.length <= buf.length / 8, s);
  }
  finish(s, "aedat");
});

test("fuzz DVS Gesture labels CSV and trials lists", () => {
  const r = lcg(303);
  const real = readFileSync(fixture("user01_natural_labels.csv"));
  const trials = Buffer.from("user01_fluorescent.aedat\r\nuser02_lab.aedat\r\n");
  const s: Stats = { ok: 0, rejected: 0, slowestMs: 0 };
  const t: Stats = { ok: 0, rejected: 0, slowestMs: 0 };
  const text = (b: Uint8Array): string => Buffer.from(b).toString("latin1");
  for (let i = 0; i < N; i++) {
    const csv = text(i % 2 ? mutate(r, real) : randomBytes(r, 80));
    one(`l${i}.csv`, () => parseGestureLabels(csv, `l${i}.csv`), (segs) => segs.length <= csv.length / 6 && segs.every((g) => g.label >= 0 && g.label < 11 && g.endUs > g.startUs), s);
    const tr = text(i % 2 ? mutate(r, trials) : randomBytes(r, 60));
    one(`t${i}.txt`, () => parseTrials(tr, `t${i}.txt`), (names) => names.length <= tr.length / 6, t);
  }
  finish(s, "labels csv");
  finish(t, "trials");
});

test("fuzz IDX decoder (raw and gzip)", () => {
  const r = lcg(404);
  const raw = encodeIdx({ dims: [3, 4, 5], data: Uint8Array.from({ length: 60 }, (_, i) => i) });
  const gz = gzipSync(raw);
  const s: Stats = { ok: 0, rejected: 0, slowestMs: 0 };
  for (let i = 0; i < N; i++) {
    const k = i % 3;
    const buf = k === 0 ? mutate(r, raw) : k === 1 ? mutate(r, gz) : randomBytes(r, 40);
    one(`i${i}.idx`, () => decodeIdx(buf, `i${i}.idx`, 1 << 20), (a) => a.data.length <= 1 << 20, s);
  }
  finish(s, "idx");
});

test("fuzz frame-cache entries, dense and sparse (a bad entry is a miss, never a crash)", () => {
  const r = lcg(505);
  const dense = encodeFrames({ data: Int16Array.from([1, 2, 3, 4, 5, 6]), shape: [1, 2, 3] });
  const sparseFr = { data: new Int16Array(60), shape: [2, 3, 10] };
  sparseFr.data[7] = 3;
  sparseFr.data[59] = -2;
  const sparse = encodeFrames(sparseFr);
  assert.ok(sparse.length < dense.length + 20 && sparse.length < 2 * 60, "the mostly-zero block is stored sparse");
  assert.deepEqual(decodeFrames(sparse), sparseFr);
  let hits = 0;
  for (let i = 0; i < N; i++) {
    const buf = i % 3 === 0 ? randomBytes(r, 40) : mutate(r, i % 3 === 1 ? dense : sparse);
    const fr = decodeFrames(buf);
    if (fr) {
      hits++;
      assert.equal(fr.data.length, fr.shape.reduce((a, b) => a * b, 1));
    }
  }
  assert.ok(hits < N);
});

test("HDF5 deadline: a read past its deadline is a FormatError and the next read works", async () => {
  const f = fixture("shd_fixture_f16.h5");
  await assert.rejects(readH5Datasets(f, SHD_PATHS, { timeoutMs: 1 }), (e) => e instanceof FormatError && /did not finish/.test(e.message) && e.file === f);
  assert.equal((await readShd(f)).labels.length, 4);
});

/** Structural mutations of a real SHD read: the checks owned by validateShd, without HDF5 in the loop. */
test("fuzz SHD structure validator (missing groups, wrong types, ragged mismatches, bad values)", async () => {
  const base = await readH5Datasets(fixture("shd_fixture_f16.h5"), SHD_PATHS);
  const flatBase: H5Read = {
    paths: ["spikes", "spikes/times_flat", "spikes/units_flat", "spikes/offsets", "labels"],
    datasets: {
      spikes: "group",
      "spikes/times_flat": { type: 1, size: 4, signed: false, shape: [4], value: Float32Array.from([0.1, 0.2, 0.3, 0.4]) },
      "spikes/units_flat": { type: 0, size: 2, signed: false, shape: [4], value: Uint16Array.from([1, 2, 3, 4]) },
      "spikes/offsets": { type: 0, size: 8, signed: true, shape: [3], value: BigInt64Array.from([0n, 1n, 4n]) },
      labels: { type: 0, size: 2, signed: false, shape: [2], value: Uint16Array.from([3, 4]) },
    },
  };
  const r = lcg(606);
  const s: Stats = { ok: 0, rejected: 0, slowestMs: 0 };
  const clone = (x: H5Read): H5Read => structuredClone(x);
  const pickNum = (): number => [0, 1, -1, 699, 700, 65535, 0.5, NaN, Infinity, -0.001, 1e9, 19, 20, 35][int(r, 14)]!;
  for (let i = 0; i < N; i++) {
    const raw = clone(i % 2 ? base : flatBase);
    const keys = Object.keys(raw.datasets);
    for (let m = 0, k = 1 + int(r, 3); m < k; m++) {
      const key = keys[int(r, keys.length)]!;
      const d = raw.datasets[key];
      const op = int(r, 7);
      if (op === 0) raw.datasets[key] = null;
      else if (op === 1) raw.datasets[key] = "group";
      else if (d && d !== "group") {
        if (op === 2) d.type = int(r, 11);
        else if (op === 3) d.size = [1, 2, 4, 8, 16][int(r, 5)]!;
        else if (op === 4 && d.vlen) d.vlen = { type: int(r, 11), size: [2, 4, 8][int(r, 3)]!, signed: false };
        else if (op === 5) {
          const v = d.value;
          const arr: unknown = Array.isArray(v) ? v[int(r, v.length)] : v;
          if (ArrayBuffer.isView(arr) && !(arr instanceof BigInt64Array) && !(arr instanceof DataView)) {
            const a = arr as Float32Array;
            if (a.length) a[int(r, a.length)] = pickNum();
          }
        } else {
          const v = d.value;
          if (Array.isArray(v)) d.value = int(r, 2) ? v.slice(0, int(r, v.length)) : [...v, new Float32Array(2)];
          else if (ArrayBuffer.isView(v)) d.value = (v as Uint16Array).slice(0, int(r, (v as Uint16Array).length + 1));
          else d.value = null;
        }
      }
    }
    one(`s${i}.h5`, () => validateShd(raw, `s${i}.h5`, { numClasses: 20 }), (o) => o.labels.every((l) => l < 20) && o.times.length === o.labels.length, s);
  }
  finish(s, "shd structure");
});

test("fuzz HDF5 bytes through the h5wasm worker (mutated fixtures, deadline per file)", { timeout: 60_000 }, async () => {
  const { dir, done } = tempDir();
  try {
    const r = lcg(707);
    const srcs = [readFileSync(fixture("shd_fixture_f16.h5")), readFileSync(fixture("shd_fixture_f32.h5"))];
    let ok = 0;
    let rejected = 0;
    const t0 = performance.now();
    for (let i = 0; i < 300; i++) {
      const file = join(dir, `h${i}.h5`);
      const src = srcs[i % 2]!;
      // small edits: HDF5 files are mostly structure, and heavy damage only tests the superblock check
      const b = Uint8Array.from(src);
      for (let k = 0, n = 1 + int(r, 5); k < n; k++) b[int(r, b.length)] = int(r, 256);
      writeFileSync(file, i % 10 === 9 ? b.subarray(0, int(r, b.length)) : b);
      try {
        const d = await readShd(file, { numClasses: 20, timeoutMs: 1500 });
        assert.ok(d.times.length === d.labels.length);
        ok++;
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`h${i}.h5: ${String(e)}`);
        assert.equal(e.file, file);
        assert.match(e.where, WHERE);
        rejected++;
      }
    }
    assert.ok(rejected > 0 && ok > 0, `ok ${ok}, rejected ${rejected}`);
    assert.ok(performance.now() - t0 < 55_000);
    // an aborted or hung HDF5 module must not poison later reads
    assert.deepEqual(Array.from((await readShd(fixture("shd_fixture_f32.h5"))).labels), [0, 13, 7, 19]);
  } finally {
    done();
  }
});
