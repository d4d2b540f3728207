/**
 * The simulators' view of the shipped MNIST digits (src/data/datasets/mnist.ts): the digits and the one
 * fixed train (8,000) / val (1,000) / test (1,000) split every task and simulator uses, so a simulated
 * dataset never reuses a training digit at test time.
 */
import { loadMnistDigits as loadAll, MNIST_PIXELS, mnistSplitIndices } from "../datasets/mnist.js";

export type Split = "train" | "val" | "test";
export const DIGIT_PIXELS = MNIST_PIXELS;

export interface Digits {
  /** All images back to back, 784 floats each. */
  pixels: Float32Array;
  labels: Uint8Array;
}

export function loadMnistDigits(): Digits {
  return loadAll();
}

/** Indices (into loadMnistDigits()) of the images in a split, in a fixed order. */
export function splitIndices(split: Split): Int32Array {
  return mnistSplitIndices(split);
}
