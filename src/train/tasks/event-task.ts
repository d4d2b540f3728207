/**
 * A training task over an event dataset in its authors' layout (src/data/layouts.ts): each sample is
 * downsampled (tonic's Downsample), binned into count frames (tonic's ToFrame, n_time_bins or time_window),
 * cropped or zero-padded to T frames, and cached on disk (src/data/cache.ts) so only the first epoch decodes
 * files. N-MNIST and DVS Gesture give [2, H, W] per step (polarity, rows, columns), SHD/SSC [channels].
 */
import { join } from "node:path";
import { ConfigError } from "../../errors.js";
import { FrameCache } from "../../data/cache.js";
import { FramedDataset, type FrameMode } from "../../data/datasets/framed.js";
import type { EventDataset } from "../../data/datasets/types.js";
import type { SensorSize } from "../../data/events.js";
import { exodusHome, openDatasetSplits, type EventDatasetName } from "../../data/layouts.js";
import { downsample } from "../../data/transforms/spatial.js";
import { Rng } from "../../util/rng.js";
import type { Split, Task, TaskOptions } from "./types.js";

/** Binning and shape a dataset gets when the command line says nothing. */
export interface EventDefaults {
  timeBins?: number;
  timeWindowUs?: number;
  T: number;
  downsample: number;
}

/** Size of an axis of n pixels after x ← floor(f·x). */
const scaled = (n: number, f: number) => Math.floor((n - 1) * f) + 1;

/** Parses "0.5", "1/7" (exactly 1/7) into a factor in (0, 1]. */
export function parseFactor(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+(?:\.\d+)?))?\s*$/.exec(v);
  const f = m ? Number(m[1]) / (m[2] !== undefined ? Number(m[2]) : 1) : NaN;
  if (!(f > 0 && f <= 1)) throw new ConfigError(`--downsample: expected a factor in (0, 1] such as 0.5 or 1/7, got '${v}'`);
  return f;
}

export class EventTask implements Task {
  readonly inputShape: number[];
  readonly classes: number;
  readonly T: number;
  readonly description: string;
  private readonly framed: Record<Split, FramedDataset>;
  private readonly subset: Record<Split, Int32Array>;
  private readonly labels: Record<Split, Int32Array>;
  private readonly perStep: number;

  private constructor(
    readonly name: EventDatasetName,
    sets: Record<Split, EventDataset>,
    o: TaskOptions,
    d: EventDefaults,
    source: string,
  ) {
    const f = o.downsample ?? d.downsample;
    if (!(f > 0 && f <= 1)) throw new ConfigError(`${name}: downsample factor must be in (0, 1], got ${f}`);
    const byWindow = o.timeWindowUs !== undefined || (o.timeBins === undefined && d.timeWindowUs !== undefined);
    const mode: FrameMode = byWindow ? { timeWindow: o.timeWindowUs ?? d.timeWindowUs! } : { nTimeBins: o.timeBins ?? d.timeBins ?? d.T };
    if ("timeWindow" in mode && !(mode.timeWindow > 0)) throw new ConfigError(`--time-window-us must be > 0, got ${mode.timeWindow}`);
    if ("nTimeBins" in mode && !(Number.isInteger(mode.nTimeBins) && mode.nTimeBins >= 1)) throw new ConfigError(`--time-bins must be an integer ≥ 1, got ${mode.nTimeBins}`);
    this.T = "nTimeBins" in mode ? mode.nTimeBins : (o.T ?? d.T);
    if (!(Number.isInteger(this.T) && this.T >= 1)) throw new ConfigError(`T must be an integer ≥ 1, got ${this.T}`);
    const [W, H, P] = sets.train.sensorSize;
    const audio = H === 1;
    const sensor: SensorSize = [scaled(W, f), audio ? 1 : scaled(H, f), P];
    this.inputShape = audio ? [sensor[0] * P] : [P, sensor[1], sensor[0]];
    this.perStep = this.inputShape.reduce((a, b) => a * b, 1);
    this.classes = sets.train.classes.length;
    const cache = new FrameCache(o.cacheDir ?? join(exodusHome(), "cache", "frames"));
    const transform = f === 1 ? undefined : (ev: Parameters<typeof downsample>[0]) => downsample(ev, { spatialFactor: audio ? [f, 1] : f });
    const framedOf = (ds: EventDataset) => new FramedDataset(ds, { ...mode, sensorSize: sensor }, { transform, transformKey: transform ? `downsample:${f}` : undefined, cache });
    this.framed = { train: framedOf(sets.train), test: framedOf(sets.test) };
    const pick = (ds: EventDataset, limit: number | undefined): Int32Array => {
      const all = Int32Array.from({ length: ds.length }, (_, i) => i);
      if (limit === undefined || limit >= ds.length) return all;
      // A fixed random subset: the files are listed class by class, so the first n would be one class.
      new Rng(0x5eed).shuffle(all);
      return all.slice(0, limit);
    };
    this.subset = { train: pick(sets.train, o.limitTrain), test: pick(sets.test, o.limitTest) };
    const labelsOf = (ds: EventDataset, sub: Int32Array) => Int32Array.from(sub, (i) => (ds.label ? ds.label(i) : NaN));
    this.labels = { train: labelsOf(sets.train, this.subset.train), test: labelsOf(sets.test, this.subset.test) };
    const bin = "nTimeBins" in mode ? `${mode.nTimeBins} time bins` : `${mode.timeWindow / 1000} ms frames, ${this.T} kept`;
    this.description = `${name} from ${source}: ${this.size("train")}/${this.size("test")} samples, ${bin}, input [${this.inputShape.join(", ")}]${f !== 1 ? ` (downsampled ×${+f.toFixed(4)})` : ""}`;
  }

  static async open(name: EventDatasetName, o: TaskOptions, d: EventDefaults): Promise<EventTask> {
    // option mistakes first: no reason to open (or unpack) a dataset for a run that cannot start
    if (o.timeWindowUs !== undefined && o.timeBins !== undefined) throw new ConfigError("give either --time-bins or --time-window-us, not both");
    const splits = await openDatasetSplits(name, o.data);
    const task = new EventTask(name, { train: splits.train, test: splits.test }, o, d, splits.source);
    await task.fillLabels();
    return task;
  }

  /** Datasets whose labels live inside the event files: read them once up front. */
  private async fillLabels(): Promise<void> {
    for (const split of ["train", "test"] as const) {
      const ds = this.framed[split].ds;
      if (ds.label) continue;
      for (let j = 0; j < this.subset[split].length; j++) this.labels[split][j] = (await ds.events(this.subset[split][j]!)).label;
    }
  }

  size(split: Split): number {
    return this.subset[split].length;
  }

  label(split: Split, i: number): number {
    return this.labels[split][i]!;
  }

  /**
   * Every sample of `split` as sample-major [n, T, F] int16 counts (through the frame cache, so a second
   * load reads no events), with its labels and speaker ids (null when the files record none).
   */
  async loadSplit(split: Split, onProgress?: (done: number, total: number) => void): Promise<{ x: Int16Array; labels: Int32Array; speakers: Int32Array | null }> {
    const n = this.size(split), F = this.perStep, T = this.T;
    const x = new Int16Array(n * T * F);
    const ds = this.framed[split].ds;
    const ids = ds.speaker ? Int32Array.from(this.subset[split], (i) => ds.speaker!(i) ?? -1) : null;
    for (let j = 0; j < n; j++) {
      const { frames } = await this.framed[split].frames(this.subset[split][j]!);
      const k = Math.min(T, frames.shape[0]!);
      x.set(frames.data.subarray(0, k * F), j * T * F);
      if (onProgress && ((j + 1) % 500 === 0 || j + 1 === n)) onProgress(j + 1, n);
    }
    return { x, labels: Int32Array.from(this.labels[split]), speakers: ids && ids.every((v) => v >= 0) ? ids : null };
  }

  async encode(split: Split, idx: readonly number[], _rng: Rng): Promise<Float32Array> {
    const B = idx.length, F = this.perStep, T = this.T;
    const out = new Float32Array(T * B * F);
    for (let b = 0; b < B; b++) {
      const { frames } = await this.framed[split].frames(this.subset[split][idx[b]!]!);
      const n = Math.min(T, frames.shape[0]!);
      const d = frames.data;
      for (let t = 0; t < n; t++) out.set(d.subarray(t * F, (t + 1) * F), (t * B + b) * F);
    }
    return out;
  }
}
