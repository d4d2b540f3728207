/**
 * Test helpers: float64 finite differences (the independent reference for autograd), closeness checks
 * with printed context, and a seed that is printed so failures can be replayed (EXODUS_SEED=…).
 */
import assert from "node:assert/strict";
import { setBackendSync } from "../src/kernels/registry.js";
import { backward } from "../src/tensor/grad.js";
import { tidy } from "../src/tensor/memory.js";
import { tensor } from "../src/tensor/ops/index.js";
import type { Tensor } from "../src/tensor/tensor.js";
import { Rng } from "../src/util/rng.js";

export function testSeed(label: string): number {
  const s = process.env.EXODUS_SEED ? Number(process.env.EXODUS_SEED) : (Date.now() % 1_000_000) + 1;
  console.log(`# ${label}: seed ${s} (replay with EXODUS_SEED=${s})`);
  return s;
}

/** Max normwise relative difference: max|a−b| / max(max|b|, floor). */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-30): number {
  assert.equal(a.length, b.length, "length mismatch");
  let num = 0;
  let den = floor;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
}

export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, what: string): void {
  const r = relDiff(a, b);
  assert.ok(r <= rtol, `${what}: relative difference ${r.toExponential(3)} > ${rtol}\n got ${Array.from(a).slice(0, 8)}\nwant ${Array.from(b).slice(0, 8)}`);
}

/**
 * Checks autograd of `f` (inputs → scalar tensor) against central finite differences in float64 on the
 * ref backend. `inputs` are flat arrays with shapes.
 */
export function checkGrad(
  f: (xs: Tensor[]) => Tensor,
  inputs: { data: number[]; shape: number[]; grad?: boolean }[],
  opts: { eps?: number; rtol?: number; label: string },
): void {
  setBackendSync("ref");
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-6;
  const evalAt = (datas: number[][]): number =>
    tidy(() => f(datas.map((d, i) => tensor(d, inputs[i]!.shape, { dtype: "float64" }))).item());
  const analytic = tidy(() => {
    const ts = inputs.map((x) => tensor(x.data, x.shape, { dtype: "float64", requiresGrad: x.grad !== false }));
    const y = f(ts);
    assert.equal(y.size, 1, `${opts.label}: f must return a scalar`);
    backward(y);
    return ts.map((t) => (t.grad ? Array.from(t.grad.dataSync()) : null));
  });
  inputs.forEach((inp, k) => {
    if (inp.grad === false) return;
    const num = inp.data.map((_, i) => {
      const plus = inputs.map((x) => [...x.data]);
      const minus = inputs.map((x) => [...x.data]);
      plus[k]![i]! += eps;
      minus[k]![i]! -= eps;
      return (evalAt(plus) - evalAt(minus)) / (2 * eps);
    });
    const got = analytic[k] ?? inp.data.map(() => 0);
    assertClose(got, num, rtol, `${opts.label}: d/d input ${k}`);
  });
}

export function randArray(rng: Rng, n: number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => rng.uniform(lo, hi));
}

export { Rng };
