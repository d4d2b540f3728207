/**
 * Kernel-level end-to-end check: a few EXODUS training steps of Linear → LIF → spike-count softmax
 * cross-entropy, written once against the Backend interface and run on webgpu and on ref. Same data,
 * same initial weights: the loss curves must agree. (The tensor-level "same model on --device webgpu and
 * wasm" test belongs with the tensor/training layers.)
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Backend, Buf } from "../../src/kernels/contract.js";
import { RefBackend } from "../../src/kernels/ref/backend.js";
import { backend, need, randn, rng, uniform } from "./helpers.js";

after(async () => (await backend())?.dispose());

const T = 25, B = 4, FIN = 33, H = 10, STEPS = 6;

/** Runs STEPS of training on `be`; returns the mean loss of each step (read back once per step). */
async function train(be: Backend): Promise<number[]> {
  const r = rng(42);
  const K = be.kernels as Required<Backend["kernels"]>;
  const buf = (data: ArrayLike<number>): Buf => {
    const h = be.alloc("float32", data.length);
    be.upload(h, data);
    return h;
  };
  const empty = (n: number): Buf => be.alloc("float32", n);
  const N = B * H;
  const X = buf(randn(r, T * B * FIN, 1, 0.2)); // [T·B, FIN], time-major rows t·B + b
  const labels = buf(new Float32Array(B).map((_, i) => i % H));
  const W = buf(randn(r, H * FIN, 0.3)); // [H, FIN]
  const alpha = buf(uniform(r, H, 0.85, 0.95));
  const theta = buf(new Float32Array(H).fill(1));
  const v0 = buf(new Float32Array(N));
  const [mW, vW, momA] = [buf(new Float32Array(H * FIN)), buf(new Float32Array(H * FIN)), buf(new Float32Array(H))];
  const xs = empty(T * N), spikes = empty(T * N), v = empty(T * N), logits = empty(N), loss = empty(B), dlogits = empty(N);
  const ones = buf(new Float32Array(T * N).fill(1)), gS = empty(T * N), dx = empty(T * N), dv0 = empty(N), dAlpha = empty(H);
  const dW = empty(H * FIN), meanLoss = empty(1);
  const surrogate = { type: "SingleExponential" as const, gradWidth: 0.5, gradScale: 1 };
  const curve: number[] = [];
  for (let step = 1; step <= STEPS; step++) {
    // Forward: x = X·Wᵀ as [T, B·H] (n = b·H + h: per-feature params broadcast over the batch, P = H).
    K.gemm({ a: X, b: W, c: xs }, { m: T * B, n: H, k: FIN, transA: false, transB: true, accumulate: false });
    K.lifForward({ x: xs, v0, alpha, theta, sub: theta, spikes, v }, { T, N, P: H, maxSpikes: 0, hasMinV: false });
    K.reduce({ x: spikes, y: logits }, { op: "sum", outer: 1, mid: T, inner: N });
    K.softmaxCrossEntropy({ logits, labels, loss, dlogits }, { rows: B, classes: H });
    K.reduce({ x: loss, y: meanLoss }, { op: "mean", outer: 1, mid: B, inner: 1 });
    // Backward: dL/dspikes_t = dlogits / B for every t; EXODUS scan; weight and α gradients.
    K.binary({ a: dlogits, b: ones, y: gS }, { op: "mul", aShape: [1, N], bShape: [T, N], yShape: [T, N] });
    K.unary({ x: gS, y: gS }, { op: "scale", n: T * N, p: 1 / B });
    K.lifBackward(
      { gS, v, alpha, theta, sub: theta, dx, dv0, spikes, v0, dAlpha },
      { T, N, P: H, maxSpikes: 0, hasMinV: false, surrogate, mode: "exodus" },
    );
    K.gemm({ a: dx, b: X, c: dW }, { m: H, n: FIN, k: T * B, transA: true, transB: false, accumulate: false });
    K.adamUpdate({ p: W, g: dW, m: mW, v: vW }, { n: H * FIN, lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step });
    K.sgdUpdate({ p: alpha, g: dAlpha, buf: momA }, { n: H, lr: 1e-3, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, first: step === 1 });
    curve.push((await be.download(meanLoss))[0]!);
  }
  return curve;
}

test("EXODUS training steps (gemm → LIF → CE → EXODUS → gemm → Adam/SGD): webgpu loss curve = ref", async (t) => {
  const b = await need(t);
  if (!b) return;
  const gpu = await train(b);
  const ref = await train(new RefBackend());
  console.log(`# loss ref    ${ref.map((x) => x.toFixed(6)).join(" ")}\n# loss webgpu ${gpu.map((x) => x.toFixed(6)).join(" ")}`);
  assert.ok(ref[STEPS - 1]! < ref[0]!, "the loss should go down");
  for (let i = 0; i < STEPS; i++) {
    assert.ok(Math.abs(gpu[i]! - ref[i]!) <= 1e-3 * Math.abs(ref[i]!) + 1e-5, `step ${i + 1}: webgpu ${gpu[i]} vs ref ${ref[i]}`);
  }
});
