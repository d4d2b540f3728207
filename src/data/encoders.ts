/**
 * Static-image spike encoders (docs/datasets.md "Transforms (tonic-compatible)"): Bernoulli rate code (p = v·pMax per
 * step) and time-to-first-spike latency (t = round((1−v)(T−1)), one spike, only pixels v > 0.1; round
 * is half-to-even as in numpy/PyTorch, so both sides of a comparison put spikes at the same step).
 * Output is time-major Float32Array [T, features], the layout neuron kernels scan over.
 */
import { ConfigError } from "../errors.js";
import type { Rng } from "../util/rng.js";

export interface RateOptions {
  T: number;
  /** Spike probability for intensity 1; default 1. */
  pMax?: number;
  rng: Rng;
}

export function rateEncode(img: ArrayLike<number>, o: RateOptions): Float32Array {
  const F = img.length;
  const pMax = o.pMax ?? 1;
  if (!(Number.isInteger(o.T) && o.T >= 1) || !(pMax >= 0 && pMax <= 1)) throw new ConfigError(`rateEncode: T must be a positive integer and 0 ≤ pMax ≤ 1 (T=${o.T}, pMax=${pMax})`);
  const out = new Float32Array(o.T * F);
  for (let t = 0; t < o.T; t++) {
    const row = t * F;
    for (let f = 0; f < F; f++) {
      const v = Math.min(Math.max(img[f]!, 0), 1);
      if (o.rng.random() < v * pMax) out[row + f] = 1;
    }
  }
  return out;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

export interface LatencyOptions {
  T: number;
  /** Pixels at or below this intensity stay silent; default 0.1. */
  threshold?: number;
}

export function latencyEncode(img: ArrayLike<number>, o: LatencyOptions): Float32Array {
  const F = img.length;
  const thr = o.threshold ?? 0.1;
  if (!(Number.isInteger(o.T) && o.T >= 1)) throw new ConfigError(`latencyEncode: T must be a positive integer, got ${o.T}`);
  const out = new Float32Array(o.T * F);
  for (let f = 0; f < F; f++) {
    const v = Math.min(img[f]!, 1);
    if (!(v > thr)) continue;
    const t = roundHalfEven((1 - v) * (o.T - 1));
    out[t * F + f] = 1;
  }
  return out;
}
