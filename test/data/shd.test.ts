/**
 * SHD/SSC HDF5: both h5py fixtures (float16 and float32 times) read identically up to float16
 * rounding; values cross-checked against h5wasm's own `.value` read (a path independent of our
 * worker and float16 decoder); flat-layout writer round trips in f32/f64; missing groups,
 * out-of-range labels, non-monotonic times and non-HDF5 bytes raise FormatError naming the path.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import h5wasm from "h5wasm/node";
import { closeH5Reader, halfToFloat } from "../../src/data/readers/hdf5.js";
import { readShd, shdSampleToEvents, writeShd } from "../../src/data/readers/shd.js";
import { rejectsFormat, fixture, tempDir } from "./helpers.js";

const F16 = fixture("shd_fixture_f16.h5");
const F32 = fixture("shd_fixture_f32.h5");
after(() => closeH5Reader());

test("float16 and float32 fixtures agree up to float16 rounding", async () => {
  const a = await readShd(F32, { numClasses: 20 });
  const b = await readShd(F16, { numClasses: 20 });
  assert.equal(a.timeBytes, 4);
  assert.equal(b.timeBytes, 2);
  assert.equal(a.layout, "ragged");
  assert.deepEqual(Array.from(a.labels), [0, 13, 7, 19]);
  assert.deepEqual(Array.from(b.labels), [0, 13, 7, 19]);
  assert.deepEqual(Array.from(a.speaker!), [1, 2, 1, 11]);
  assert.equal(a.keys?.length, 20);
  assert.equal(a.keys?.[13], "drei");
  assert.equal(a.times.length, 4);
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(Array.from(a.units[i]!), Array.from(b.units[i]!));
    assert.equal(a.times[i]!.length, b.times[i]!.length);
    for (let k = 0; k < a.times[i]!.length; k++) {
      const x = a.times[i]![k]!;
      const y = b.times[i]![k]!;
      // half-ulp of float16 (10-bit mantissa) relative to the value, plus float32's own rounding
      assert.ok(Math.abs(x - y) <= 2 ** -11 * Math.abs(x) * 1.01, `row ${i} spike ${k}: f32 ${x} vs f16 ${y}`);
    }
  }
});

test("float32 fixture matches h5wasm's direct read", async () => {
  await h5wasm.ready;
  const f = new h5wasm.File(F32, "r");
  try {
    const times = f.get("spikes/times") as InstanceType<typeof h5wasm.Dataset>;
    const units = f.get("spikes/units") as InstanceType<typeof h5wasm.Dataset>;
    const tv = times.value as Float32Array[];
    const uv = units.value as Uint16Array[];
    const a = await readShd(F32);
    assert.deepEqual(a.times.map((r) => Array.from(r)), tv.map((r) => Array.from(r)));
    assert.deepEqual(a.units.map((r) => Array.from(r)), uv.map((r) => Array.from(r)));
    assert.deepEqual(a.times.map((r) => r.length), [17, 9, 13, 11]);
  } finally {
    f.close();
  }
});

test("halfToFloat on IEEE 754 binary16 reference values", () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test("samples become tonic-style events: t = s·1e6 µs, x = unit, p = 1", async () => {
  const a = await readShd(F32);
  const ev = shdSampleToEvents(a.times[1]!, a.units[1]!);
  assert.equal(ev.t[0], a.times[1]![0]! * 1e6);
  assert.deepEqual(Array.from(ev.x), Array.from(a.units[1]!));
  assert.ok(ev.p.every((p) => p === 1) && ev.y.every((y) => y === 0));
});

test("flat-layout writer round trips (f32, f64)", async () => {
  const { dir, done } = tempDir();
  try {
    const src = await readShd(F32);
    for (const dt of ["f32", "f64"] as const) {
      const out = join(dir, `rt_${dt}.h5`);
      await writeShd(out, { times: src.times, units: src.units, labels: src.labels, speaker: src.speaker, keys: src.keys }, dt);
      const back = await readShd(out, { numClasses: 20 });
      assert.equal(back.layout, "flat");
      assert.equal(back.timeBytes, dt === "f32" ? 4 : 8);
      assert.deepEqual(back.times.map((r) => Array.from(r)), src.times.map((r) => Array.from(r)));
      assert.deepEqual(back.units, src.units);
      assert.deepEqual(back.labels, src.labels);
      assert.deepEqual(back.speaker, src.speaker);
      assert.deepEqual(back.keys, src.keys);
    }
    // f64 keeps values float32 cannot
    const out = join(dir, "precise.h5");
    await writeShd(out, { times: [[0.1, 0.2, 1 / 3]], units: [[0, 1, 699]], labels: [34] }, "f64");
    const p = await readShd(out, { numClasses: 35 });
    assert.deepEqual(Array.from(p.times[0]!), [0.1, 0.2, 1 / 3]);
  } finally {
    done();
  }
});

test("malformed HDF5 content raises FormatError naming the path", async () => {
  const { dir, done } = tempDir();
  try {
    await rejectsFormat(readShd(F32, { numClasses: 10 }), { file: F32, where: /^\/labels\[1\]$/, expected: /0\.\.9/ });
    const bad = join(dir, "back.h5");
    await writeShd(bad, { times: [[0.1, 0.3, 0.2]], units: [[1, 2, 3]], labels: [0] });
    await rejectsFormat(readShd(bad), { file: bad, where: /^\/spikes\/times_flat\[0\]\[2\]$/, expected: /non-decreasing/ });
    const unit = join(dir, "unit.h5");
    await writeShd(unit, { times: [[0.1]], units: [[700]], labels: [0] });
    await rejectsFormat(readShd(unit), { file: unit, where: /^\/spikes\/units\[0\]\[0\]$/, expected: /0\.\.699/ });
    // a file without the /spikes group
    await h5wasm.ready;
    const nog = join(dir, "nospikes.h5");
    const f = new h5wasm.File(nog, "w");
    f.create_dataset({ name: "labels", data: new Uint16Array([1, 2]) });
    f.close();
    await rejectsFormat(readShd(nog), { file: nog, where: /^\/spikes$/, expected: /group \/spikes/ });
    const nol = join(dir, "nolabels.h5");
    const g = new h5wasm.File(nol, "w");
    g.create_group("spikes");
    g.close();
    await rejectsFormat(readShd(nol), { file: nol, where: /^\/labels$/, expected: /labels/ });
    const junk = join(dir, "junk.h5");
    writeFileSync(junk, Buffer.from("not an hdf5 file at all"));
    await rejectsFormat(readShd(junk), { file: junk, expected: /HDF5/ });
  } finally {
    done();
  }
});

test("ragged float64 fixture (h5py) reads as float64 and equals the float32 fixture up to float32 rounding", async () => {
  // test/fixtures/shd_fixture_f64.h5: test/fixtures/tools/mk_shd_fixture.py's make() with "float64" (h5py 3.7,
  // Debian python3-h5py); same RNG stream as the f32/f16 fixtures, so the same spikes.
  const F64 = new URL("../fixtures/shd_fixture_f64.h5", import.meta.url).pathname;
  const a = await readShd(F32, { numClasses: 20 });
  const c = await readShd(F64, { numClasses: 20 });
  assert.equal(c.timeBytes, 8);
  assert.equal(c.layout, "ragged");
  assert.deepEqual(Array.from(c.labels), [0, 13, 7, 19]);
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(Array.from(c.units[i]!), Array.from(a.units[i]!));
    assert.equal(c.times[i]!.length, a.times[i]!.length);
    for (let k = 0; k < c.times[i]!.length; k++) assert.equal(Math.fround(c.times[i]![k]!), a.times[i]![k]!, `row ${i} spike ${k}`);
  }
});
