/**
 * webgpu conformance, tensor kernels: every WGSL kernel equals the ref oracle on random inputs of awkward
 * sizes (1, 3, 17, 1023). Tolerances: exact where WGSL guarantees correct rounding (add, sub, mul, compares,
 * copies), a few ulp for transcendental functions and division, accumulation-order error for sums.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { BinaryOp, UnaryOp } from "../../src/kernels/contract.js";
import { backend, both, EXACT, need, randn, rng, type Tol, uniform } from "./helpers.js";

const SIZES = [1, 3, 17, 1023];
const ULP: Tol = { rtol: 1e-5, atolRel: 1e-6 };
const SUM: Tol = { rtol: 1e-5, atolRel: 2e-6 };
// log(x) near x = 1 is near 0 with an absolute error of about ulp(x): WGSL's log is accurate to absolute 2^-21
const LOG: Tol = { rtol: 1e-5, atolRel: 1e-6, atol: 5e-7 };
// CE loss = log Σ e^(l−max) + max − l_label cancels: its absolute error is a few ulp of the logits (|l| ≲ 10)
const CE: Tol = { rtol: 1e-5, atolRel: 1e-6, atol: 4e-6 };
/**
 * dlogits = softmax − one-hot: each entry's error is a few ulp of the row's probabilities, which sum to 1, so
 * the absolute floor is set by 1, not by the entry (a 6e-4 probability was off by 2e-8 for EXODUS_SEED=1896685198
 * with a floor relative to that entry alone).
 */
const DLOGITS: Tol = { ...ULP, atol: 1e-7 };

after(async () => (await backend())?.dispose());

test("unary: every op", async (t) => {
  const b = await need(t);
  if (!b) return;
  const ops: [UnaryOp, number, Tol, (x: number) => number][] = [
    ["neg", 0, EXACT, (x) => x], ["exp", 0, ULP, (x) => x], ["log", 0, LOG, (x) => Math.abs(x) + 0.1],
    ["abs", 0, EXACT, (x) => x], ["sqrt", 0, ULP, (x) => Math.abs(x)], ["relu", 0, EXACT, (x) => x],
    ["sigmoid", 0, ULP, (x) => 4 * x], ["tanh", 0, ULP, (x) => 4 * x], ["square", 0, EXACT, (x) => x],
    ["sign", 0, EXACT, (x) => (Math.abs(x) < 0.3 ? 0 : x)], ["reciprocal", 0, ULP, (x) => x],
    ["scale", -1.25, EXACT, (x) => x], ["addScalar", 0.5, EXACT, (x) => x], ["powScalar", 2, ULP, (x) => x],
    ["powScalar", 3, ULP, (x) => x], ["powScalar", 0.5, ULP, (x) => Math.abs(x)], ["powScalar", 0, EXACT, (x) => x],
    ["clampMin", 0.25, EXACT, (x) => x], ["clampMax", -0.5, EXACT, (x) => x], ["gtScalar", 0, EXACT, (x) => x],
    ["geScalar", 0.5, EXACT, (x) => (Math.abs(x) < 0.5 ? 0.5 : x)],
    ["isNonFinite", 0, EXACT, (x) => (x > 1.5 ? Infinity : x < -1.5 ? NaN : x)],
  ];
  const errors: string[] = [];
  for (const [op, p, tol, shape] of ops) {
    for (const n of SIZES) {
      const x = randn(rng(n), n).map(shape);
      const r = await both(b, "unary", { x, y: new Float32Array(n).fill(777) }, { op, n, p }, { y: tol });
      errors.push(...r.errors.map((e) => `${op}(p=${p}) n=${n}: ${e}`));
    }
  }
  assert.deepEqual(errors, []);
});

test("binary: every op, same / scalar / general broadcasting", async (t) => {
  const b = await need(t);
  if (!b) return;
  const shapes: [number[], number[], number[]][] = [
    [[17, 3], [17, 3], [17, 3]], [[1023], [1], [1023]], [[1], [3, 17], [3, 17]], [[1], [1], [1]],
    [[3, 1, 17], [4, 1], [3, 4, 17]], [[17], [3, 1], [3, 17]], [[2, 1, 3, 1, 5], [1, 4, 3, 7, 1], [2, 4, 3, 7, 5]],
  ];
  const ops: [BinaryOp, Tol][] = [
    ["add", EXACT], ["sub", EXACT], ["mul", EXACT], ["div", ULP], ["max", EXACT], ["min", EXACT],
    ["gt", EXACT], ["ge", EXACT], ["eq", EXACT], ["pow", ULP],
  ];
  const errors: string[] = [];
  for (const [op, tol] of ops) {
    for (const [aShape, bShape, yShape] of shapes) {
      const r = rng(aShape.length * 31 + bShape.length);
      const na = aShape.reduce((s, d) => s * d, 1);
      const nb = bShape.reduce((s, d) => s * d, 1);
      const ny = yShape.reduce((s, d) => s * d, 1);
      let a = randn(r, na).map((v) => Math.round(v * 4) / 4); // ties for eq / ge / max
      let bb = randn(r, nb).map((v) => Math.round(v * 4) / 4);
      if (op === "pow") {
        a = a.map((v) => Math.abs(v) + 0.25);
        bb = bb.map((v) => v * 2);
      }
      if (op === "div") bb = bb.map((v) => (v === 0 ? 0.5 : v));
      const res = await both(b, "binary", { a, b: bb, y: new Float32Array(ny).fill(777) }, { op, aShape, bShape, yShape }, { y: tol });
      errors.push(...res.errors.map((e) => `${op} ${JSON.stringify([aShape, bShape])}: ${e}`));
    }
  }
  assert.deepEqual(errors, []);
});

test("fill, copy (incl. within one buffer), permute", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  for (const n of SIZES) {
    errors.push(...(await both(b, "fill", { y: randn(rng(n), n + 2) }, { n, value: -0.375 }, { y: EXACT })).errors);
    const x = randn(rng(n + 1), n + 5);
    errors.push(...(await both(b, "copy", { x, y: randn(rng(n), n + 9) }, { n, srcOffset: 3, dstOffset: 7 }, { y: EXACT })).errors);
  }
  // Same buffer as source and destination (overlapping ranges): the backend goes through a temporary.
  {
    const x = randn(rng(5), 40);
    const want = x.slice();
    want.set(x.subarray(2, 32), 5);
    const h = b.alloc("float32", 40);
    b.upload(h, x);
    b.kernels.copy({ x: h, y: h }, { n: 30, srcOffset: 2, dstOffset: 5 });
    assert.deepEqual(await b.download(h), want);
    b.free(h);
  }
  const perms: [number[], number[]][] = [
    [[1023], [0]], [[3, 17], [1, 0]], [[3, 17, 5], [2, 0, 1]], [[2, 3, 1, 17], [3, 1, 0, 2]], [[1, 1, 1], [2, 1, 0]],
  ];
  for (const [shape, perm] of perms) {
    const n = shape.reduce((s, d) => s * d, 1);
    errors.push(...(await both(b, "permute", { x: randn(rng(n), n), y: new Float32Array(n) }, { shape, perm }, { y: EXACT })).errors);
  }
  assert.deepEqual(errors, []);
});

test("reduce: sum / mean / max / min, thread and workgroup layouts, NaN propagation", async (t) => {
  const b = await need(t);
  if (!b) return;
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 1023, 1], [17, 3, 17], [1, 1023, 3], [2, 17, 1023], [1, 5000, 1], [3, 0, 2], [1, 20000, 1], [2, 9000, 3]];
  const errors: string[] = [];
  for (const op of ["sum", "mean", "max", "min"] as const) {
    for (const [outer, mid, inner] of shapes) {
      const x = randn(rng(outer * 7 + mid), outer * mid * inner);
      if (op === "max" && x.length > 20) x[17] = NaN;
      const tol = op === "sum" || op === "mean" ? SUM : EXACT;
      const r = await both(b, "reduce", { x, y: new Float32Array(outer * inner).fill(777) }, { op, outer, mid, inner }, { y: tol });
      errors.push(...r.errors.map((e) => `${op} [${outer},${mid},${inner}]: ${e}`));
    }
  }
  assert.deepEqual(errors, []);
});

test("gemm: tiled, transA/transB, accumulate, alpha", async (t) => {
  const b = await need(t);
  if (!b) return;
  const dims: [number, number, number][] = [[1, 1, 1], [3, 17, 1], [17, 3, 1023], [70, 65, 33], [1023, 3, 17], [130, 129, 64]];
  const errors: string[] = [];
  for (const [m, n, k] of dims) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [accumulate, alpha] of [[false, undefined], [true, 0.5]] as const) {
          const r = rng(m * 1000 + n * 10 + k);
          const at = { m, n, k, transA, transB, accumulate, alpha };
          // gemm sums k products: tolerance scales with √k against the largest output.
          const tol = { rtol: 1e-5, atolRel: 2e-6 * Math.sqrt(k) };
          const res = await both(b, "gemm", { a: randn(r, m * k), b: randn(r, k * n), c: randn(r, m * n) }, at, { c: tol });
          errors.push(...res.errors.map((e) => `${JSON.stringify(at)}: ${e}`));
        }
      }
    }
  }
  assert.deepEqual(errors, []);
});

test("conv2d forward / backwardData / backwardFilter, pool2d / backward", async (t) => {
  const b = await need(t);
  if (!b) return;
  const cases = [
    { batch: 1, cIn: 1, h: 1, w: 1, cOut: 1, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 },
    { batch: 2, cIn: 3, h: 17, w: 13, cOut: 4, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
    { batch: 3, cIn: 2, h: 17, w: 17, cOut: 5, kh: 5, kw: 3, strideH: 2, strideW: 3, padH: 2, padW: 0 },
    { batch: 1, cIn: 4, h: 9, w: 8, cOut: 3, kh: 2, kw: 4, strideH: 3, strideW: 2, padH: 1, padW: 2 },
  ];
  const errors: string[] = [];
  for (const c of cases) {
    const at = { ...c, outH: Math.floor((c.h + 2 * c.padH - c.kh) / c.strideH) + 1, outW: Math.floor((c.w + 2 * c.padW - c.kw) / c.strideW) + 1 };
    const r = rng(c.h * c.cOut + c.kh);
    const nx = c.batch * c.cIn * c.h * c.w;
    const nw = c.cOut * c.cIn * c.kh * c.kw;
    const ny = c.batch * c.cOut * at.outH * at.outW;
    const tol = { rtol: 1e-5, atolRel: 2e-6 * Math.sqrt(c.cIn * c.kh * c.kw * c.batch * at.outH) };
    const x = randn(r, nx);
    const w = randn(r, nw);
    const dy = randn(r, ny);
    errors.push(...(await both(b, "conv2d", { x, w, y: new Float32Array(ny) }, at, { y: tol })).errors);
    errors.push(...(await both(b, "conv2dBackwardData", { dy, w, dx: new Float32Array(nx) }, at, { dx: tol })).errors);
    errors.push(...(await both(b, "conv2dBackwardFilter", { x, dy, dw: new Float32Array(nw) }, at, { dw: tol })).errors);
  }
  const pools = [
    { planes: 1, h: 1, w: 1, kh: 1, kw: 1, strideH: 1, strideW: 1 },
    { planes: 3, h: 17, w: 17, kh: 2, kw: 2, strideH: 2, strideW: 2 },
    { planes: 17, h: 9, w: 11, kh: 3, kw: 2, strideH: 2, strideW: 3 },
    { planes: 2, h: 8, w: 8, kh: 3, kw: 3, strideH: 1, strideW: 1 },
  ];
  for (const p of pools) {
    for (const mode of ["sum", "avg"] as const) {
      const at = { ...p, mode, outH: Math.floor((p.h - p.kh) / p.strideH) + 1, outW: Math.floor((p.w - p.kw) / p.strideW) + 1 };
      const r = rng(p.planes * p.h);
      const ny = p.planes * at.outH * at.outW;
      const nx = p.planes * p.h * p.w;
      errors.push(...(await both(b, "pool2d", { x: randn(r, nx), y: new Float32Array(ny) }, at, { y: SUM })).errors);
      errors.push(...(await both(b, "pool2dBackward", { dy: randn(r, ny), dx: new Float32Array(nx).fill(5) }, at, { dx: SUM })).errors);
    }
  }
  assert.deepEqual(errors, []);
});

test("softmaxCrossEntropy with and without dlogits", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  for (const rows of SIZES) {
    for (const classes of [1, 3, 10, 17]) {
      const r = rng(rows * 100 + classes);
      const logits = randn(r, rows * classes, 3);
      const labels = new Float32Array(rows).map(() => r.int(0, classes));
      const io = { logits, labels, loss: new Float32Array(rows), dlogits: new Float32Array(rows * classes) };
      errors.push(...(await both(b, "softmaxCrossEntropy", io, { rows, classes }, { loss: CE, dlogits: DLOGITS })).errors);
      const { dlogits: _, ...noGrad } = io;
      errors.push(...(await both(b, "softmaxCrossEntropy", noGrad, { rows, classes }, { loss: CE })).errors);
    }
  }
  assert.deepEqual(errors, []);
});

test("adamUpdate (Adam, AdamW) and sgdUpdate (plain, momentum, nesterov, first step)", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  // sqrt + division in float32 on a GPU: a few ulp, more where the update nearly cancels the weight. The floor
  // is a few ulp of the O(0.1–1) operands: m = β1·m + (1 − β1)·g can cancel to a tiny value whose own scale says
  // nothing about the rounding (n = 1, EXODUS_SEED=1896685198: m = 4.9e-4 off by 1.1e-8).
  const OPT: Tol = { rtol: 1e-5, atolRel: 2e-6, atol: 1e-7 };
  for (const n of SIZES) {
    const r = rng(n);
    for (const decoupled of [false, true]) {
      for (const step of [1, 7]) {
        const at = { n, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, step };
        const io = { p: randn(r, n), g: randn(r, n), m: randn(r, n, 0.1), v: uniform(r, n, 0, 0.1) };
        errors.push(...(await both(b, "adamUpdate", io, at, { p: OPT, m: OPT, v: OPT })).errors);
      }
    }
    for (const [momentum, nesterov, first] of [[0, false, false], [0.9, false, true], [0.9, false, false], [0.9, true, false]] as const) {
      const at = { n, lr: 0.1, momentum, dampening: 0.1, nesterov, weightDecay: 0.001, first };
      const io = { p: randn(r, n), g: randn(r, n), buf: randn(r, n) };
      errors.push(...(await both(b, "sgdUpdate", io, at, momentum ? { p: OPT, buf: OPT } : { p: OPT })).errors);
    }
  }
  assert.deepEqual(errors, []);
});
