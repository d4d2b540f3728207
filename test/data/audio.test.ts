/**
 * Audio → spikes converter on known signals. Expected values come from the textbook formulas, written
 * out here independently of src/data/audio: the ERB-number scale (Glasberg & Moore 1990) for which
 * channel a tone should drive, the 4th-order gammatone envelope peak 3/(2π·1.019·ERB) for click
 * latency, and monotonicity in level. WAV bytes are built by hand (not with wavefile), so decoding is
 * checked against the RIFF spec; bad WAVs must raise a FormatError naming the file and leave no .h5.
 */
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { cochleaSpikes, resolveCochlea } from "../../src/data/audio/cochlea.js";
import { convertAudioFolder } from "../../src/data/audio/convert.js";
import { decodeWav } from "../../src/data/audio/wav.js";
import { closeH5Reader } from "../../src/data/readers/hdf5.js";
import { readShd } from "../../src/data/readers/shd.js";
import { rejectsFormat, tempDir, throwsFormat } from "./helpers.js";

after(() => closeH5Reader());

const FS = 16000;
const P = resolveCochlea(); // 700 channels, 50–7000 Hz
const erbN = (f: number): number => 21.4 * Math.log10(1 + 0.00437 * f);
const erbHz = (f: number): number => 24.7 * (1 + 0.00437 * f);
/** Hand-computed centre frequency of channel i (even steps in ERB-number between 50 and 7000 Hz). */
const cfOf = (i: number): number => {
  const e = erbN(50) + ((erbN(7000) - erbN(50)) * i) / 699;
  return (10 ** (e / 21.4) - 1) / 0.00437;
};

function tone(freq: number, dbfs: number, on: number, off: number, total: number): Float32Array {
  const x = new Float32Array(Math.round(total * FS));
  const amp = 10 ** (dbfs / 20);
  for (let i = Math.round(on * FS); i < Math.round(off * FS); i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / FS);
  return x;
}

function counts(units: Uint16Array): Int32Array {
  const c = new Int32Array(700);
  for (const u of units) c[u]!++;
  return c;
}

test("a pure tone drives the channels whose centre frequency matches it, only while it plays", () => {
  for (const f of [300, 1000, 3000]) {
    const s = cochleaSpikes(tone(f, -10, 0.1, 0.4, 0.6), FS, P);
    const c = counts(s.units);
    let best = 0;
    for (let i = 1; i < 700; i++) if (c[i]! > c[best]!) best = i;
    assert.ok(Math.abs(erbN(cfOf(best)) - erbN(f)) < 0.5, `${f} Hz tone: busiest channel ${best} has CF ${cfOf(best).toFixed(0)} Hz`);
    // 3 ERB off CF a 4th-order gammatone passes |H| = (1 + (3/1.019)²)^−2 ≈ −39 dB; after the model's
    // 4th-root steady-state compression (two square-root adaptation loops) that is ≤ 0.32 of the drive,
    // and a spiking unit's count grows no faster than its drive above threshold.
    const ratio = ((1 + (3 / 1.019) ** 2) ** -2) ** 0.25;
    for (let i = 0; i < 700; i++) {
      if (Math.abs(erbN(cfOf(i)) - erbN(f)) > 3) assert.ok(c[i]! <= ratio * c[best]!, `${f} Hz: channel ${i} (CF ${cfOf(i).toFixed(0)} Hz) fired ${c[i]} vs ${c[best]}`);
    }
    for (let k = 0; k < s.times.length; k++) {
      assert.ok(s.times[k]! >= 0.1 && s.times[k]! < 0.45, `${f} Hz: spike at ${s.times[k]} s outside the tone (0.1–0.4 s, +50 ms decay)`);
      if (k > 0) assert.ok(s.times[k]! >= s.times[k - 1]!);
    }
  }
});

test("a click: no spike before it, high channels answer within the gammatone envelope peak, low channels later", () => {
  const x = new Float32Array(Math.round(0.3 * FS));
  const at = Math.round(0.1 * FS);
  x[at] = 1;
  const s = cochleaSpikes(x, FS, P);
  assert.ok(s.times.length > 0);
  const first = new Float64Array(700).fill(Infinity);
  for (let k = 0; k < s.times.length; k++) first[s.units[k]!] = Math.min(first[s.units[k]!]!, s.times[k]!);
  const tc = at / FS;
  let answered = 0;
  for (let i = 0; i < 700; i++) {
    if (!Number.isFinite(first[i]!)) continue;
    assert.ok(first[i]! >= tc, `channel ${i} fired at ${first[i]} s, before the click at ${tc} s`);
    const cf = cfOf(i);
    if (cf >= 1000) {
      answered++;
      const peak = 3 / (2 * Math.PI * 1.019 * erbHz(cf));
      // + the hair-cell low-pass and the unit's integration to threshold: 2.5 ms at most for a full-scale click
      assert.ok(first[i]! <= tc + peak + 2.5e-3, `channel ${i} (CF ${cf.toFixed(0)} Hz): first spike ${((first[i]! - tc) * 1e3).toFixed(2)} ms after the click, envelope peak at ${(peak * 1e3).toFixed(2)} ms`);
    }
  }
  assert.ok(answered > 300, `only ${answered} channels above 1 kHz answered the click`);
  const meanLatency = (lo: number, hi: number): number => {
    const v: number[] = [];
    for (let i = 0; i < 700; i++) if (cfOf(i) >= lo && cfOf(i) < hi && Number.isFinite(first[i]!)) v.push(first[i]! - tc);
    assert.ok(v.length > 0, `no channel in ${lo}–${hi} Hz fired`);
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  assert.ok(meanLatency(200, 400) > meanLatency(4000, 7000), "low-frequency channels should answer a click later (longer gammatone envelope)");
});

test("louder → more spikes (a 1 kHz tone from −40 to −10 dBFS)", () => {
  const n = [-40, -30, -20, -10].map((db) => cochleaSpikes(tone(1000, db, 0.05, 0.35, 0.4), FS, P).times.length);
  for (let i = 1; i < n.length; i++) assert.ok(n[i]! > n[i - 1]!, `spike counts by level: ${n.join(", ")}`);
  assert.equal(cochleaSpikes(new Float32Array(FS / 4), FS, P).times.length, 0, "silence must give no spikes");
});

/** A WAV built from the RIFF spec by hand: 16-byte fmt chunk, then data. */
function wavBytes(format: number, channels: number, rate: number, bits: number, payload: Uint8Array, declaredData = payload.length): Uint8Array {
  const b = new Uint8Array(44 + payload.length);
  const v = new DataView(b.buffer);
  const ascii = (o: number, s: string): void => [...s].forEach((ch, i) => (b[o + i] = ch.charCodeAt(0)));
  ascii(0, "RIFF");
  v.setUint32(4, 36 + declaredData, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, format, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, (rate * channels * bits) / 8, true);
  v.setUint16(32, (channels * bits) / 8, true);
  v.setUint16(34, bits, true);
  ascii(36, "data");
  v.setUint32(40, declaredData, true);
  b.set(payload, 44);
  return b;
}

test("decodeWav: 16-bit PCM values are code/32768, 8-bit is offset by 128, 24-bit signed; stereo float is averaged to mono", () => {
  const pcm = new Int16Array([0, 16384, -32768, 32767]);
  const a = decodeWav(wavBytes(1, 1, 8000, 16, new Uint8Array(pcm.buffer)), "a.wav");
  assert.equal(a.sampleRate, 8000);
  assert.deepEqual(Array.from(a.samples), [0, 0.5, -1, 32767 / 32768].map(Math.fround));
  // 8-bit WAV is unsigned with 128 as zero; 24-bit is signed little-endian: 0x400000 = 0.5, 0xffffff = −1/2^23
  assert.deepEqual(Array.from(decodeWav(wavBytes(1, 1, 8000, 8, new Uint8Array([128, 255, 0])), "c.wav").samples), [0, 127 / 128, -1]);
  assert.deepEqual(Array.from(decodeWav(wavBytes(1, 1, 8000, 24, new Uint8Array([0, 0, 0x40, 0xff, 0xff, 0xff])), "d.wav").samples), [0.5, Math.fround(-(2 ** -23))]);
  const st = new Float32Array([0.5, -0.25, 1, 0]); // frames (L,R): (0.5,−0.25), (1,0)
  const b = decodeWav(wavBytes(3, 2, 44100, 32, new Uint8Array(st.buffer)), "b.wav");
  assert.equal(b.sampleRate, 44100);
  assert.deepEqual(Array.from(b.samples), [0.125, 0.5]);
});

test("decodeWav: truncated data, unsupported encodings and non-WAV bytes are FormatErrors naming the file", () => {
  const pcm = new Uint8Array(new Int16Array(100).buffer);
  throwsFormat(() => decodeWav(wavBytes(1, 1, 8000, 16, pcm.subarray(0, 120), 200), "cut.wav"), { file: "cut.wav", where: /data/, expected: /200 bytes/ });
  throwsFormat(() => decodeWav(wavBytes(6, 1, 8000, 8, new Uint8Array(10)), "alaw.wav"), { file: "alaw.wav", where: /fmt/, expected: /PCM/ });
  throwsFormat(() => decodeWav(new TextEncoder().encode("not a wav file at all, just text"), "t.wav"), { file: "t.wav" });
});

test("convertAudioFolder: WAVs + CSV → a file in SHD's ragged layout our reader opens; a bad WAV leaves no output", async () => {
  const t = tempDir("exodus-audio-");
  try {
    const x = tone(1000, -10, 0.02, 0.2, 0.25);
    const pcm = new Int16Array(x.length);
    for (let i = 0; i < x.length; i++) pcm[i] = Math.round(x[i]! * 32767);
    writeFileSync(join(t.dir, "a.wav"), wavBytes(1, 1, FS, 16, new Uint8Array(pcm.buffer)));
    // the same tone as stereo float at 22.05 kHz
    const n2 = Math.round(0.25 * 22050);
    const st = new Float32Array(2 * n2);
    for (let i = Math.round(0.02 * 22050); i < Math.round(0.2 * 22050); i++) st[2 * i] = st[2 * i + 1] = 10 ** (-10 / 20) * Math.sin((2 * Math.PI * 1000 * i) / 22050);
    writeFileSync(join(t.dir, "b.wav"), wavBytes(3, 2, 22050, 32, new Uint8Array(st.buffer)));
    writeFileSync(join(t.dir, "labels.csv"), "file,label,speaker\na.wav,3,7\nb.wav,12,2\n");
    const out = join(t.dir, "out.h5");
    const r = await convertAudioFolder(t.dir, join(t.dir, "labels.csv"), out, { channels: 64 });
    assert.equal(r.samples, 2);
    const d = await readShd(out, { numClasses: 20, channels: 64 });
    // SHD's own ragged layout (VLEN float32 times, VLEN uint16 units), as SHD's Python loaders expect
    assert.equal(d.layout, "ragged");
    assert.equal(d.timeBytes, 4);
    assert.deepEqual(Array.from(d.labels), [3, 12]);
    assert.deepEqual(Array.from(d.speaker!), [7, 2]);
    for (const row of d.times) assert.ok(row.length > 50 && row[0]! >= 0.02 && row[row.length - 1]! < 0.25);
    // Same tone, different file encodings and rates: spike counts within 10 %.
    const [na, nb] = [d.times[0]!.length, d.times[1]!.length];
    assert.ok(Math.abs(na - nb) < 0.1 * na, `16-bit mono 16 kHz gave ${na} spikes, float stereo 22.05 kHz gave ${nb}`);

    const bad = tempDir("exodus-audio-bad-");
    try {
      writeFileSync(join(bad.dir, "a.wav"), wavBytes(1, 1, FS, 16, new Uint8Array(pcm.buffer)));
      writeFileSync(join(bad.dir, "cut.wav"), wavBytes(1, 1, FS, 16, new Uint8Array(pcm.buffer).subarray(0, 1000), 4000));
      writeFileSync(join(bad.dir, "labels.csv"), "a.wav,0\ncut.wav,1\n");
      await rejectsFormat(convertAudioFolder(bad.dir, join(bad.dir, "labels.csv"), join(bad.dir, "out.h5"), { channels: 16 }), { file: join(bad.dir, "cut.wav") });
      assert.deepEqual(readdirSync(bad.dir).sort(), ["a.wav", "cut.wav", "labels.csv"]);
    } finally {
      bad.done();
    }
  } finally {
    t.done();
  }
});
