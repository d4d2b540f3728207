/**
 * What the trainer needs from a dataset: per-split sizes and labels, and a batch encoded as the network's
 * time-major input. Everything a task is built from is plain JSON (TaskOptions), so a run's config.json
 * rebuilds it and a worker thread can build its own copy to prepare batches off the main thread.
 */
import { ConfigError } from "../../errors.js";
import type { Rng } from "../../util/rng.js";

export type Split = "train" | "test";

export interface Task {
  readonly name: string;
  /** Per-step input shape (without T, B). */
  readonly inputShape: number[];
  readonly classes: number;
  /** Time steps per sample. */
  readonly T: number;
  readonly description: string;
  size(split: Split): number;
  label(split: Split, i: number): number;
  /** Encodes samples `idx` as a time-major [T, B, ...inputShape] tensor's data. */
  encode(split: Split, idx: readonly number[], rng: Rng): Float32Array | Promise<Float32Array>;
}

export interface TaskOptions {
  /** mnist: spike code. */
  encoding?: "rate" | "latency";
  /** Time steps per sample (event datasets: frames kept after binning; shorter samples are zero-padded). */
  T?: number;
  /** mnist training augmentation: random translation of up to this many pixels (default 1). */
  maxShift?: number;
  /** Use only n samples of a split (a fixed subset; smoke tests and quick runs). */
  limitTrain?: number;
  limitTest?: number;
  /** Event datasets: where the files are (a folder, or for SHD/SSC a `*_train.h5` file). */
  data?: string;
  /** Event datasets: bin each sample into this many equal frames (ToFrame n_time_bins). */
  timeBins?: number;
  /** Event datasets: bin into frames of this many µs (ToFrame time_window), then keep T frames. */
  timeWindowUs?: number;
  /** Event datasets: spatial factor of tonic's Downsample (x, y ← floor(f·x), floor(f·y)); SHD/SSC: channels. */
  downsample?: number;
  /** Event datasets: frame cache folder (default <exodus-snn home>/cache/frames). */
  cacheDir?: string;
}


/** Every TaskOptions key, once: the compiler refuses this table when a key is added above and not here. */
export const TASK_OPTION_KEYS: Readonly<Record<keyof TaskOptions, true>> = {
  encoding: true, T: true, maxShift: true, limitTrain: true, limitTest: true,
  data: true, timeBins: true, timeWindowUs: true, downsample: true, cacheDir: true,
};

/**
 * task.encode for the synchronous loops (fitSteps, the count baseline): the in-memory tasks encode at once; a
 * task that reads its samples from disk is refused with the fix.
 */
export function encodeNow(task: Task, split: Split, idx: readonly number[], rng: Rng): Float32Array {
  const d = task.encode(split, idx, rng);
  if (d instanceof Promise) throw new ConfigError(`task '${task.name}' reads its samples from disk (asynchronously); train it with the Trainer (exodus-snn train), not a synchronous loop`);
  return d;
}
