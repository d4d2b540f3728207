/**
 * Where the Trainer's randomness comes from: every draw uses an Rng seeded by deriveSeed(seed, epoch,
 * purpose), so a run resumed at an epoch boundary draws exactly what an uninterrupted run would, and no
 * generator position needs saving in a checkpoint.
 */
import { Dropout } from "../layers/dropout.js";
import type { Sequential } from "../layers/sequential.js";
import { Rng } from "../util/rng.js";

/** A 32-bit mix of (seed, a, b) (murmur3 finaliser): independent streams per epoch and purpose. */
export function deriveSeed(seed: number, a: number, b: number): number {
  let h = (seed ^ Math.imul(a + 1, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The purpose numbers; changing one changes every run's numbers. */
export const PURPOSE = { shuffle: 1, encode: 2, dropout: 3, testEncode: 4 } as const;

/** The description saved in TrainerState.rng. */
export const RNG_SCHEME = "mulberry32(deriveSeed(seed, epoch, purpose))";

/** The sample order of one epoch cut into batches (the last one may be short). */
export function epochBatches(n: number, batchSize: number, seed: number, epoch: number): number[][] {
  const order = Array.from({ length: n }, (_, i) => i);
  new Rng(deriveSeed(seed, epoch, PURPOSE.shuffle)).shuffle(order);
  return Array.from({ length: Math.ceil(n / batchSize) }, (_, s) => order.slice(s * batchSize, (s + 1) * batchSize));
}

/** The encoder's seed for a training epoch. */
export function trainEncodeSeed(seed: number, epoch: number): number {
  return deriveSeed(seed, epoch, PURPOSE.encode);
}

/** The encoder's seed for evaluation and the probe: one fixed stream, so every evaluation sees the same inputs. */
export function testEncodeSeed(seed: number): number {
  return deriveSeed(seed, 0, PURPOSE.testEncode);
}

/**
 * Gives each Dropout module of the model (in module order, k = 0, 1, …) its own stream for this epoch:
 * purpose 3000 + k, i.e. the dropout purpose times 1000 plus the module's index.
 */
export function seedDropout(model: Sequential, seed: number, epoch: number): void {
  let k = 0;
  for (const [, m] of model.namedModules()) if (m instanceof Dropout) m.rng = new Rng(deriveSeed(seed, epoch, PURPOSE.dropout * 1000 + k++));
}
