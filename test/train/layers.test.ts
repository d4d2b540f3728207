/**
 * Layers against independent references: forward values from naive loops, gradients from float64 central
 * finite differences on the ref backend (input and every parameter), PyTorch's init bounds, Dropout's
 * train/eval behaviour, Sequential's naming and the spike-sparse path after spiking layers.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { getBackend, setBackendSync } from "../../src/kernels/registry.js";
import { Conv2d } from "../../src/layers/conv2d.js";
import { Dropout } from "../../src/layers/dropout.js";
import { Flatten } from "../../src/layers/flatten.js";
import { Linear } from "../../src/layers/linear.js";
import { AvgPool2d, SumPool2d } from "../../src/layers/pool.js";
import { Sequential } from "../../src/layers/sequential.js";
import { LIF } from "../../src/neurons/lif.js";
import { tidy } from "../../src/tensor/memory.js";
import { backward } from "../../src/tensor/grad.js";
import { mul, sum, tensor } from "../../src/tensor/ops/index.js";
import { Rng } from "../../src/util/rng.js";
import { checkModuleGrad } from "./fd.js";

setBackendSync("ref");
const F64 = { dtype: "float64", backend: "ref" } as const;
const randArr = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.uniform(-1, 1));

test("Linear: forward equals x·Wᵀ + b per time step (naive loops)", () => {
  const rng = new Rng(1);
  const lin = new Linear(5, 3, { rng, dtype: "float64" });
  const x = randArr(rng, 2 * 4 * 5);
  const y = tidy(() => Array.from(lin.forward(tensor(x, [2, 4, 5], F64)).dataSync()));
  const W = lin.parameter("weight")!.dataSync(), b = lin.parameter("bias")!.dataSync();
  for (let r = 0; r < 8; r++) {
    for (let o = 0; o < 3; o++) {
      let s = b[o]!;
      for (let i = 0; i < 5; i++) s += x[r * 5 + i]! * W[o * 5 + i]!;
      assert.ok(Math.abs(y[r * 3 + o]! - s) < 1e-12);
    }
  }
});

test("Linear and Conv2d: PyTorch default init is U(±1/√fan_in) for weight and bias", () => {
  const lin = new Linear(100, 50, { rng: new Rng(3) });
  const conv = new Conv2d(4, 6, 3, { rng: new Rng(4) });
  for (const [p, fan] of [[lin.parameter("weight")!, 100], [lin.parameter("bias")!, 100], [conv.parameter("weight")!, 36], [conv.parameter("bias")!, 36]] as const) {
    const d = p.dataSync();
    const bound = 1 / Math.sqrt(fan);
    let lo = Infinity, hi = -Infinity;
    for (const v of d) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assert.ok(lo >= -bound && hi <= bound, `${p.name}: values outside ±${bound}`);
    // a uniform sample of this size spans most of the interval
    if (d.length >= 36) assert.ok(hi - lo > bound, `${p.name}: range ${lo}..${hi} too narrow for U(±${bound})`);
  }
  assert.deepEqual(conv.parameter("weight")!.shape, [6, 4, 3, 3]);
});

test("Linear: gradients match finite differences (with and without bias, weight norm)", () => {
  checkModuleGrad(new Linear(4, 3, { rng: new Rng(5), dtype: "float64" }), [3, 2, 4], "Linear");
  checkModuleGrad(new Linear(4, 3, { rng: new Rng(6), dtype: "float64", bias: false }), [2, 2, 4], "Linear(bias=false)");
  checkModuleGrad(new Linear(4, 3, { rng: new Rng(7), dtype: "float64", weightNorm: true }), [2, 2, 4], "Linear(weightNorm)");
});

test("weight norm: w = g·v/‖v‖ and starts equal to the plain initialisation", () => {
  const plain = new Linear(6, 4, { rng: new Rng(9), dtype: "float64" });
  const wn = new Linear(6, 4, { rng: new Rng(9), dtype: "float64", weightNorm: true });
  const a = plain.parameter("weight")!.dataSync();
  const b = tidy(() => Array.from(wn.weight().dataSync()));
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-12));
  assert.deepEqual(wn.namedParameters().map(([n]) => n), ["weight_g", "weight_v", "bias"]);
  assert.deepEqual(wn.parameter("weight_g")!.shape, [4, 1]);
});

test("Conv2d: forward equals a naive cross-correlation with stride and padding", () => {
  const rng = new Rng(11);
  const conv = new Conv2d(2, 3, [3, 2], { rng, dtype: "float64", stride: [2, 1], padding: [1, 1] });
  const [T, B, C, H, W] = [2, 1, 2, 5, 4];
  const x = randArr(rng, T * B * C * H * W);
  const yT = tidy(() => {
    const y = conv.forward(tensor(x, [T, B, C, H, W], F64));
    return { shape: [...y.shape], d: Array.from(y.dataSync()) };
  });
  const oh = Math.floor((H + 2 - 3) / 2) + 1, ow = Math.floor((W + 2 - 2) / 1) + 1;
  assert.deepEqual(yT.shape, [T, B, 3, oh, ow]);
  const w = conv.parameter("weight")!.dataSync(), bias = conv.parameter("bias")!.dataSync();
  for (let n = 0; n < T * B; n++) for (let o = 0; o < 3; o++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let s = bias[o]!;
    for (let c = 0; c < C; c++) for (let u = 0; u < 3; u++) for (let v = 0; v < 2; v++) {
      const yy = i * 2 - 1 + u, xx = j - 1 + v;
      if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
      s += x[((n * C + c) * H + yy) * W + xx]! * w[((o * C + c) * 3 + u) * 2 + v]!;
    }
    assert.ok(Math.abs(yT.d[((n * 3 + o) * oh + i) * ow + j]! - s) < 1e-12);
  }
});

test("Conv2d: gradients match finite differences (stride 2, padding 1, weight norm)", () => {
  checkModuleGrad(new Conv2d(2, 3, 3, { rng: new Rng(12), dtype: "float64", stride: 2, padding: 1 }), [2, 1, 2, 5, 5], "Conv2d", { maxEntries: 30 });
  checkModuleGrad(new Conv2d(1, 2, 2, { rng: new Rng(13), dtype: "float64", weightNorm: true, bias: false }), [1, 2, 1, 4, 4], "Conv2d(weightNorm)", { maxEntries: 30 });
});

test("SumPool2d / AvgPool2d: forward equals window sums/means, gradients match finite differences", () => {
  const rng = new Rng(14);
  const x = randArr(rng, 2 * 1 * 2 * 4 * 6);
  const [s, a] = tidy(() => [new SumPool2d(2).forward(tensor(x, [2, 1, 2, 4, 6], F64)), new AvgPool2d([2, 3]).forward(tensor(x, [2, 1, 2, 4, 6], F64))].map((t) => ({ shape: [...t.shape], d: Array.from(t.dataSync()) })));
  assert.deepEqual(s!.shape, [2, 1, 2, 2, 3]);
  assert.deepEqual(a!.shape, [2, 1, 2, 2, 2]);
  for (let p = 0; p < 4; p++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
    let sum = 0;
    for (let u = 0; u < 2; u++) for (let v = 0; v < 2; v++) sum += x[p * 24 + (2 * i + u) * 6 + 2 * j + v]!;
    assert.ok(Math.abs(s!.d[p * 6 + i * 3 + j]! - sum) < 1e-12);
  }
  for (let p = 0; p < 4; p++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
    let sum = 0;
    for (let u = 0; u < 2; u++) for (let v = 0; v < 3; v++) sum += x[p * 24 + (2 * i + u) * 6 + 3 * j + v]!;
    assert.ok(Math.abs(a!.d[p * 4 + i * 2 + j]! - sum / 6) < 1e-12);
  }
  checkModuleGrad(new SumPool2d(2), [2, 1, 2, 4, 4], "SumPool2d");
  checkModuleGrad(new AvgPool2d(2, 1), [1, 2, 1, 3, 3], "AvgPool2d(stride 1)");
});

test("Flatten keeps [T, B] and is differentiable; Sequential chains and names like PyTorch", () => {
  const f = tidy(() => [...new Flatten().forward(tensor(new Array(2 * 3 * 4 * 5).fill(0), [2, 3, 4, 5], F64)).shape]);
  assert.deepEqual(f, [2, 3, 20]);
  const seq = new Sequential(new Flatten(), new Linear(6, 4, { rng: new Rng(15), dtype: "float64" }), new Linear(4, 2, { rng: new Rng(16), dtype: "float64", bias: false }));
  assert.deepEqual(seq.namedParameters().map(([n]) => n), ["1.weight", "1.bias", "2.weight"]);
  checkModuleGrad(seq, [2, 2, 2, 3], "Sequential(Flatten, Linear, Linear)");
});

/** Runs `fn` and returns the spike hint of every forward gemm (aSparse) and conv2d (xSparse) it launched on ref. */
function sparseHints(fn: () => void): string[] {
  const k = getBackend("ref").kernels as { gemm: (io: unknown, at: { aSparse?: boolean }) => void; conv2d: (io: unknown, at: { xSparse?: boolean }) => void };
  const { gemm, conv2d } = k;
  const seen: string[] = [];
  k.gemm = (io, at) => (seen.push(`gemm:${!!at.aSparse}`), gemm.call(k, io, at));
  k.conv2d = (io, at) => (seen.push(`conv2d:${!!at.xSparse}`), conv2d.call(k, io, at));
  try {
    tidy(fn);
  } finally {
    Object.assign(k, { gemm, conv2d });
  }
  return seen;
}

test("a Linear or Conv2d after a spiking layer (through Flatten/Dropout/pooling) takes the spike-sparse path; Sequential names no layer class", () => {
  const rng = new Rng(40);
  const x = (shape: number[]) => tensor(randArr(rng, shape.reduce((a, b) => a * b, 1)), shape, F64);
  const o64 = { rng, dtype: "float64" } as const;
  const mlp = () => new Sequential(new Linear(4, 4, o64), new LIF({ tauMem: 5, dtype: "float64" }), new Dropout(0.1), new Flatten(), new Linear(4, 4, o64), new Linear(4, 2, o64));
  assert.deepEqual(sparseHints(() => mlp().forward(x([3, 2, 4]))), ["gemm:false", "gemm:true", "gemm:false"]);
  // the model's own input declared spikes: the first Linear too (through Flatten when it comes first)
  assert.deepEqual(sparseHints(() => mlp().markSpikeInput().forward(x([3, 2, 4]))), ["gemm:true", "gemm:true", "gemm:false"]);
  const flatFirst = new Sequential(new Flatten(), new Linear(6, 4, o64), new Linear(4, 2, o64)).markSpikeInput();
  assert.deepEqual(sparseHints(() => flatFirst.forward(x([3, 2, 2, 3]))), ["gemm:true", "gemm:false"]);
  // ... also when the layers are run one by one (as the Trainer does), since the first child holds the declaration
  assert.deepEqual(sparseHints(() => {
    let h = x([3, 2, 2, 3]);
    for (const m of flatFirst.layers) h = m.forward(h);
  }), ["gemm:true", "gemm:false"]);
  const cnn = new Sequential(new Conv2d(2, 4, 3, o64), new LIF({ tauMem: 5, dtype: "float64" }), new SumPool2d(2), new Conv2d(4, 4, 1, o64), new AvgPool2d(1), new Conv2d(4, 4, 1, o64));
  assert.deepEqual(sparseHints(() => cnn.forward(x([2, 1, 2, 6, 6]))), ["conv2d:false", "conv2d:true", "conv2d:false"]);
  // a hand-written composition sees the same fact, with no container at all
  const lif = new LIF({ tauMem: 5, dtype: "float64" }), lin = new Linear(4, 2, o64);
  assert.deepEqual(sparseHints(() => {
    const s = lif.forward(x([3, 2, 4]));
    assert.equal(s.spikes, true);
    assert.equal(lin.forward(s).spikes, false);
  }), ["gemm:true"]);
});

test("Conv2d with spike input on wasm: the spike-driven path gives the dense path's output and gradients", async () => {
  await import("../../src/kernels/wasm/backend.js");
  setBackendSync("wasm");
  try {
    const rng = new Rng(21);
    const conv = new Conv2d(3, 5, 3, { rng, stride: [1, 2], padding: 1 });
    const [T, B, C, H, W] = [4, 3, 3, 9, 10];
    // 5 % spikes, a few of them counts of 2: below the sparse threshold, so xSparse takes the event-driven kernels
    const x = Array.from({ length: T * B * C * H * W }, () => (rng.random() < 0.05 ? (rng.random() < 0.2 ? 2 : 1) : 0));
    const r = (n: number) => Array.from({ length: n }, () => rng.uniform(-1, 1));
    let R: number[] | null = null;
    const run = (sparse: boolean) => tidy(() => {
      conv.spikeInput = sparse;
      conv.zeroGrad();
      const xt = tensor(x, [T, B, C, H, W], { requiresGrad: true });
      const y = conv.forward(xt);
      R ??= r(y.size);
      backward(sum(mul(y, tensor(R, [...y.shape]))));
      return { y: Array.from(y.dataSync()), dx: Array.from(xt.grad!.dataSync()), dw: Array.from(conv.parameter("weight")!.grad!.dataSync()),
        db: Array.from(conv.parameter("bias")!.grad!.dataSync()) };
    });
    const dense = run(false), sparse = run(true);
    for (const k of ["y", "dx", "dw", "db"] as const) {
      const scale = Math.max(...dense[k].map(Math.abs));
      dense[k].forEach((v, i) => assert.ok(Math.abs(v - sparse[k][i]!) <= 1e-5 * scale, `${k}[${i}]: dense ${v} vs spike-driven ${sparse[k][i]}`));
    }
  } finally {
    setBackendSync("ref");
  }
});

test("Dropout: identity in eval; in training zeroes ≈p and scales survivors by 1/(1−p); gradient uses the same mask", () => {
  const d = new Dropout(0.25, { rng: new Rng(19) });
  const n = 4000;
  const ones = new Array<number>(n).fill(1);
  d.eval();
  assert.deepEqual(tidy(() => Array.from(d.forward(tensor(ones, [1, 1, n], F64)).dataSync())), ones);
  d.train();
  const y = tidy(() => Array.from(d.forward(tensor(ones, [1, 1, n], F64)).dataSync()));
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / n - 0.25) < 0.03, `dropped fraction ${zeros / n}`);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-12));
  // fixed mask for the FD check: reseed before every forward
  const fixed = new Dropout(0.5);
  const orig = fixed.forward.bind(fixed);
  fixed.forward = (x) => {
    fixed.rng = new Rng(20);
    return orig(x);
  };
  checkModuleGrad(fixed, [2, 2, 3], "Dropout (fixed mask)");
});
