/**
 * Losses and optimizers against hand-computed references: CE on counts and on max over time, MSE on
 * counts (values and gradients by finite differences), SGD (momentum, Nesterov, weight decay), Adam and
 * AdamW (PyTorch's update equations written out here), global-norm clipping, the cosine schedule.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setBackendSync } from "../../src/kernels/registry.js";
import { backward } from "../../src/tensor/grad.js";
import { tidy } from "../../src/tensor/memory.js";
import { tensor } from "../../src/tensor/ops/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { clipGradNorm } from "../../src/train/clip.js";
import { countCrossEntropy, countMse, maxOverTimeCrossEntropy } from "../../src/train/losses.js";
import { Adam, AdamW, SGD } from "../../src/train/optim.js";
import { lrAt } from "../../src/train/schedule.js";
import { Rng } from "../../src/util/rng.js";

setBackendSync("ref");
const F64 = { dtype: "float64", backend: "ref" } as const;
const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

const [T, B, C] = [3, 2, 4];
const rng = new Rng(31);
const y0 = Array.from({ length: T * B * C }, () => rng.uniform(-1, 2));
const labels = [2, 0];
const at = (t: number, b: number, c: number) => y0[(t * B + b) * C + c]!;
const ce = (logits: number[], l: number) => Math.log(logits.reduce((s, v) => s + Math.exp(v), 0)) - logits[l]!;

function fdCheck(f: (y: Tensor) => Tensor, label: string): void {
  const g = tidy(() => {
    const y = tensor(y0, [T, B, C], { ...F64, requiresGrad: true });
    backward(f(y));
    return Array.from(y.grad!.dataSync());
  });
  const val = (d: number[]) => tidy(() => f(tensor(d, [T, B, C], F64)).item());
  for (let i = 0; i < y0.length; i++) {
    const p = [...y0], q = [...y0];
    p[i]! += 1e-6;
    q[i]! -= 1e-6;
    near(g[i]!, (val(p) - val(q)) / 2e-6, 1e-6, `${label} d/dy[${i}]`);
  }
}

test("countCrossEntropy = mean_b CE(Σ_t y, label), gradient by finite differences", () => {
  let want = 0;
  for (let b = 0; b < B; b++) {
    const counts = Array.from({ length: C }, (_, c) => at(0, b, c) + at(1, b, c) + at(2, b, c));
    want += ce(counts.map((v) => 0.5 * v), labels[b]!) / B;
  }
  near(tidy(() => countCrossEntropy(tensor(y0, [T, B, C], F64), labels, 0.5).item()), want, 1e-12, "value");
  fdCheck((y) => countCrossEntropy(y, labels, 0.5), "countCE");
});

test("maxOverTimeCrossEntropy = mean_b CE(max_t y, label), gradient by finite differences", () => {
  let want = 0;
  for (let b = 0; b < B; b++) {
    const m = Array.from({ length: C }, (_, c) => Math.max(at(0, b, c), at(1, b, c), at(2, b, c)));
    want += ce(m, labels[b]!) / B;
  }
  near(tidy(() => maxOverTimeCrossEntropy(tensor(y0, [T, B, C], F64), labels).item()), want, 1e-12, "value");
  fdCheck((y) => maxOverTimeCrossEntropy(y, labels), "maxCE");
});

test("countMse = mean over (b, c) of (Σ_t y − target)², gradient by finite differences", () => {
  let want = 0;
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) {
    const tgt = c === labels[b] ? 2 : 0.5;
    want += (at(0, b, c) + at(1, b, c) + at(2, b, c) - tgt) ** 2 / (B * C);
  }
  near(tidy(() => countMse(tensor(y0, [T, B, C], F64), labels, { correct: 2, incorrect: 0.5 }).item()), want, 1e-12, "value");
  fdCheck((y) => countMse(y, labels, { correct: 2, incorrect: 0.5 }), "countMse");
});

function withGrad(p: Tensor, g: number[]): void {
  if (p.grad) p.grad.dispose();
  p.grad = tensor(g, p.shape, F64);
}

test("SGD with momentum, Nesterov and weight decay follows PyTorch's equations", () => {
  const p0 = [0.5, -1, 2];
  const grads = [[0.1, 0.2, -0.3], [0.4, -0.1, 0.0], [-0.2, 0.3, 0.1]];
  for (const nesterov of [false, true]) {
    const p = tensor(p0, [3], F64);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, nesterov, weightDecay: 0.01 });
    const want = [...p0];
    const buf = [0, 0, 0];
    grads.forEach((g, step) => {
      withGrad(p, g);
      opt.step();
      for (let i = 0; i < 3; i++) {
        const d = g[i]! + 0.01 * want[i]!;
        buf[i] = step === 0 ? d : 0.9 * buf[i]! + d;
        want[i]! -= 0.1 * (nesterov ? d + 0.9 * buf[i]! : buf[i]!);
      }
    });
    Array.from(p.dataSync()).forEach((v, i) => near(v, want[i]!, 1e-12, `SGD nesterov=${nesterov} p[${i}]`));
  }
});

test("Adam and AdamW follow PyTorch's equations (bias correction, coupled vs decoupled decay)", () => {
  const p0 = [0.5, -1, 2];
  const grads = [[0.1, 0.2, -0.3], [0.4, -0.1, 0.0], [-0.2, 0.3, 0.1]];
  for (const decoupled of [false, true]) {
    const p = tensor(p0, [3], F64);
    const wd = 0.05, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const opt = decoupled ? new AdamW([p], { lr, weightDecay: wd }) : new Adam([p], { lr, weightDecay: wd });
    const w = [...p0], m = [0, 0, 0], v = [0, 0, 0];
    grads.forEach((g, k) => {
      withGrad(p, g);
      opt.step();
      const t = k + 1;
      for (let i = 0; i < 3; i++) {
        let gi = g[i]!;
        if (decoupled) w[i]! *= 1 - lr * wd;
        else gi += wd * w[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * gi;
        v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
        const mh = m[i]! / (1 - b1 ** t), vh = v[i]! / (1 - b2 ** t);
        w[i]! -= (lr * mh) / (Math.sqrt(vh) + eps);
      }
    });
    Array.from(p.dataSync()).forEach((x, i) => near(x, w[i]!, 1e-10, `Adam decoupled=${decoupled} p[${i}]`));
    assert.equal(opt.stateBuffers().length, 2);
  }
});

test("clipGradNorm scales all gradients to the global max norm and returns the norm before clipping", () => {
  const a = tensor([1, 2], [2], F64), b = tensor([3], [1], F64);
  withGrad(a, [3, 0]);
  withGrad(b, [4]);
  const n = clipGradNorm([a, b], 1);
  near(n, 5, 1e-12, "norm");
  near(a.grad!.dataSync()[0]!, 3 / (5 + 1e-6), 1e-12, "a");
  near(b.grad!.dataSync()[0]!, 4 / (5 + 1e-6), 1e-12, "b");
  const n2 = clipGradNorm([a, b], 10);
  near(n2, 5 / (5 + 1e-6), 1e-9, "already small: untouched");
});

test("cosine schedule: base at step 0, half at the midpoint, minimum at the end; warm-up is linear", () => {
  const s = { kind: "cosine", totalSteps: 100 } as const;
  near(lrAt(s, 0.1, 0), 0.1, 1e-15, "start");
  near(lrAt(s, 0.1, 50), 0.05, 1e-15, "middle");
  near(lrAt(s, 0.1, 100), 0, 1e-15, "end");
  near(lrAt({ kind: "cosine", totalSteps: 100, minFactor: 0.1 }, 1, 100), 0.1, 1e-15, "floor");
  near(lrAt({ kind: "cosine", totalSteps: 110, warmupSteps: 10 }, 1, 4), 0.5, 1e-15, "warm-up");
  near(lrAt({ kind: "constant" }, 0.3, 77), 0.3, 0, "constant");
});
