/**
 * The wasm backend's own behaviour beyond kernel conformance (that is conformance.test.ts): its sparse and dense
 * gemm agree on spike tensors, memory does not grow over training-step-like cycles (the allocator and the
 * per-thread scratch are reused), float64 is refused with the backend that has it. Seed printed per run.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/errors.js";
import type { Buf } from "../../src/kernels/contract.js";
import { WasmBackend } from "../../src/kernels/wasm/backend.js";
import { Rng } from "../../src/util/rng.js";
import { compare, sumTol, SURROGATES } from "./cases.js";
import { runKernel } from "./run-kernel.js";

const SEED = Number(process.env.EXODUS_SEED ?? Date.now() % 2147483647);
const rng = new Rng(SEED);
const rand = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
const spikes = (n: number, density: number): Float32Array =>
  Float32Array.from({ length: n }, () => (rng.random() < density ? 1 : 0));

test(`sparse and dense gemm agree on spike tensors (seed ${SEED})`, () => {
  const wasm = new WasmBackend({ threads: 1 });
  for (const density of [0, 0.001, 0.05, 0.5, 1])
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const m = 131, n = 70, k = 517;
      const a = spikes(m * k, density), b = rand(k * n);
      const res: Float32Array[] = [];
      for (const forced of [1.01, -1]) {
        wasm.sparseDensityMax = forced;
        const c = { name: "", kernel: "gemm" as const, inputs: { a, b }, outputs: { c: m * n },
          attrs: { m, n, k, transA, transB, accumulate: false, aSparse: true } };
        res.push(runKernel(wasm, c.kernel, c.inputs, { c: rand(m * n) }, c.attrs).c!);
      }
      wasm.sparseDensityMax = undefined;
      assert.equal(compare(`sparse vs dense density=${density} tA=${transA} tB=${transB}: c`, res[0]!, res[1]!, sumTol(k * density + 8)), "");
    }
  wasm.dispose();
});

for (const threads of [1, 2]) test(`memory does not grow over 100 training-step-like cycles (${threads} thread${threads > 1 ? "s, every call split" : ""})`, () => {
  const wasm = new WasmBackend({ threads });
  if (threads > 1) wasm.parallelMinWork = 0; // per-thread scratch (gemm, LIF, sparse index) must be reused too
  const T = 20, B = 8, F = 64, N = B * F;
  const W = wasm.alloc("float32", F * F);
  wasm.upload(W, rand(F * F, -0.2, 0.2));
  const params = ["alpha", "theta", "sub"].map(() => { const p = wasm.alloc("float32", F); wasm.upload(p, rand(F, 0.6, 0.9)); return p; });
  const [alpha, theta, sub] = params as [Buf, Buf, Buf];
  const step = (): void => {
    const x = wasm.alloc("float32", T * N); wasm.upload(x, spikes(T * N, 0.1));
    const cur = wasm.alloc("float32", T * N), v0 = wasm.alloc("float32", N), s = wasm.alloc("float32", T * N), v = wasm.alloc("float32", T * N);
    wasm.kernels.fill!({ y: v0 }, { n: N, value: 0 });
    wasm.kernels.gemm!({ a: x, b: W, c: cur }, { m: T * B, n: F, k: F, transA: false, transB: false, accumulate: false, aSparse: true });
    wasm.kernels.lifForward!({ x: cur, v0, alpha, theta, sub, spikes: s, v }, { T, N, P: F, maxSpikes: 0, hasMinV: false });
    const gS = wasm.alloc("float32", T * N), dx = wasm.alloc("float32", T * N), dv0 = wasm.alloc("float32", N), dA = wasm.alloc("float32", F);
    wasm.upload(gS, rand(T * N));
    wasm.kernels.lifBackward!({ gS, v, alpha, theta, sub, dx, dv0, spikes: s, v0, dAlpha: dA },
      { T, N, P: F, maxSpikes: 0, hasMinV: false, mode: "exodus", surrogate: SURROGATES[0]! });
    const dW = wasm.alloc("float32", F * F);
    wasm.kernels.gemm!({ a: x, b: dx, c: dW }, { m: F, n: F, k: T * B, transA: true, transB: false, accumulate: false, aSparse: true });
    for (const b of [x, cur, v0, s, v, gS, dx, dv0, dA, dW]) wasm.free(b);
  };
  for (let i = 0; i < 5; i++) step();
  const before = { mem: wasm.memoryBytes(), ...wasm.memoryStats() };
  for (let i = 0; i < 100; i++) step();
  const after = { mem: wasm.memoryBytes(), ...wasm.memoryStats() };
  assert.deepEqual(after, before);
  assert.equal(after.buffers, 4);
  wasm.dispose();
});

test("wasm backend refuses float64 and names the ref backend", () => {
  const wasm = new WasmBackend({ threads: 1 });
  assert.throws(() => wasm.alloc("float64", 4), (e: unknown) => e instanceof ConfigError && /ref backend/.test((e as Error).message));
  wasm.dispose();
});
