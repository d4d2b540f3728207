/**
 * The in-place tensor ops the training code uses (tensor/ops/inplace.ts), on ref (float64 and float32) and
 * wasm (float32): scale, fill/zero, assign, and the Adam/AdamW and SGD updates against PyTorch's update
 * equations written out here in float64. Lengths 37 and 1031 cover the SIMD tails and blocks of the wasm
 * kernels. Wrong sizes and mixed backends are typed errors.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, ShapeError } from "../../src/errors.js";
import type { Backend, DType } from "../../src/kernels/contract.js";
import { getBackend } from "../../src/kernels/registry.js";
import {
  applyAdam, applySgd, assignInPlace, fillInPlace, reshape, scaleInPlace, tensor, zeroInPlace, type AdamHyper, type SgdHyper,
} from "../../src/tensor/ops/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/util/rng.js";

const cases: { name: string; backend: Backend; dtype: DType; tol: number }[] = [
  { name: "ref float64", backend: getBackend("ref"), dtype: "float64", tol: 1e-12 },
  { name: "ref float32", backend: getBackend("ref"), dtype: "float32", tol: 2e-6 },
  { name: "wasm float32", backend: getBackend("wasm"), dtype: "float32", tol: 2e-6 },
];

const rng = new Rng(11);
const draw = (n: number, lo = -2, hi = 2) => Array.from({ length: n }, () => rng.uniform(lo, hi));
/** Rounds to the case's dtype, so the reference starts from exactly the values the kernel sees. */
const exact = (xs: number[], dtype: DType) => (dtype === "float32" ? Array.from(Float32Array.from(xs)) : xs);

function near(got: ArrayLike<number>, want: readonly number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

for (const c of cases) {
  const mk = (xs: number[], shape = [xs.length]): Tensor => tensor(xs, shape, { dtype: c.dtype, backend: c.backend });

  test(`${c.name}: scaleInPlace, fillInPlace, zeroInPlace and assignInPlace overwrite the tensor's memory`, () => {
    for (const n of [37, 1031]) {
      const x0 = exact(draw(n), c.dtype);
      const t = mk(x0);
      scaleInPlace(t, -0.375);
      near(t.dataSync(), x0.map((v) => -0.375 * v), c.tol, `scale n=${n}`);
      fillInPlace(t, 2.5);
      near(t.dataSync(), x0.map(() => 2.5), 0, `fill n=${n}`);
      zeroInPlace(t);
      near(t.dataSync(), x0.map(() => 0), 0, `zero n=${n}`);
      assignInPlace(t, x0);
      near(t.dataSync(), x0, 0, `assign n=${n}`);
      t.dispose();
    }
    // a view shares memory: scaling it changes the tensor it was made from
    const a = mk([1, 2, 3, 4], [2, 2]);
    scaleInPlace(reshape(a, [4]), 2);
    near(a.dataSync(), [2, 4, 6, 8], 0, "through a view");
  });

  test(`${c.name}: applySgd follows torch.optim.SGD (momentum, dampening, Nesterov, weight decay)`, () => {
    const n = 37;
    for (const h of [
      { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0.01 },
      { lr: 0.05, momentum: 0.8, dampening: 0, nesterov: true, weightDecay: 0 },
      { lr: 0.2, momentum: 0.5, dampening: 0.3, nesterov: false, weightDecay: 0.1 },
      { lr: 0.3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.02 },
    ]) {
      const w = exact(draw(n), c.dtype);
      const p = mk(w), buf = mk(new Array<number>(n).fill(0));
      const b = new Array<number>(n).fill(0);
      for (let step = 0; step < 3; step++) {
        const g = exact(draw(n, -1, 1), c.dtype);
        const hyper: SgdHyper = { ...h, first: step === 0 };
        applySgd(p, mk(g), buf, hyper);
        for (let i = 0; i < n; i++) {
          let d = g[i]! + h.weightDecay * w[i]!;
          if (h.momentum !== 0) {
            b[i] = step === 0 ? d : h.momentum * b[i]! + (1 - h.dampening) * d;
            d = h.nesterov ? d + h.momentum * b[i]! : b[i]!;
          }
          w[i]! -= h.lr * d;
        }
        near(p.dataSync(), w, c.tol, `SGD ${JSON.stringify(h)} step ${step + 1} param`);
        if (h.momentum !== 0) near(buf.dataSync(), b, c.tol, `SGD ${JSON.stringify(h)} step ${step + 1} momentum`);
      }
    }
  });

  test(`${c.name}: applyAdam follows torch.optim.Adam and AdamW (bias correction, coupled vs decoupled decay)`, () => {
    for (const n of [37, 1031]) {
      for (const decoupled of [false, true]) {
        const lr = 0.01, beta1 = 0.9, beta2 = 0.99, eps = 1e-8, weightDecay = 0.05;
        const w = exact(draw(n), c.dtype);
        const p = mk(w), m = mk(new Array<number>(n).fill(0)), v = mk(new Array<number>(n).fill(0));
        const mw = new Array<number>(n).fill(0), vw = new Array<number>(n).fill(0);
        for (let step = 1; step <= 3; step++) {
          const g = exact(draw(n, -1, 1), c.dtype);
          const hyper: AdamHyper = { lr, beta1, beta2, eps, weightDecay, decoupled, step };
          applyAdam(p, mk(g), m, v, hyper);
          for (let i = 0; i < n; i++) {
            let gi = g[i]!;
            if (decoupled) w[i]! *= 1 - lr * weightDecay;
            else gi += weightDecay * w[i]!;
            mw[i] = beta1 * mw[i]! + (1 - beta1) * gi;
            vw[i] = beta2 * vw[i]! + (1 - beta2) * gi * gi;
            w[i]! -= (lr * (mw[i]! / (1 - beta1 ** step))) / (Math.sqrt(vw[i]! / (1 - beta2 ** step)) + eps);
          }
          const what = `Adam n=${n} decoupled=${decoupled} step ${step}`;
          near(p.dataSync(), w, c.tol, `${what} param`);
          near(m.dataSync(), mw, c.tol, `${what} m`);
          near(v.dataSync(), vw, c.tol, `${what} v`);
        }
      }
    }
  });

  test(`${c.name}: wrong sizes are ShapeErrors that name the tensors`, () => {
    const p = mk([1, 2, 3]), g = mk([1, 2]), s = mk([0, 0, 0]);
    assert.throws(() => applySgd(p, g, s, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, first: true }), (e: unknown) => e instanceof ShapeError && /'grad' has 2 elements but 'param' has 3/.test(e.message));
    assert.throws(() => applyAdam(p, s, s, g, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 }), (e: unknown) => e instanceof ShapeError && /'v' has 2 elements/.test(e.message));
    assert.throws(() => assignInPlace(p, [1, 2]), (e: unknown) => e instanceof ShapeError && /2 values for a tensor of 3 elements/.test(e.message));
    near(p.dataSync(), [1, 2, 3], 0, "untouched after the errors");
  });
}

test("tensors on two backends are a ConfigError, not a kernel reading a foreign buffer", () => {
  const onRef = tensor([1, 2], [2], { backend: "ref" }), onWasm = tensor([1, 2], [2], { backend: "wasm" });
  assert.throws(() => applySgd(onRef, onWasm, onRef, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, first: true }), (e: unknown) => e instanceof ConfigError && /different backends/.test(e.message));
});
