/**
 * The count/rate baseline: a time-blind classifier (multinomial logistic regression on standardised
 * per-channel spike counts, full-batch gradient descent) fed from any Task. A spiking network that beats
 * it must be using spike timing.
 */
import { encodeNow, type Split, type Task } from "../train/tasks/types.js";
import { Rng } from "../util/rng.js";

/** Per-sample per-channel spike counts Σ_t x: [n, F] sample-major, with the labels. */
export function countFeatures(task: Task, split: Split): { x: Float64Array; labels: Int32Array; n: number; F: number } {
  const n = task.size(split);
  const F = task.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float64Array(n * F);
  const labels = new Int32Array(n);
  const rng = new Rng(0);
  const chunk = 256;
  for (let s = 0; s < n; s += chunk) {
    const idx = Array.from({ length: Math.min(chunk, n - s) }, (_, i) => s + i);
    const B = idx.length;
    const d = encodeNow(task, split, idx, rng);
    for (let t = 0; t < task.T; t++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) x[(s + b) * F + f]! += d[(t * B + b) * F + f]!;
    idx.forEach((i) => (labels[i] = task.label(split, i)));
  }
  return { x, labels, n, F };
}

/** Test accuracy of logistic regression on counts, trained on the task's train split. */
export function countBaseline(task: Task, epochs = 300): number {
  const tr = countFeatures(task, "train");
  const te = countFeatures(task, "test");
  const F = tr.F;
  const K = task.classes;
  const mu = new Float64Array(F);
  const sd = new Float64Array(F);
  for (let i = 0; i < tr.n; i++) for (let f = 0; f < F; f++) mu[f]! += tr.x[i * F + f]! / tr.n;
  for (let i = 0; i < tr.n; i++) for (let f = 0; f < F; f++) sd[f]! += (tr.x[i * F + f]! - mu[f]!) ** 2 / tr.n;
  for (let f = 0; f < F; f++) sd[f] = Math.sqrt(sd[f]!) || 1;
  // standardised once: the 300 full-batch epochs below read every feature K times each (SHD: 8k × 100 × 20)
  const standardise = (c: Float64Array) => c.map((v, j) => (v - mu[j % F]!) / sd[j % F]!);
  const ztr = standardise(tr.x);
  const zte = standardise(te.x);
  const z = (c: Float64Array, i: number, f: number) => c[i * F + f]!;
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
    for (let i = 0; i < tr.n; i++) {
      const l = logits(ztr, i);
      const m = Math.max(...l);
      let se = 0;
      for (let k = 0; k < K; k++) se += Math.exp(l[k]! - m);
      for (let k = 0; k < K; k++) {
        const p = Math.exp(l[k]! - m) / se - (k === tr.labels[i] ? 1 : 0);
        for (let f = 0; f < F; f++) g[k * (F + 1) + f]! += (p * z(ztr, i, f)) / tr.n;
        g[k * (F + 1) + F]! += p / tr.n;
      }
    }
    for (let j = 0; j < W.length; j++) W[j]! -= lr * (g[j]! + 1e-4 * W[j]!);
  }
  let ok = 0;
  for (let i = 0; i < te.n; i++) {
    const l = logits(zte, i);
    if (l.indexOf(Math.max(...l)) === te.labels[i]) ok++;
  }
  return ok / te.n;
}
