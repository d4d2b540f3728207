/**
 * The accuracy experiment's datasets as in-memory arrays: `order-burst` (the temporal task of
 * data-formats.md §4b) and `nmnist-sim` (MNIST digits through the DVS saccade simulator), both generated
 * by src/data/sim and converted here to sample-major arrays with T frames, plus the count/rate baseline
 * (logistic regression on per-channel spike counts) that shows whether a task really needs time.
 */
import { orderBurst as genOrderBurst } from "../data/sim/order-burst.js";
import { nmnistSim as genNmnistSim } from "../data/sim/nmnist-sim.js";
import type { Split } from "../data/sim/mnist-digits.js";

/** Samples stored sample-major: x[(i·T + t)·F + f]. */
export interface Dataset {
  name: string;
  x: Float32Array;
  labels: Int32Array;
  n: number;
  T: number;
  F: number;
  classes: number;
}

/** order-burst from src/data (task seed 1, default parameters: T = 150, 32 channels, gap 20–60 steps). */
export function orderBurst(o: { split: Split; n: number; taskSeed?: number }): Dataset {
  const b = genOrderBurst({ taskSeed: o.taskSeed ?? 1, split: o.split, count: o.n });
  const [T, N, C] = b.shape as [number, number, number];
  const x = new Float32Array(N * T * C);
  for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) x.set(b.x.subarray((t * N + i) * C, (t * N + i + 1) * C), (i * T + t) * C);
  return { name: "order-burst", x, labels: b.labels, n: N, T, F: C, classes: 4 };
}

/**
 * nmnist-sim from src/data, binned into T equal frames over the 315 ms of the three saccades and
 * sum-pooled by `pool` (2 → 17×17×2 = 578 inputs); channel layout [polarity, y, x].
 */
export function nmnistSim(o: { split: Split; n: number; T?: number; pool?: number }): Dataset {
  const T = o.T ?? 30;
  const pool = o.pool ?? 2;
  const P = Math.ceil(34 / pool);
  const F = 2 * P * P;
  const samples = genNmnistSim({ split: o.split, count: o.n });
  const x = new Float32Array(o.n * T * F);
  const labels = new Int32Array(o.n);
  const spanUs = 315_000;
  samples.forEach((s, i) => {
    labels[i] = s.label;
    const ev = s.events;
    for (let k = 0; k < ev.t.length; k++) {
      const t = Math.min(T - 1, Math.floor((ev.t[k]! / spanUs) * T));
      const f = ev.p[k]! * P * P + Math.floor(ev.y[k]! / pool) * P + Math.floor(ev.x[k]! / pool);
      x[(i * T + t) * F + f]! += 1;
    }
  });
  return { name: "nmnist-sim", x, labels, n: o.n, T, F, classes: 10 };
}

/** Time-major batch [T, B, F] of samples idx. */
export function batchOf(ds: Dataset, idx: ArrayLike<number>): Float32Array {
  const B = idx.length;
  const out = new Float32Array(ds.T * B * ds.F);
  for (let b = 0; b < B; b++) {
    const s = idx[b]!;
    for (let t = 0; t < ds.T; t++) out.set(ds.x.subarray((s * ds.T + t) * ds.F, (s * ds.T + t + 1) * ds.F), (t * B + b) * ds.F);
  }
  return out;
}

/** Per-sample per-channel spike counts (the time-blind features). */
export function counts(ds: Dataset): Float64Array {
  const c = new Float64Array(ds.n * ds.F);
  for (let i = 0; i < ds.n; i++) for (let t = 0; t < ds.T; t++) for (let f = 0; f < ds.F; f++) c[i * ds.F + f]! += ds.x[(i * ds.T + t) * ds.F + f]!;
  return c;
}

/** The count/rate baseline: multinomial logistic regression on standardised counts (full-batch GD). */
export function countBaseline(train: Dataset, test: Dataset, epochs = 300): number {
  const F = train.F;
  const K = train.classes;
  const ctr = counts(train);
  const cte = counts(test);
  const mu = new Float64Array(F);
  const sd = new Float64Array(F);
  for (let i = 0; i < train.n; i++) for (let f = 0; f < F; f++) mu[f]! += ctr[i * F + f]! / train.n;
  for (let i = 0; i < train.n; i++) for (let f = 0; f < F; f++) sd[f]! += (ctr[i * F + f]! - mu[f]!) ** 2 / train.n;
  for (let f = 0; f < F; f++) sd[f] = Math.sqrt(sd[f]!) || 1;
  const z = (c: Float64Array, i: number, f: number) => (c[i * F + f]! - mu[f]!) / sd[f]!;
  const W = new Float64Array(K * (F + 1));
  const logits = (c: Float64Array, i: number) => {
    const l = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let s = W[k * (F + 1) + F]!;
      for (let f = 0; f < F; f++) s += W[k * (F + 1) + f]! * z(c, i, f);
      l[k] = s;
    }
    return l;
  };
  const lr = 0.5;
  for (let e = 0; e < epochs; e++) {
    const g = new Float64Array(W.length);
    for (let i = 0; i < train.n; i++) {
      const l = logits(ctr, i);
      const m = Math.max(...l);
      let se = 0;
      for (let k = 0; k < K; k++) se += Math.exp(l[k]! - m);
      for (let k = 0; k < K; k++) {
        const p = Math.exp(l[k]! - m) / se - (k === train.labels[i] ? 1 : 0);
        for (let f = 0; f < F; f++) g[k * (F + 1) + f]! += (p * z(ctr, i, f)) / train.n;
        g[k * (F + 1) + F]! += p / train.n;
      }
    }
    for (let j = 0; j < W.length; j++) W[j]! -= lr * (g[j]! + 1e-4 * W[j]!);
  }
  let ok = 0;
  for (let i = 0; i < test.n; i++) {
    const l = logits(cte, i);
    if (l.indexOf(Math.max(...l)) === test.labels[i]) ok++;
  }
  return ok / test.n;
}
