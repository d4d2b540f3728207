/**
 * The wasm backend's worker threads: a kernel cut into blocks gives the same bits as the single-threaded
 * module (each output element is computed by the same sequence of operations, only by another thread), except
 * the α-gradient of shared parameters, whose per-block partial sums are added in another order. Also: the
 * threads option is validated. (No memory growth on threads: wasm-conformance.test.ts.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/errors.js";
import type { KernelName } from "../../src/kernels/contract.js";
import { WasmBackend } from "../../src/kernels/wasm/backend.js";
import { Rng } from "../../src/util/rng.js";
import { runKernel } from "./run-kernel.js";

const SEED = Number(process.env.EXODUS_SEED ?? Date.now() % 2147483647);
const rng = new Rng(SEED);
const rand = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
const spikes = (n: number, d: number): Float32Array => Float32Array.from({ length: n }, () => (rng.random() < d ? 1 : 0));

const single = new WasmBackend({ threads: 1 });
const multi = new WasmBackend({ threads: 3 });
multi.parallelMinWork = 0; // split every call, however small

/** runKernel with outputs given as a length (filled with 7s first) or as initial contents. */
function run(be: WasmBackend, kernel: KernelName, inputs: Record<string, Float32Array>,
  outputs: Record<string, number | Float32Array>, attrs: unknown): Record<string, Float32Array> {
  const init = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, typeof o === "number" ? new Float32Array(o).fill(7) : o]));
  return runKernel(be, kernel, inputs, init, attrs);
}

function sameBits(name: string, a: Float32Array, b: Float32Array): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i]) || (a[i] === b[i])) continue;
    assert.fail(`${name}[${i}]: 1 thread ${a[i]} ≠ 3 threads ${b[i]}`);
  }
}

test(`kernels on 3 threads give the single-threaded bits (seed ${SEED})`, () => {
  assert.equal(multi.threads, 3);
  // gemm: dense by rows (m ≥ n) and by columns (short, wide c), all transposes; spike-sparse a·b and aᵀ·b
  for (const [m, n, k] of [[203, 37, 130], [9, 301, 77], [1, 5, 3]] as const)
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        const inputs = { a: rand(m * k), b: rand(k * n) };
        const c0 = rand(m * n);
        for (const accumulate of [false, true]) {
          const at = { m, n, k, transA, transB, accumulate, alpha: 0.5 };
          sameBits(`gemm ${m}×${n}×${k} tA=${transA} tB=${transB} acc=${accumulate}`,
            run(single, "gemm", inputs, { c: c0 }, at).c!, run(multi, "gemm", inputs, { c: c0 }, at).c!);
        }
      }
  for (const transA of [false, true]) {
    const m = 150, n = 41, k = 333;
    const inputs = { a: spikes(m * k, 0.05), b: rand(k * n) };
    const at = { m, n, k, transA, transB: false, accumulate: false, aSparse: true };
    sameBits(`sparse gemm tA=${transA}`, run(single, "gemm", inputs, { c: m * n }, at).c!, run(multi, "gemm", inputs, { c: m * n }, at).c!);
  }
  // LIF scans: P = 1, P = N (per-neuron parameters sliced per block when N % 4 = 0, else one block), P a divisor
  // (blocks at multiples of P)
  for (const [T, N, P] of [[31, 203, 1], [13, 148, 148], [17, 150, 150], [23, 120, 12], [5, 66, 6]] as const) {
    const params = { alpha: rand(P, 0.6, 0.99), theta: rand(P, 0.5, 1.5), sub: rand(P, 0.5, 1.5) };
    const fwdIn = { x: rand(T * N, -0.5, 1.5), v0: rand(N, -0.5, 1), ...params };
    const fwdAt = { T, N, P, maxSpikes: 0, hasMinV: false };
    const f1 = run(single, "lifForward", fwdIn, { spikes: T * N, v: T * N }, fwdAt);
    const f3 = run(multi, "lifForward", fwdIn, { spikes: T * N, v: T * N }, fwdAt);
    sameBits(`lifForward T=${T} N=${N} P=${P} spikes`, f1.spikes!, f3.spikes!);
    sameBits(`lifForward T=${T} N=${N} P=${P} v`, f1.v!, f3.v!);
    const bwdIn = { gS: rand(T * N), v: f1.v!, spikes: f1.spikes!, v0: fwdIn.v0, ...params };
    const bwdAt = { T, N, P, maxSpikes: 0, hasMinV: false, mode: "exodus", surrogate: { type: "SingleExponential", gradWidth: 0.5, gradScale: 1 } };
    const outs = { dx: T * N, dv0: N, dAlpha: P };
    const b1 = run(single, "lifBackward", bwdIn, outs, bwdAt);
    const b3 = run(multi, "lifBackward", bwdIn, outs, bwdAt);
    sameBits(`lifBackward T=${T} N=${N} P=${P} dx`, b1.dx!, b3.dx!);
    sameBits(`lifBackward T=${T} N=${N} P=${P} dv0`, b1.dv0!, b3.dv0!);
    // dα: the same terms, summed per block then across blocks: float32 rounding only
    const scale = Math.max(...b1.dAlpha!.map(Math.abs), 1e-30);
    for (let p = 0; p < P; p++) {
      assert.ok(Math.abs(b1.dAlpha![p]! - b3.dAlpha![p]!) <= 1e-5 * scale + 1e-6 * T * N / P * scale / Math.max(1, T),
        `lifBackward T=${T} N=${N} P=${P} dAlpha[${p}]: ${b1.dAlpha![p]} vs ${b3.dAlpha![p]}`);
    }
  }
  // elementwise with a broadcast column operand (layout 5): blocks hold whole cycles of the column
  const R = 7, C = 33;
  const ab = { a: rand(5 * R * C), b: rand(R) };
  const bat = { op: "mul", aShape: [5, R, C], bShape: [R, 1], yShape: [5, R, C] };
  sameBits("binary column broadcast", run(single, "binary", ab, { y: 5 * R * C }, bat).y!, run(multi, "binary", ab, { y: 5 * R * C }, bat).y!);
  const red = { x: rand(37 * 19 * 5) };
  const rat = { outer: 37, mid: 19, inner: 5, op: "sum" };
  sameBits("reduce", run(single, "reduce", red, { y: 37 * 5 }, rat).y!, run(multi, "reduce", red, { y: 37 * 5 }, rat).y!);
});

test("threads option: invalid counts are a ConfigError naming the fix", () => {
  for (const bad of [0, -1, 1.5, 65, Number.NaN]) {
    assert.throws(() => new WasmBackend({ threads: bad }), (e: unknown) => e instanceof ConfigError && /threads must be an integer in \[1, 64\]/.test((e as Error).message));
  }
});
