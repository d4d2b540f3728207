/**
 * SHD/SSC HDF5: both h5py fixtures (float16 and float32 times) read identically up to float16
 * rounding; values cross-checked against h5wasm's own `.value` read (a path independent of our
 * worker and float16 decoder). The writer: SHD's ragged layout round trips through our reader in
 * f16/f32/f64 across write batches and chunks, and is read by h5py and PyTables the way SHD's own
 * loaders read it (test/fixtures/tools/read_shd_py.py; skipped with a message when they are not
 * installed), float16 rounding checked against numpy's; the flat layout still round trips; a failed
 * write leaves the old file and no temporary behind; missing groups, out-of-range labels,
 * non-monotonic times and non-HDF5 bytes raise FormatError naming the path.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import h5wasm from "h5wasm/node";
import { SHD_KEYS } from "../../src/data/audio/shd-file.js";
import { closeH5Reader, floatToHalf, halfToFloat } from "../../src/data/readers/hdf5.js";
import { readShd, shdSampleToEvents, writeShd, type ShdWriteInput } from "../../src/data/readers/shd.js";
import { ConfigError, ShapeError } from "../../src/errors.js";
import { rejectsFormat, fixture, lcg, tempDir } from "./helpers.js";

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

test("flat-layout writer round trips (f32, f64), for readers of files made before the ragged writer", async () => {
  const { dir, done } = tempDir();
  try {
    const src = await readShd(F32);
    for (const dt of ["f32", "f64"] as const) {
      const out = join(dir, `rt_${dt}.h5`);
      await writeShd(out, { times: src.times, units: src.units, labels: src.labels, speaker: src.speaker, keys: src.keys }, { timeDtype: dt, layout: "flat" });
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
    await writeShd(out, { times: [[0.1, 0.2, 1 / 3]], units: [[0, 1, 699]], labels: [34] }, { timeDtype: "f64", layout: "flat" });
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
    await rejectsFormat(readShd(bad), { file: bad, where: /^\/spikes\/times\[0\]\[2\]$/, expected: /non-decreasing/ });
    await writeShd(bad, { times: [[0.1, 0.3, 0.2]], units: [[1, 2, 3]], labels: [0] }, { layout: "flat" });
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

/** 1,100 samples (more than the template's 1,024-row chunk), every 9th empty, float64 times float32 cannot hold. */
function writerInput(): ShdWriteInput & { times: Float64Array[]; units: Uint16Array[] } {
  const r = lcg(13);
  const n = 1100;
  const times: Float64Array[] = [];
  const units: Uint16Array[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 9 === 0 ? 0 : 1 + Math.floor(r() * 60);
    times.push(Float64Array.from({ length: k }, () => r() * 1.4).sort());
    units.push(Uint16Array.from({ length: k }, () => Math.floor(r() * 700)));
  }
  return { times, units, labels: Uint16Array.from({ length: n }, (_, i) => (i * 7) % 20), speaker: Uint16Array.from({ length: n }, (_, i) => i % 12), keys: SHD_KEYS };
}

/** What a time row holds once stored as f16/f32/f64. */
function stored(row: Float64Array, dt: "f16" | "f32" | "f64"): number[] {
  return Array.from(row, (x) => (dt === "f64" ? x : dt === "f32" ? Math.fround(x) : halfToFloat(floatToHalf(x))));
}

test("ragged writer (SHD's layout) round trips through our reader in f16, f32 and f64, across write batches and chunks", async () => {
  const { dir, done } = tempDir();
  try {
    const src = writerInput();
    for (const dt of ["f16", "f32", "f64"] as const) {
      const out = join(dir, `ragged_${dt}.h5`);
      // 2 KB batches: dozens of H5Dwrite calls, each a hyperslab of rows
      await writeShd(out, src, { timeDtype: dt, batchBytes: 2048 });
      const back = await readShd(out, { numClasses: 20 });
      assert.equal(back.layout, "ragged");
      assert.equal(back.timeBytes, { f16: 2, f32: 4, f64: 8 }[dt]);
      assert.equal(back.times.length, 1100);
      for (let i = 0; i < 1100; i++) {
        assert.deepEqual(Array.from(back.times[i]!), stored(src.times[i]!, dt), `${dt} row ${i}`);
        assert.deepEqual(back.units[i], src.units[i], `${dt} row ${i}`);
      }
      assert.deepEqual(Array.from(back.labels), Array.from(src.labels));
      assert.deepEqual(Array.from(back.speaker!), Array.from(src.speaker!));
      assert.deepEqual(back.keys, SHD_KEYS);
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes(".tmp-")), [], "no temporary file left");
    }
    // f32 really is float32: 0.1 is not kept exactly
    const one = join(dir, "one.h5");
    await writeShd(one, { times: [[0.1]], units: [[3]], labels: [1] });
    assert.equal((await readShd(one)).times[0]![0], Math.fround(0.1));
    assert.notEqual(Math.fround(0.1), 0.1);
  } finally {
    done();
  }
});

test("floatToHalf: every finite float16 round trips; ties go to even; overflow, subnormals and signs", () => {
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaN payloads
    assert.equal(floatToHalf(halfToFloat(h)), h, `0x${h.toString(16)}`);
  }
  // 1 + 2^-11 is halfway between 1 (0x3c00, even) and 1 + 2^-10 (0x3c01): to even; 1 + 3·2^-11 goes up to 0x3c02
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00);
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(floatToHalf(1 + 2 ** -11 + 2 ** -30), 0x3c01);
  assert.equal(floatToHalf(65504), 0x7bff);
  assert.equal(floatToHalf(65519.99), 0x7bff);
  assert.equal(floatToHalf(65520), 0x7c00);
  assert.equal(floatToHalf(-1e9), 0xfc00);
  assert.equal(floatToHalf(2 ** -25), 0); // halfway to the smallest subnormal: to even (0)
  assert.equal(floatToHalf(3 * 2 ** -25), 2);
  assert.equal(floatToHalf(2 ** -14 - 2 ** -25), 0x0400); // rounds up into the smallest normal
  assert.equal(floatToHalf(-0), 0x8000);
  assert.equal(floatToHalf(Number.NaN) & 0x7e00, 0x7e00);
});

test("a failed write leaves the previous file and no temporary; bad inputs are typed errors", async () => {
  const { dir, done } = tempDir();
  try {
    const out = join(dir, "keep.h5");
    await writeShd(out, { times: [[0.5]], units: [[1]], labels: [4] });
    const before = readFileSync(out);
    await assert.rejects(writeShd(out, { times: [[0.5]], units: [[70000]], labels: [4] }), ConfigError);
    await assert.rejects(writeShd(out, { times: [[0.5, 0.6]], units: [[1]], labels: [4] }), ShapeError);
    await assert.rejects(writeShd(out, { times: [[0.5]], units: [[1]], labels: [4, 5] }), ShapeError);
    await assert.rejects(writeShd(out, { times: [[0.5]], units: [[1]], labels: [-1] }), ConfigError);
    assert.deepEqual(readFileSync(out), before);
    assert.deepEqual(readdirSync(dir), ["keep.h5"]);
    // a folder that does not exist: the error comes through, nothing is created
    await assert.rejects(writeShd(join(dir, "no", "such", "x.h5"), { times: [[0.5]], units: [[1]], labels: [4] }));
    assert.deepEqual(readdirSync(dir), ["keep.h5"]);
  } finally {
    done();
  }
});

/** The first of /usr/bin/python3 (Debian's, where python3-h5py installs) and python3 that imports `mod`. */
function pythonWith(mod: string): string | null {
  for (const py of ["/usr/bin/python3", "python3"]) {
    if (spawnSync(py, ["-c", `import ${mod}`], { stdio: "ignore" }).status === 0) return py;
  }
  return null;
}

interface PyRead {
  timeDtype: string;
  unitDtype: string;
  rowDtypes: string[];
  labelDtype: string;
  times: number[][];
  units: number[][];
  labels: number[];
  speakerDtype?: string;
  speaker?: number[];
  keys?: string[];
  paths?: string[];
  f16ref?: number[][];
}

const READ_PY = fixture("tools/read_shd_py.py");

for (const lib of ["h5py", "tables"] as const) {
  test(`${lib === "h5py" ? "h5py" : "PyTables"} reads our ragged files as SHD's loaders do (f16, f32, f64); float16 rounding equals numpy's`, async (t) => {
    const py = pythonWith(lib);
    if (!py) {
      t.skip(`python3 with ${lib} not found (Debian: apt-get install python3-${lib}; .ci/setup-system installs it)`);
      return;
    }
    const { dir, done } = tempDir();
    try {
      const src = writerInput();
      const srcJson = join(dir, "src.json");
      writeFileSync(srcJson, JSON.stringify(src.times.map((r) => Array.from(r))));
      for (const dt of ["f16", "f32", "f64"] as const) {
        const out = join(dir, `py_${dt}.h5`);
        await writeShd(out, src, { timeDtype: dt, batchBytes: 4096 });
        const args = [READ_PY, out, lib, ...(dt === "f16" ? [srcJson] : [])];
        const res: SpawnSyncReturns<string> = spawnSync(py, args, { encoding: "utf8", maxBuffer: 1 << 28 });
        assert.equal(res.status, 0, `${lib} failed on ${out}: ${res.stderr}`);
        const got = JSON.parse(res.stdout) as PyRead;
        const numpyDt = { f16: "float16", f32: "float32", f64: "float64" }[dt];
        assert.equal(got.timeDtype, numpyDt);
        assert.equal(got.unitDtype, "uint16");
        assert.deepEqual(got.rowDtypes, [numpyDt, "uint16"]);
        assert.equal(got.labelDtype, "uint16");
        assert.equal(got.speakerDtype, "uint16");
        for (let i = 0; i < src.times.length; i++) {
          assert.deepEqual(got.times[i], stored(src.times[i]!, dt), `${dt} row ${i}`);
          assert.deepEqual(got.units[i], Array.from(src.units[i]!), `${dt} row ${i}`);
        }
        if (dt === "f16") assert.deepEqual(got.f16ref, got.times, "our float16 rounding differs from numpy's astype(float16)");
        assert.deepEqual(got.labels, Array.from(src.labels));
        assert.deepEqual(got.speaker, Array.from(src.speaker!));
        assert.deepEqual(got.keys, SHD_KEYS);
        if (got.paths) assert.deepEqual(got.paths.sort(), ["extra", "extra/keys", "extra/speaker", "labels", "spikes", "spikes/times", "spikes/units"]);
      }
    } finally {
      done();
    }
  });
}
