/**
 * Lazily repeated gradients (autograd RepeatedGrad): sum and mean over leading axes hand back a gradient with
 * a period instead of writing the expanded tensor; reshape passes it on; lifScan reads it in place
 * (LifBackwardAttrs.gSP); everything else gets it materialised. Checked against float64 finite differences
 * (the generic ops) and against the same loss written with an explicit full-size weight tensor (lifScan),
 * plus: the lazy path is really taken, and backward leaves no buffer behind.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend, LifBackwardAttrs } from "../../src/kernels/contract.js";
import { getBackend, setBackendSync } from "../../src/kernels/registry.js";
import "../../src/kernels/wasm/backend.js";
import { ShapeError } from "../../src/errors.js";
import { backward } from "../../src/tensor/grad.js";
import { tidy } from "../../src/tensor/memory.js";
import * as O from "../../src/tensor/ops/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { assertClose, checkGrad, randArray, Rng, testSeed } from "../helpers.js";

const seed = testSeed("repeated-grad");
const rng = new Rng(seed);
const f64 = (d: number[], shape: number[]) => O.tensor(d, shape, { dtype: "float64" });

const [T, B, F] = [5, 2, 3];
const xData = randArray(rng, T * B * F);
const wF = randArray(rng, F), wBF = randArray(rng, B * F), wTB = randArray(rng, T * B);

// Each loss reduces leading axes (lazy), a trailing axis (materialised), or meets the same tensor twice
// (two lazy gradients added; a lazy and a full one added; a leaf receiving a lazy one).
const losses: [string, (x: Tensor) => Tensor][] = [
  ["sum(x)", (x) => O.sum(x)],
  ["mean(x)", (x) => O.mean(x)],
  ["Σ w·sum(x, 0)", (x) => O.sum(O.mul(O.sum(x, 0), f64(wBF, [B, F])))],
  ["Σ w·mean(x, [0, 1])", (x) => O.sum(O.mul(O.mean(x, [0, 1]), f64(wF, [F])))],
  ["Σ w·sum(x, 0, keepdims)", (x) => O.sum(O.mul(O.sum(x, 0, true), f64(wBF, [1, B, F])))],
  ["sum(x, 2) trailing", (x) => O.sum(O.mul(O.sum(x, 2), f64(wTB, [T, B])))],
  ["sum(reshape(x)) + Σ w·sum(x, 0)", (x) => O.add(O.sum(O.reshape(x, [T * B, F])), O.sum(O.mul(O.sum(x, 0), f64(wBF, [B, F]))))],
  ["sum(x) + Σ x²", (x) => O.add(O.sum(x), O.sum(O.mul(x, x)))],
];
for (const [name, loss] of losses) {
  test(`repeated gradient: ${name} matches finite differences`, () => {
    checkGrad(([x]) => loss(x!), [{ data: xData, shape: [T, B, F] }], { label: name });
  });
}

/** lifScan's spike gradient from `reduce` (lazy) against the same loss with explicit full weights `wFull`. */
function lifGrads(backend: "ref" | "wasm", N: number, TT: number, reduce: (s: Tensor) => Tensor, wFull: (s: Tensor) => Tensor) {
  setBackendSync(backend);
  const dtype = backend === "ref" ? "float64" : "float32";
  const r = new Rng(seed + N);
  const xd = randArray(r, TT * N, -0.2, 0.9), v0d = randArray(r, N, 0, 0.5), ad = randArray(r, N, 0.7, 0.95);
  const run = (lossOf: (s: Tensor) => Tensor) => tidy(() => {
    const x = O.tensor(xd, [TT, N], { dtype, requiresGrad: true });
    const v0 = O.tensor(v0d, [N], { dtype, requiresGrad: true });
    const a = O.tensor(ad, [N], { dtype, requiresGrad: true });
    const one = O.tensor(new Array(N).fill(1), [N], { dtype });
    const { spikes } = O.lifScan(x, v0, a, one, one, null, {
      maxSpikes: 0, surrogate: { type: "SingleExponential", gradWidth: 0.5, gradScale: 1 }, mode: "exodus",
    });
    backward(lossOf(spikes));
    return [x, v0, a].map((t) => Array.from(t.grad!.dataSync()));
  });
  return { lazy: run(reduce), full: run(wFull) };
}

/** Spies on lifBackward's gSP attribute. */
function spy(b: Backend): { seen: (number | undefined)[]; restore: () => void } {
  const k = b.kernels.lifBackward!;
  const seen: (number | undefined)[] = [];
  (b.kernels as { lifBackward: typeof k }).lifBackward = (io, at: LifBackwardAttrs) => {
    seen.push(at.gSP);
    k.call(b.kernels, io, at);
  };
  return { seen, restore: () => ((b.kernels as { lifBackward: typeof k }).lifBackward = k) };
}

for (const backend of ["ref", "wasm"] as const) {
  test(`lifScan reads a sum/mean-over-time spike gradient in place (gSP), same gradients as full weights (${backend})`, () => {
    const dtype = backend === "ref" ? "float64" : "float32";
    const [TT, Bb, Ff] = [23, 3, 4];
    const N = Bb * Ff;
    const wf = randArray(rng, Ff), w46 = randArray(rng, 46);
    const full = (vals: (t: number, n: number) => number) => (s: Tensor) =>
      O.sum(O.mul(s, O.tensor(Array.from({ length: TT * N }, (_, i) => vals(Math.floor(i / N), i % N)), [TT, N], { dtype })));
    const cases: [string, (s: Tensor) => Tensor, (s: Tensor) => Tensor, number | undefined][] = [
      ["sum", (s) => O.sum(s), full(() => 1), 1],
      ["mean", (s) => O.mean(s), full(() => 1 / (TT * N)), 1],
      // a rate read-out: spike counts over time per (batch, feature), weighted per feature → period Ff
      ["Σ w·sum over (t, b)", (s) => O.sum(O.mul(O.sum(O.reshape(s, [TT, Bb, Ff]), [0, 1]), O.tensor(wf, [Ff], { dtype }))), full((_, n) => wf[n % Ff]!), Ff],
      // a period that does not divide N (46 | T·N = 276, 46 ∤ 12): materialised, gSP absent
      ["period ∤ N", (s) => O.sum(O.mul(O.sum(O.reshape(s, [TT * N / 46, 46]), 0), O.tensor(w46, [46], { dtype }))),
        full((t, n) => w46[(t * N + n) % 46]!), undefined],
    ];
    const b = getBackend(backend);
    for (const [name, lazy, wFull, wantGSP] of cases) {
      const s = spy(b);
      let got;
      try {
        got = lifGrads(backend, N, TT, lazy, wFull);
      } finally {
        s.restore();
      }
      assert.deepEqual(s.seen, [wantGSP, undefined], `${name}: lifBackward's gSP (lazy run, then the full-weights run)`);
      const tol = backend === "ref" ? 1e-12 : 1e-5;
      got.lazy.forEach((g, k) => assertClose(g, got.full[k]!, tol, `${name}: grad of input ${k}`));
    }
  });
}

test("sum/mean of LIF spikes: backward allocates no [T, N] gradient besides dx, and frees what it made (wasm)", () => {
  setBackendSync("wasm");
  const b = getBackend("wasm");
  const [TT, N] = [40, 16];
  const x = O.tensor(randArray(rng, TT * N, 0, 0.6), [TT, N], { requiresGrad: true });
  const one = O.tensor(new Array(N).fill(1), [N]);
  const alloc = b.alloc.bind(b);
  const losses: [string, (s: Tensor) => Tensor][] = [
    ["sum", (s) => O.sum(s)],
    ["mean over (t, b)", (s) => O.sum(O.mean(O.reshape(s, [TT, 4, 4]), [0, 1]))],
  ];
  for (const [name, loss] of losses) {
    let inBackward = false;
    const sizes: number[] = [];
    b.alloc = (dtype, length) => {
      if (inBackward) sizes.push(length);
      return alloc(dtype, length);
    };
    let live = { afterForward: 0, afterBackward: 0 };
    try {
      tidy(() => {
        const { spikes } = O.lifScan(x, O.zeros([N]), O.tensor(new Array(N).fill(0.9), [N]), one, one, null, {
          maxSpikes: 0, surrogate: { type: "SingleExponential", gradWidth: 0.5, gradScale: 1 }, mode: "exodus",
        });
        const l = loss(spikes);
        live.afterForward = b.memoryStats().buffers;
        inBackward = true;
        backward(l);
        inBackward = false;
        live.afterBackward = b.memoryStats().buffers;
      });
    } finally {
      b.alloc = alloc;
    }
    assert.equal(sizes.filter((n) => n === TT * N).length, 1, `${name}: [T, N] buffers allocated by backward (only dx): ${sizes}`);
    // left after backward: x.grad (dx, adopted) and the root's seed; dv0, the lazy bases, the loss-side
    // gradients are released as soon as they are consumed
    assert.ok(live.afterBackward - live.afterForward <= 2, `${name}: ${live.afterBackward - live.afterForward} buffers more after backward`);
    x.grad!.dispose();
    x.grad = null;
  }
});

for (const backend of ["ref", "wasm"] as const) {
  test(`lifBackward rejects a gSP that is not a positive divisor of N with a ShapeError (${backend})`, () => {
    setBackendSync(backend);
    const b = getBackend(backend);
    const [TT, N] = [3, 8];
    const buf = (n: number) => {
      const x = b.alloc("float32", n);
      b.upload(x, new Float32Array(n).fill(0.5));
      return x;
    };
    const io = { gS: buf(8), v: buf(TT * N), alpha: buf(1), theta: buf(1), sub: buf(1), dx: buf(TT * N), dv0: buf(N) };
    for (const gSP of [0, 3, 16, 2.5]) {
      assert.throws(() => b.kernels.lifBackward!(io, {
        T: TT, N, P: 1, maxSpikes: 0, hasMinV: false, surrogate: { type: "SingleExponential", gradWidth: 0.5, gradScale: 1 },
        mode: "exodus", gSP,
      }), (e: unknown) => e instanceof ShapeError && /gSP = .* dividing N = 8/.test((e as Error).message), `gSP = ${gSP}`);
    }
    for (const x of Object.values(io)) b.free(x);
  });
}
