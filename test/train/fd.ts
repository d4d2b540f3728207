/**
 * Finite-difference checks for modules (float64, ref backend): perturbs every entry of the input and of
 * each parameter in place, and compares central differences of loss = Σ y·R (R fixed, random) with the
 * gradients autograd puts on the input and parameters.
 */
import assert from "node:assert/strict";
import type { Module } from "../../src/layers/module.js";
import { backward } from "../../src/tensor/grad.js";
import { tidy } from "../../src/tensor/memory.js";
import { mul, sum, tensor } from "../../src/tensor/ops/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/util/rng.js";

const F64 = { dtype: "float64", backend: "ref" } as const;

export function checkModuleGrad(m: Module, xShape: number[], label: string, opts: { seed?: number; eps?: number; rtol?: number; maxEntries?: number } = {}): void {
  const rng = new Rng(opts.seed ?? 7);
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-6;
  const n = xShape.reduce((a, b) => a * b, 1);
  const xData = Array.from({ length: n }, () => rng.uniform(-1, 1));
  const outShape = tidy(() => [...m.forward(tensor(xData, xShape, F64)).shape]);
  const rData = Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
  const lossOf = (x: Tensor): Tensor => sum(mul(m.forward(x), tensor(rData, outShape, F64)));
  const value = (xd: number[]): number => tidy(() => lossOf(tensor(xd, xShape, F64)).item());

  m.zeroGrad();
  const gx = tidy(() => {
    const x = tensor(xData, xShape, { ...F64, requiresGrad: true });
    backward(lossOf(x));
    return Array.from(x.grad!.dataSync());
  });
  const pick = (len: number): number[] => {
    const k = Math.min(len, opts.maxEntries ?? 40);
    if (k === len) return Array.from({ length: len }, (_, i) => i);
    return Array.from({ length: k }, () => rng.int(0, len));
  };
  const near = (got: number, want: number, what: string) => {
    const tol = rtol * Math.max(1, Math.abs(want));
    assert.ok(Math.abs(got - want) <= tol, `${label}: ${what}: autograd ${got} vs finite difference ${want}`);
  };
  for (const i of pick(n)) {
    const p = [...xData], q = [...xData];
    p[i]! += eps;
    q[i]! -= eps;
    near(gx[i]!, (value(p) - value(q)) / (2 * eps), `d/dx[${i}]`);
  }
  for (const [name, prm] of m.namedParameters()) {
    if (!prm.requiresGrad) continue;
    const g = prm.grad ? Array.from(prm.grad.dataSync()) : new Array<number>(prm.size).fill(0);
    const base = Array.from(prm.dataSync());
    for (const i of pick(prm.size)) {
      const p = [...base];
      p[i]! += eps;
      prm.backend.upload(prm.buf, p);
      const up = value(xData);
      p[i]! -= 2 * eps;
      prm.backend.upload(prm.buf, p);
      const down = value(xData);
      prm.backend.upload(prm.buf, base);
      near(g[i]!, (up - down) / (2 * eps), `d/d${name}[${i}]`);
    }
  }
  m.zeroGrad();
}
