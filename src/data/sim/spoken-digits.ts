/**
 * A stand-in for SHD made here: the digits zero–nine (labels 0–9) and null–neun (10–19) said by
 * espeak-ng's voice variants, augmented (rate, pitch, speed, loudness, leading silence, noise) and
 * passed through the cochlea model into `<stem>_train.h5` and `<stem>_test.h5` (SHD layout, the pair
 * `train --task shd --data <stem>_train.h5` opens). Voices are split disjointly between train and test,
 * as SHD splits speakers. Samples are made in worker threads; finished batches are cached on disk so an
 * interrupted run resumes, and a finished pair with the same settings is not made again.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ConfigError, ExodusError } from "../../errors.js";
import { writeFileAtomic } from "../../util/write-file-atomic.js";
import { resolveCochlea, type CochleaOptions, type CochleaParams } from "../audio/cochlea.js";
import { SHD_KEYS, writeShdAtomic } from "../audio/shd-file.js";
import { readShd } from "../readers/shd.js";
import { mulberry32 } from "../../util/rng.js";
import type { SampleSpec } from "../audio/speech-synth.js";

export interface SpokenDigitsOptions extends CochleaOptions {
  /** `<stem>.h5`, `<stem>_train.h5` or `<stem>_test.h5`: the pair `<stem>_train.h5` + `<stem>_test.h5` is written. */
  out: string;
  train?: number;
  test?: number;
  seed?: number;
  /** Worker threads (default: every core). */
  jobs?: number;
  /** Share of the voices held out for test. */
  testVoices?: number;
  /** Samples per worker batch (and per cache file). */
  batch?: number;
  /** Ignore and overwrite cached results. */
  force?: boolean;
  log?: (msg: string) => void;
}

export interface SpokenDigitsResult {
  train: string;
  test: string;
  counts: { train: number; test: number };
  voices: { train: string[]; test: string[] };
  cached: boolean;
  /** Batches taken from the resume cache instead of being made. */
  batchesReused: number;
  seconds: number;
  samplesPerSecond: number;
  audioSeconds: number;
  spikes: number;
  jobs: number;
}

const ACCENTS_EN = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"];
const VERSION = 1; // bump when the synthesis or augmentation changes, so caches are not reused

export function outputPair(out: string): { stem: string; train: string; test: string } {
  const m = /^(.*?)(_(train|test))?\.h5$/.exec(out);
  if (!m) throw new ConfigError(`--out ${out}: give a path ending in .h5 (e.g. /data/spoken-digits.h5 → spoken-digits_train.h5 + spoken-digits_test.h5)`);
  return { stem: m[1]!, train: `${m[1]}_train.h5`, test: `${m[1]}_test.h5` };
}

/** espeak-ng's voice variants (the `!v/<name>` files), sorted; each is one synthetic speaker. */
export function espeakVariants(): string[] {
  let text: string;
  try {
    text = execFileSync("espeak-ng", ["--voices=variant"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch {
    throw new ConfigError("espeak-ng is not installed; install it (`apt-get install -y espeak-ng`, as .ci/setup-system does) to generate spoken digits");
  }
  const names = new Set<string>();
  for (const line of text.split("\n").slice(1)) {
    const m = /!v\/(\S+)/.exec(line);
    if (m) names.add(m[1]!);
  }
  if (names.size < 2) throw new ConfigError(`espeak-ng lists ${names.size} voice variants; need ≥ 2 for disjoint train/test voices (is espeak-ng-data complete?)`);
  return [...names].sort();
}

function espeakVersion(): string {
  try {
    return execFileSync("espeak-ng", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "none";
  }
}

/** Voice-disjoint split: a seeded shuffle, the first share held out for test (at least one voice each). */
export function splitVoices(variants: string[], seed: number, testShare: number): { train: string[]; test: string[] } {
  const v = [...variants];
  const rnd = mulberry32(seed ^ 0x5eed);
  for (let i = v.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  const nTest = Math.min(v.length - 1, Math.max(1, Math.round(v.length * testShare)));
  return { test: v.slice(0, nTest).sort(), train: v.slice(nTest).sort() };
}

/** Sample i of a split depends only on (seed, split, i), so a bigger set extends a smaller one. */
export function sampleSpec(seed: number, split: "train" | "test", i: number, voices: string[]): SampleSpec & { speaker: string } {
  const rnd = mulberry32((seed * 2654435761) ^ (split === "train" ? 0 : 0x9e3779b9) ^ Math.imul(i + 1, 0x85ebca6b));
  const label = i % 20;
  const speaker = voices[Math.floor(rnd() * voices.length)]!;
  const lang = label < 10 ? ACCENTS_EN[Math.floor(rnd() * ACCENTS_EN.length)]! : "de";
  const noisy = rnd() < 0.7;
  return {
    label,
    speaker,
    voice: `${lang}+${speaker}`,
    wpm: Math.round(120 + 80 * rnd()),
    pitch: Math.round(20 + 60 * rnd()),
    speed: 0.88 + 0.24 * rnd(),
    gainDb: -12 + 18 * rnd(),
    lead: 0.1 * rnd(),
    snrDb: noisy ? 5 + 25 * rnd() : null,
    noise: rnd() < 0.5 ? "white" : "low",
    seed: Math.floor(rnd() * 2 ** 32),
  };
}

interface Row {
  times: Float32Array;
  units: Uint16Array;
  seconds: number;
}

/** Batch cache file: uint32 count, then per row uint32 n, float32 seconds, n float32 times, n uint16 units. */
function encodeBatch(rows: Row[]): Uint8Array {
  let size = 4;
  for (const r of rows) size += 8 + r.times.length * 6;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, rows.length, true);
  let o = 4;
  for (const r of rows) {
    v.setUint32(o, r.times.length, true);
    v.setFloat32(o + 4, r.seconds, true);
    o += 8;
    new Uint8Array(b.buffer, o, r.times.length * 4).set(new Uint8Array(r.times.buffer, r.times.byteOffset, r.times.byteLength));
    o += r.times.length * 4;
    new Uint8Array(b.buffer, o, r.units.length * 2).set(new Uint8Array(r.units.buffer, r.units.byteOffset, r.units.byteLength));
    o += r.units.length * 2;
  }
  return b;
}

function decodeBatch(bytes: Uint8Array, expect: number): Row[] | null {
  if (bytes.length < 4) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== expect) return null;
  const rows: Row[] = [];
  let o = 4;
  for (let i = 0; i < expect; i++) {
    if (o + 8 > bytes.length) return null;
    const n = v.getUint32(o, true);
    const seconds = v.getFloat32(o + 4, true);
    o += 8;
    if (o + n * 6 > bytes.length) return null;
    const times = new Float32Array(n);
    new Uint8Array(times.buffer).set(bytes.subarray(o, o + n * 4));
    o += n * 4;
    const units = new Uint16Array(n);
    new Uint8Array(units.buffer).set(bytes.subarray(o, o + n * 2));
    o += n * 2;
    rows.push({ times, units, seconds });
  }
  return o === bytes.length ? rows : null;
}

function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./spoken-digits-worker.js", import.meta.url));
  // Under tsx (tests, dev) the sibling is .ts, and tsx's loader hooks do not carry into worker threads.
  const url = new URL("./spoken-digits-worker.ts", import.meta.url).href;
  return new Worker(`import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(url)}); });`, { eval: true });
}

interface Reply {
  id: number;
  rows?: Row[];
  error?: { name: string; message: string };
}

/** Run batches on `jobs` workers; `done` is called per finished batch, in completion order. */
async function runPool(batches: SampleSpec[][], params: CochleaParams, jobs: number, done: (i: number, rows: Row[]) => void): Promise<void> {
  if (batches.length === 0) return;
  const n = Math.min(jobs, batches.length);
  const workers: Worker[] = [];
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let finished = 0;
      const feed = (w: Worker): void => {
        if (next < batches.length) {
          const id = next++;
          w.postMessage({ id, params, specs: batches[id] });
        }
      };
      for (let k = 0; k < n; k++) {
        const w = startWorker();
        workers.push(w);
        w.on("message", (m: Reply) => {
          if (m.error) {
            const e = m.error.name === "ConfigError" ? new ConfigError(m.error.message) : new ExodusError(`spoken-digits worker: ${m.error.name}: ${m.error.message}`);
            reject(e);
            return;
          }
          try {
            done(m.id, m.rows!);
          } catch (e) {
            reject(e);
            return;
          }
          if (++finished === batches.length) resolve();
          else feed(w);
        });
        w.on("error", reject);
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function fmtTime(s: number): string {
  return s >= 90 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${s.toFixed(1)}s`;
}

export async function generateSpokenDigits(opts: SpokenDigitsOptions): Promise<SpokenDigitsResult> {
  const params = resolveCochlea(opts);
  const counts = { train: opts.train ?? 8156, test: opts.test ?? 2264 };
  for (const [k, v] of Object.entries(counts)) if (!(Number.isInteger(v) && v >= 1)) throw new ConfigError(`--${k} must be an integer ≥ 1, got ${v}`);
  const seed = opts.seed ?? 0;
  const jobs = opts.jobs ?? availableParallelism();
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new ConfigError(`--jobs must be an integer ≥ 1, got ${jobs}`);
  const batch = opts.batch ?? 25;
  const share = opts.testVoices ?? 0.2;
  if (!(share > 0 && share < 1)) throw new ConfigError(`testVoices must be in (0, 1), got ${share}`);
  const log = opts.log ?? (() => {});
  const pair = outputPair(opts.out);
  const voices = splitVoices(espeakVariants(), seed, share);
  const allVoices = [...voices.train, ...voices.test].sort();
  const speakerId = new Map(allVoices.map((v, i) => [v, i]));
  // What the samples depend on (not their number: sample i is the same in a bigger set).
  const key = createHash("sha256").update(JSON.stringify({ VERSION, params, seed, share, voices, espeak: espeakVersion() })).digest("hex").slice(0, 16);
  const meta = `${pair.stem}.spoken-digits.json`;
  const cacheDir = `${pair.stem}.spoken-digits-cache/${key}`;
  const base = { train: pair.train, test: pair.test, counts, voices, jobs };
  if (!opts.force && existsSync(pair.train) && existsSync(pair.test) && existsSync(meta)) {
    try {
      const m = JSON.parse(readFileSync(meta, "utf8")) as Partial<SpokenDigitsResult> & { key?: string; layout?: string };
      if (m.key === key && m.counts?.train === counts.train && m.counts?.test === counts.test) {
        if (m.layout !== "ragged") {
          // made before the writer could write SHD's ragged layout: same spikes, rewritten in SHD's layout
          for (const split of ["train", "test"] as const) await rewriteRagged(pair[split]);
          writeFileAtomic(meta, JSON.stringify({ ...m, layout: "ragged" }, null, 1));
          log(`spoken-digits: ${pair.train} and ${pair.test} rewritten in SHD's ragged layout (they were flat; same spikes)`);
        }
        log(`spoken-digits: ${pair.train} and ${pair.test} are up to date (same settings); pass --force to remake them`);
        return { ...base, cached: true, batchesReused: 0, seconds: m.seconds ?? 0, samplesPerSecond: m.samplesPerSecond ?? 0, audioSeconds: m.audioSeconds ?? 0, spikes: m.spikes ?? 0 };
      }
    } catch {
      // unreadable metadata: make the files again
    }
  }
  if (opts.force) rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  const t0 = performance.now();
  let made = 0;
  let reused = 0;
  let audioSeconds = 0;
  let spikes = 0;
  const total = counts.train + counts.test;
  // Both splits share one pool, their batches interleaved in proportion, so a run stopped early has
  // cached train and test batches in the final ratio (a smaller set can then be written from them).
  const specs = { train: [] as (SampleSpec & { speaker: string })[], test: [] as (SampleSpec & { speaker: string })[] };
  const rows: Record<"train" | "test", Row[]> = { train: new Array(counts.train), test: new Array(counts.test) };
  const todo: { split: "train" | "test"; lo: number; order: number }[] = [];
  for (const split of ["train", "test"] as const) {
    const n = counts[split];
    specs[split] = Array.from({ length: n }, (_, i) => sampleSpec(seed, split, i, voices[split]));
    for (let lo = 0; lo < n; lo += batch) {
      const hi = Math.min(n, lo + batch);
      const file = `${cacheDir}/${split}-${lo}-${hi}.bin`;
      const cached = existsSync(file) ? decodeBatch(readFileSync(file), hi - lo) : null;
      if (cached) {
        cached.forEach((r, k) => (rows[split][lo + k] = r));
        reused++;
      } else todo.push({ split, lo, order: lo / n });
    }
  }
  todo.sort((a, b) => a.order - b.order);
  const batches = todo.map((t) => specs[t.split].slice(t.lo, Math.min(counts[t.split], t.lo + batch)));
  const newSamples = batches.reduce((a, b) => a + b.length, 0);
  if (reused > 0) log(`spoken-digits: ${reused} cached batches reused, ${newSamples} samples to make`);
  const every = Math.max(1, Math.ceil(batches.length / 50));
  let doneBatches = 0;
  await runPool(batches, params, jobs, (i, got) => {
    const { split, lo } = todo[i]!;
    got.forEach((r, k) => (rows[split][lo + k] = r));
    writeFileAtomic(`${cacheDir}/${split}-${lo}-${lo + got.length}.bin`, encodeBatch(got));
    made += got.length;
    if (++doneBatches % every === 0 || doneBatches === batches.length) {
      const el = (performance.now() - t0) / 1000;
      const rate = made / el;
      log(`spoken-digits: ${made}/${newSamples} samples made (${total} in the set), ${rate.toFixed(2)} samples/s on ${jobs} workers, ${fmtTime(el)} elapsed, ~${fmtTime((newSamples - made) / rate)} left`);
    }
  });
  for (const split of ["train", "test"] as const) {
    for (const r of rows[split]) {
      audioSeconds += r.seconds;
      spikes += r.times.length;
    }
    await writeShdAtomic(pair[split], {
      times: rows[split].map((r) => r.times),
      units: rows[split].map((r) => r.units),
      labels: Uint16Array.from(specs[split], (s) => s.label),
      speaker: Uint16Array.from(specs[split], (s) => speakerId.get(s.speaker)!),
      keys: SHD_KEYS,
    });
    log(`spoken-digits: wrote ${pair[split]} (${counts[split]} samples, ${voices[split].length} voices)`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const res: SpokenDigitsResult = { ...base, cached: false, batchesReused: reused, seconds, samplesPerSecond: made / seconds, audioSeconds, spikes };
  writeFileAtomic(meta, JSON.stringify({ ...res, key, layout: "ragged", params, seed, speakers: allVoices }, null, 1));
  // The pair is the cache now; the per-batch files only served to resume.
  rmSync(`${pair.stem}.spoken-digits-cache`, { recursive: true, force: true });
  return res;
}

/** A pair file in the flat layout this writer made before, rewritten atomically in SHD's ragged layout. */
async function rewriteRagged(path: string): Promise<void> {
  const d = await readShd(path);
  if (d.layout === "ragged") return;
  await writeShdAtomic(path, { times: d.times, units: d.units, labels: d.labels, speaker: d.speaker, keys: d.keys });
}

/** Remove a generated pair, its metadata and any resume cache (tests). */
export function removeSpokenDigits(out: string): void {
  const p = outputPair(out);
  for (const f of [p.train, p.test, `${p.stem}.spoken-digits.json`]) rmSync(f, { force: true });
  rmSync(`${p.stem}.spoken-digits-cache`, { recursive: true, force: true });
}
