/** Every generic differentiable op against float64 central finite differences on the ref backend. */
import { test } from "node:test";
import * as O from "../../src/tensor/ops/index.js";
import { broadcastShapes } from "../../src/tensor/shape.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { checkGrad, randArray, Rng, testSeed } from "../helpers.js";

const seed = testSeed("autograd");
const rng = new Rng(seed);
const w = (n: number) => randArray(rng, n); // random weights make the loss sensitive to every output
const dot = (y: Tensor, weights: number[]) => O.sum(O.mul(y, O.tensor(weights, y.shape, { dtype: "float64" })));

function unaryCase(name: string, fn: (x: Tensor) => Tensor, lo = -1, hi = 1, shape = [3, 4]) {
  test(`grad ${name}`, () => {
    const n = shape.reduce((a, b) => a * b, 1);
    let ww: number[] | null = null;
    checkGrad(([x]) => {
      const y = fn(x!);
      ww ??= w(y.size);
      return dot(y, ww);
    }, [{ data: randArray(rng, n, lo, hi), shape }], { label: name });
  });
}

function binaryCase(name: string, fn: (a: Tensor, b: Tensor) => Tensor, sa: number[], sb: number[], lo = -1, hi = 1) {
  test(`grad ${name} ${JSON.stringify(sa)}∘${JSON.stringify(sb)}`, () => {
    const na = sa.reduce((a, b) => a * b, 1);
    const nb = sb.reduce((a, b) => a * b, 1);
    const out = broadcastShapes(sa, sb);
    const ww = w(out.reduce((a, b) => a * b, 1));
    checkGrad(([a, b]) => dot(fn(a!, b!), ww), [
      { data: randArray(rng, na, lo, hi), shape: sa },
      { data: randArray(rng, nb, lo, hi), shape: sb },
    ], { label: name });
  });
}

for (const [sa, sb] of [[[3, 4], [3, 4]], [[3, 4], [4]], [[2, 1, 4], [3, 1]], [[3, 4], [1]]] as [number[], number[]][]) {
  binaryCase("add", O.add, sa, sb);
  binaryCase("sub", O.sub, sa, sb);
  binaryCase("mul", O.mul, sa, sb);
  binaryCase("div", O.div, sa, sb, 0.5, 2);
  binaryCase("maximum", O.maximum, sa, sb);
}
unaryCase("neg", O.neg);
unaryCase("exp", O.exp);
unaryCase("log", O.log, 0.2, 3);
unaryCase("sqrt", O.sqrt, 0.2, 3);
unaryCase("square", O.square);
unaryCase("abs", O.abs);
unaryCase("relu", O.relu);
unaryCase("sigmoid", O.sigmoid);
unaryCase("tanh", O.tanh);
unaryCase("powScalar(-1)", (x) => O.powScalar(x, -1), 0.5, 2);
unaryCase("mulScalar", (x) => O.mulScalar(x, -2.5));
unaryCase("addScalar", (x) => O.addScalar(x, 0.7));
unaryCase("oneMinus", O.oneMinus);
unaryCase("clone", O.clone);
unaryCase("sum(axis 0)", (x) => O.sum(x, 0), -1, 1, [3, 4, 2]);
unaryCase("sum(axes 0,2) keepdims", (x) => O.sum(x, [0, 2], true), -1, 1, [3, 4, 2]);
unaryCase("mean(axis 1)", (x) => O.mean(x, 1), -1, 1, [3, 4, 2]);
unaryCase("max(axis 1)", (x) => O.max(x, 1), -1, 1, [3, 5, 2]);
unaryCase("reshape", (x) => O.reshape(x, [2, -1]), -1, 1, [3, 4]);
unaryCase("permute", (x) => O.permute(x, [2, 0, 1]), -1, 1, [2, 3, 4]);
unaryCase("transpose", O.transpose, -1, 1, [3, 5]);
unaryCase("narrow0", (x) => O.narrow0(x, 1, 2), -1, 1, [4, 3]);
unaryCase("select0", (x) => O.select0(x, 2), -1, 1, [4, 3]);
unaryCase("unstack0", (x) => O.stack0(O.unstack0(x).reverse()), -1, 1, [3, 2]);
unaryCase("stack0", (x) => O.stack0([O.select0(x, 1), O.select0(x, 0), O.select0(x, 1)]), -1, 1, [2, 3]);
unaryCase("concat0", (x) => O.concat0([x, O.narrow0(x, 0, 1)]), -1, 1, [3, 2]);
unaryCase("sumPool2d", (x) => O.sumPool2d(x, 2), -1, 1, [2, 2, 4, 6]);
unaryCase("avgPool2d stride 1", (x) => O.avgPool2d(x, [2, 3], 1), -1, 1, [1, 2, 4, 5]);

for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
  test(`grad matmul transA=${tA} transB=${tB}`, () => {
    const [m, k, n] = [3, 4, 5];
    const ww = w(m * n);
    checkGrad(([a, b]) => dot(O.matmul(a!, b!, { transA: tA, transB: tB }), ww), [
      { data: randArray(rng, m * k), shape: tA ? [k, m] : [m, k] },
      { data: randArray(rng, k * n), shape: tB ? [n, k] : [k, n] },
    ], { label: "matmul" });
  });
}

test("grad linear with bias", () => {
  const ww = w(4 * 3);
  checkGrad(([x, wt, b]) => dot(O.linear(x!, wt!, b!), ww), [
    { data: randArray(rng, 4 * 5), shape: [4, 5] },
    { data: randArray(rng, 3 * 5), shape: [3, 5] },
    { data: randArray(rng, 3), shape: [3] },
  ], { label: "linear" });
});

for (const [stride, pad] of [[1, 0], [2, 1], [1, 2]]) {
  test(`grad conv2d stride ${stride} padding ${pad}`, () => {
    const x = { data: randArray(rng, 2 * 3 * 6 * 5), shape: [2, 3, 6, 5] };
    const wt = { data: randArray(rng, 4 * 3 * 3 * 2), shape: [4, 3, 3, 2] };
    const b = { data: randArray(rng, 4), shape: [4] };
    let ww: number[] | null = null;
    checkGrad(([xx, w2, b2]) => {
      const y = O.conv2d(xx!, w2!, b2!, { stride, padding: pad });
      ww ??= w(y.size);
      return dot(y, ww);
    }, [x, wt, b], { label: "conv2d" });
  });
}

test("grad softmaxCrossEntropy", () => {
  checkGrad(([x]) => O.softmaxCrossEntropy(x!, [2, 0, 3]), [{ data: randArray(rng, 12, -2, 2), shape: [3, 4] }], { label: "softmaxCE" });
});

test("grad leakyScan (x, v0, α)", () => {
  const [T, N, P] = [7, 6, 3];
  const ww = w(T * N);
  checkGrad(([x, v0, a]) => dot(O.leakyScan(x!, v0!, a!), ww), [
    { data: randArray(rng, T * N), shape: [T, N] },
    { data: randArray(rng, N), shape: [N] },
    { data: randArray(rng, P, 0.5, 0.95), shape: [P] },
  ], { label: "leakyScan" });
});

test("grad lifScan without spikes (leak, clip-free path; dα through vpost)", () => {
  // θ far above the potential and a Heaviside surrogate that is 0 there: no spikes and no surrogate
  // term, so the loss Σ w·v is smooth and FD is an exact reference.
  const [T, N] = [9, 4];
  const ww = w(T * N);
  const theta = O.tensor([100, 100, 100, 100], [4], { dtype: "float64" });
  const sub = O.tensor([100, 100, 100, 100], [4], { dtype: "float64" });
  checkGrad(([x, v0, a]) => {
    const { v } = O.lifScan(x!, v0!, a!, theta, sub, null, { maxSpikes: 0, surrogate: { type: "Heaviside", window: 1 }, mode: "exodus" });
    return dot(v, ww);
  }, [
    { data: randArray(rng, T * N), shape: [T, N] },
    { data: randArray(rng, N), shape: [N] },
    { data: randArray(rng, N, 0.5, 0.95), shape: [N] },
  ], { label: "lifScan smooth" });
});

for (const [tA, tB] of [[false, true], [true, true], [false, false]]) {
  test(`grad matmul with the spike-sparse hint transA=${tA} transB=${tB}`, () => {
    const [m, k, n] = [6, 5, 4];
    const ww = w(m * n);
    const spikes = Array.from({ length: m * k }, () => (rng.random() < 0.3 ? 1 : 0));
    checkGrad(([a, b]) => dot(O.matmul(a!, b!, { transA: tA, transB: tB, aSparse: true }), ww), [
      { data: spikes, shape: tA ? [k, m] : [m, k] },
      { data: randArray(rng, k * n), shape: tB ? [n, k] : [k, n] },
    ], { label: "matmul aSparse" });
  });
}
