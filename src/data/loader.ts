/**
 * A seeded batch loader: shuffles sample indices per epoch, stacks samples shaped [T, ...features]
 * into one time-major batch [T, B, ...features] (zero-padded to the longest T in the batch or to a
 * fixed T), and returns labels as Int32Array. Sources may be sync or async (disk, HDF5).
 */
import { ConfigError, ShapeError } from "../errors.js";
import { Rng } from "../util/rng.js";

export interface Sample {
  /** Time-major data [T, ...features]. */
  x: Float32Array;
  shape: number[];
  label: number;
}

export interface SampleSource {
  readonly length: number;
  get(i: number): Sample | Promise<Sample>;
}

export interface Batch {
  /** [T, B, ...features] */
  x: Float32Array;
  shape: number[];
  labels: Int32Array;
  /** Each sample's own length before padding. */
  lengths: Int32Array;
}

export interface LoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
  /** Pad (or truncate) every batch to this many steps; default: the longest sample in the batch. */
  T?: number;
}

/** Stack samples into a time-major batch. */
export function collate(samples: readonly Sample[], fixedT?: number): Batch {
  if (samples.length === 0) throw new ShapeError("collate: empty batch");
  const feat = samples[0]!.shape.slice(1);
  const F = feat.reduce((a, b) => a * b, 1);
  let T = 0;
  for (const s of samples) {
    if (s.shape.length !== feat.length + 1 || s.shape.slice(1).some((d, k) => d !== feat[k])) {
      throw new ShapeError(`collate: sample shape [${s.shape.join(", ")}] does not match [T, ${feat.join(", ")}]`);
    }
    if (s.x.length !== s.shape.reduce((a, b) => a * b, 1)) throw new ShapeError(`collate: sample data length ${s.x.length} ≠ shape [${s.shape.join(", ")}]`);
    T = Math.max(T, s.shape[0]!);
  }
  if (fixedT !== undefined) T = fixedT;
  const B = samples.length;
  const x = new Float32Array(T * B * F);
  const labels = new Int32Array(B);
  const lengths = new Int32Array(B);
  samples.forEach((s, b) => {
    labels[b] = s.label;
    const n = Math.min(s.shape[0]!, T);
    lengths[b] = n;
    for (let t = 0; t < n; t++) x.set(s.x.subarray(t * F, (t + 1) * F), (t * B + b) * F);
  });
  return { x, shape: [T, B, ...feat], labels, lengths };
}

export class Loader {
  constructor(
    readonly source: SampleSource,
    readonly opts: LoaderOptions,
  ) {
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) throw new ConfigError(`Loader: batchSize must be a positive integer, got ${opts.batchSize}`);
  }

  get batchesPerEpoch(): number {
    const n = this.source.length / this.opts.batchSize;
    return this.opts.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** Sample order of an epoch: a fresh permutation per (seed, epoch), so runs repeat exactly. */
  order(epoch: number): Int32Array {
    const idx = new Int32Array(this.source.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    if (this.opts.shuffle) new Rng(((this.opts.seed ?? 0) + Math.imul(epoch + 1, 0x9e3779b1)) >>> 0).shuffle(idx);
    return idx;
  }

  async *epoch(epoch = 0): AsyncGenerator<Batch> {
    const idx = this.order(epoch);
    const bs = this.opts.batchSize;
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      const ids = idx.subarray(b * bs, Math.min((b + 1) * bs, idx.length));
      const samples = await Promise.all(Array.from(ids, (i) => this.source.get(i)));
      yield collate(samples, this.opts.T);
    }
  }
}
