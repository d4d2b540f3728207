/**
 * WebGPU benchmark for the Open Neuromorphic configuration: Linear(N→N) + LIF, B=16, T=500,
 * N ∈ {4096, 16384}, loss = Σ spikes, forward + backward (weight gradient, as the input needs no grad).
 * EXODUS and SLAYER run the fused backward scans. "BPTT stand-in" times the per-step kernel sequence an
 * op-by-op BPTT would issue (about 8 small kernels per step each way). The "tensor" rows run the real library
 * path (LIF layer + autograd, engines exodus / slayer / bptt) on the webgpu backend.
 * Timing as the ON benchmark: 1 warm-up, then repeats until ≥ 2 s and ≥ 3 runs; mean; sync after each
 * phase. On a CPU Vulkan (lavapipe/llvmpipe) it runs a tiny size only: those numbers are not speed claims.
 * Env: GPU_BENCH_N="4096,16384", GPU_BENCH_T, GPU_BENCH_B, GPU_BENCH_FORCE=1 (full sizes on a CPU adapter).
 */
import { createWebGpuBackend } from "../src/kernels/webgpu/backend.js";
import type { Buf, Kernels } from "../src/kernels/contract.js";
import { setBackend } from "../src/kernels/registry.js";
import type { GradientEngine } from "../src/neurons/dynamics.js";
import { LIF } from "../src/neurons/lif.js";
import { backward } from "../src/tensor/grad.js";
import { keep, tidyAsync } from "../src/tensor/memory.js";
import { linear, randn as randnT, reshape, sum, tensor } from "../src/tensor/ops/index.js";
import { Rng } from "../src/util/rng.js";

await createWebGpuBackend(); // registers "webgpu"; setBackend returns the same started instance
const be = (await setBackend("webgpu")) as Awaited<ReturnType<typeof createWebGpuBackend>>;
const info = be.adapterInfo;
const desc = info ? `${info.vendor} | ${info.architecture} | ${info.device} | ${info.description}` : "(no adapter info)";
const cpuAdapter = /llvmpipe|lavapipe|swiftshader/i.test(desc);
console.log(`adapter: ${desc}`);
console.log(`limits: maxStorageBufferBindingSize=${be.device.limits["maxStorageBufferBindingSize"]} maxBufferSize=${be.device.limits["maxBufferSize"]}`);
const full = !cpuAdapter || process.env.GPU_BENCH_FORCE === "1";
if (!full) console.log("CPU Vulkan adapter: running a tiny configuration only; these timings are NOT speed claims");
const Ns = (process.env.GPU_BENCH_N ?? (full ? "4096,16384" : "256")).split(",").map(Number);
const T = Number(process.env.GPU_BENCH_T ?? (full ? 500 : 50));
const B = Number(process.env.GPU_BENCH_B ?? 16);
const K = be.kernels as Required<Kernels>;
const rng = new Rng(7);

function randBuf(n: number, scale: number): Buf {
  const h = be.alloc("float32", n);
  const chunk = 1 << 22;
  const data = new Float32Array(Math.min(n, chunk));
  for (let i = 0; i < data.length; i++) data[i] = scale * rng.normal();
  // Upload one random block repeated (uploading GBs of fresh randoms would dominate the run).
  const tmp = be.alloc("float32", data.length);
  be.upload(tmp, data);
  for (let off = 0; off < n; off += chunk) K.copy({ x: tmp, y: h }, { n: Math.min(chunk, n - off), srcOffset: 0, dstOffset: off });
  be.free(tmp);
  return h;
}
const filled = (n: number, value: number): Buf => {
  const h = be.alloc("float32", n);
  K.fill({ y: h }, { n, value });
  return h;
};

const budgetMs = Number(process.env.GPU_BENCH_BUDGET_S ?? 270) * 1000;
const benchStart = performance.now();
const overBudget = (): boolean => performance.now() - benchStart > budgetMs;

/** Mean ms of fwd and of bwd (each followed by a sync): 1 warm-up, then ≥ 3 runs and ≥ 2 s (max 50). */
async function time2(fwd: () => void, bwd: () => void = () => {}): Promise<{ fwd: number; bwd: number }> {
  fwd();
  bwd();
  await be.sync(); // warm-up (pipelines compiled, pool filled)
  const f: number[] = [];
  const b: number[] = [];
  const start = performance.now();
  while (f.length < 3 || (performance.now() - start < 2000 && f.length < 50)) {
    const t0 = performance.now();
    fwd();
    await be.sync();
    const t1 = performance.now();
    bwd();
    await be.sync();
    f.push(t1 - t0);
    b.push(performance.now() - t1);
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  return { fwd: mean(f), bwd: mean(b) };
}
const time = async (fn: () => void): Promise<number> => (await time2(fn)).fwd;

const results: Record<string, unknown>[] = [];
for (const N of Ns) {
  try {
    await runConfig(N);
  } catch (e) {
    console.log(`N=${N}: FAILED: ${(e as Error).message}`);
    results.push({ N, B, T, error: (e as Error).message });
  }
}
console.log(JSON.stringify({ adapter: desc, cpuAdapter, results }));
be.dispose();

async function runConfig(N: number): Promise<void> {
  const NN = B * N; // neurons in the LIF layer
  const X = randBuf(T * B * N, 1); // [T·B, N]
  const W = randBuf(N * N, 1 / Math.sqrt(N)); // [N, N] (out, in)
  const alpha = filled(N, Math.exp(-1 / 10)); // tau_mem = 10
  const theta = filled(N, 1);
  const v0 = filled(NN, 0);
  const xs = be.alloc("float32", T * NN), spikes = be.alloc("float32", T * NN), v = be.alloc("float32", T * NN);
  const gS = filled(T * NN, 1); // d(Σ spikes)/d spikes
  const dx = be.alloc("float32", T * NN), dv0 = be.alloc("float32", NN), dW = be.alloc("float32", N * N);
  const total = be.alloc("float32", 1);
  const surrogate = { type: "SingleExponential" as const, gradWidth: 0.5, gradScale: 1 };
  const lifAt = { T, N: NN, P: N, maxSpikes: 0, hasMinV: false };

  const forward = () => {
    K.gemm({ a: X, b: W, c: xs }, { m: T * B, n: N, k: N, transA: false, transB: true, accumulate: false });
    K.lifForward({ x: xs, v0, alpha, theta, sub: theta, spikes, v }, lifAt);
    K.reduce({ x: spikes, y: total }, { op: "sum", outer: 1, mid: T * NN, inner: 1 });
  };
  const backward = (mode: "exodus" | "slayer") => () => {
    K.lifBackward({ gS, v, alpha, theta, sub: theta, dx, dv0 }, { ...lifAt, surrogate, mode });
    K.gemm({ a: dx, b: X, c: dW }, { m: N, n: N, k: T * B, transA: true, transB: false, accumulate: false });
  };

  // BPTT stand-in: the per-step kernels of an op-by-op LIF (forward u = α(v − θ·s) + x_t, s = spike(v);
  // backward through the surrogate and the reset), with per-step slices moved by copy kernels.
  const st = { xt: be.alloc("float32", NN), vt: be.alloc("float32", NN), st: be.alloc("float32", NN), tmp: be.alloc("float32", NN), gU: be.alloc("float32", NN), gs: be.alloc("float32", NN), dv: be.alloc("float32", NN) };
  const am = filled(N, Math.exp(-1 / 10)); // α·m with m = θ = 1
  const bc = { aShape: [B, N], bShape: [N], yShape: [B, N] };
  const same = { aShape: [NN], bShape: [NN], yShape: [NN] };
  const bpttForward = () => {
    K.gemm({ a: X, b: W, c: xs }, { m: T * B, n: N, k: N, transA: false, transB: true, accumulate: false });
    K.fill({ y: st.vt }, { n: NN, value: 0 });
    K.fill({ y: st.st }, { n: NN, value: 0 });
    for (let t = 0; t < T; t++) {
      K.copy({ x: xs, y: st.xt }, { n: NN, srcOffset: t * NN, dstOffset: 0 });
      K.binary({ a: st.vt, b: st.st, y: st.tmp }, { op: "sub", ...same });
      K.binary({ a: st.tmp, b: alpha, y: st.tmp }, { op: "mul", ...bc });
      K.binary({ a: st.tmp, b: st.xt, y: st.vt }, { op: "add", ...same });
      K.spikeFn({ v: st.vt, theta, s: st.st }, { n: NN, P: N, maxSpikes: 0 });
      K.copy({ x: st.st, y: spikes }, { n: NN, srcOffset: 0, dstOffset: t * NN });
      K.copy({ x: st.vt, y: v }, { n: NN, srcOffset: 0, dstOffset: t * NN });
    }
    K.reduce({ x: spikes, y: total }, { op: "sum", outer: 1, mid: T * NN, inner: 1 });
  };
  const bpttBackward = () => {
    K.fill({ y: st.gU }, { n: NN, value: 0 });
    for (let t = T - 1; t >= 0; t--) {
      K.copy({ x: gS, y: st.gs }, { n: NN, srcOffset: t * NN, dstOffset: 0 });
      K.binary({ a: st.gU, b: am, y: st.tmp }, { op: "mul", ...bc });
      K.binary({ a: st.gs, b: st.tmp, y: st.gs }, { op: "sub", ...same }); // dL/ds_t = gS_t − α·m·gU_{t+1}
      K.copy({ x: v, y: st.vt }, { n: NN, srcOffset: t * NN, dstOffset: 0 });
      K.surrogateGrad({ v: st.vt, theta, g: st.gs, dv: st.dv }, { n: NN, P: N, surrogate });
      K.binary({ a: st.gU, b: alpha, y: st.tmp }, { op: "mul", ...bc });
      K.binary({ a: st.dv, b: st.tmp, y: st.gU }, { op: "add", ...same }); // dL/dv_t = σ·dL/ds_t + α·gU_{t+1}
      K.copy({ x: st.gU, y: dx }, { n: NN, srcOffset: 0, dstOffset: t * NN });
    }
    K.gemm({ a: dx, b: X, c: dW }, { m: N, n: N, k: T * B, transA: true, transB: false, accumulate: false });
  };

  const scanOnly = await time(() => K.lifForward({ x: xs, v0, alpha, theta, sub: theta, spikes, v }, lifAt));
  const scanBack = await time(() => K.lifBackward({ gS, v, alpha, theta, sub: theta, dx, dv0 }, { ...lifAt, surrogate, mode: "exodus" }));
  const gemmMs = await time(() => K.gemm({ a: X, b: W, c: xs }, { m: T * B, n: N, k: N, transA: false, transB: true, accumulate: false }));
  const steps = T * NN;
  forward();
  console.log(`\nN=${N} (B=${B}, T=${T}, ${NN} neurons): spikes in one forward pass: ${(await be.download(total))[0]}`);
  console.log(`  kernels: gemm ${gemmMs.toFixed(2)} ms (${((2 * T * B * N * N) / gemmMs / 1e6).toFixed(0)} GFLOP/s), ` +
    `lifForward ${scanOnly.toFixed(2)} ms, lifBackward(exodus) ${scanBack.toFixed(2)} ms ` +
    `(${(steps / (scanBack / 1000) / 1e9).toFixed(2)} G neuron-steps/s)`);
  const row = (label: string, t: { fwd: number; bwd: number }) => {
    const rate = steps / ((t.fwd + t.bwd) / 1000);
    console.log(`  ${label.padEnd(34)} fwd ${t.fwd.toFixed(1).padStart(8)} ms   bwd ${t.bwd.toFixed(1).padStart(8)} ms   ` +
      `fwd+bwd ${(t.fwd + t.bwd).toFixed(1).padStart(8)} ms   ${(rate / 1e6).toFixed(1)} M neuron-steps/s`);
    results.push({ N, B, T, engine: label, fwdMs: t.fwd, bwdMs: t.bwd, neuronStepsPerS: rate });
  };
  const skip = (label: string) => console.log(`  ${label.padEnd(34)} skipped: time budget (GPU_BENCH_BUDGET_S) used up`);
  for (const [label, fwd, bwd] of [
    ["EXODUS (fused kernels)", forward, backward("exodus")],
    ["SLAYER (fused kernels)", forward, backward("slayer")],
    ["BPTT stand-in (per-step kernels)", bpttForward, bpttBackward],
  ] as const) {
    if (overBudget()) skip(label);
    else row(label, await time2(fwd, bwd));
  }
  for (const engine of ["exodus", "slayer", "bptt"] as GradientEngine[]) {
    const label = `tensor path, ${engine}`;
    if (overBudget()) skip(label);
    else row(label, await timeTensor(engine, N));
  }
  for (const h of [X, W, alpha, theta, v0, xs, spikes, v, gS, dx, dv0, dW, total, am, ...Object.values(st)]) be.free(h);
  be.trim();
}

/** The library path: Linear(N→N) → LIF layer, loss = Σ spikes, backward() through autograd (mean of ≥ 3 runs after a warm-up). */
async function timeTensor(engine: GradientEngine, N: number): Promise<{ fwd: number; bwd: number }> {
  const r = new Rng(3);
  const w = keep(randnT([N, N], r, 1 / Math.sqrt(N)));
  w.requiresGrad = true;
  const block = Float32Array.from({ length: Math.min(T * B * N, 1 << 22) }, () => r.normal());
  const xData = new Float32Array(T * B * N);
  for (let off = 0; off < xData.length; off += block.length) xData.set(block.subarray(0, Math.min(block.length, xData.length - off)), off);
  const x = keep(tensor(xData, [T * B, N]));
  const lif = new LIF({ tauMem: 10, gradient: engine, normInput: false });
  const fwd: number[] = [];
  const bwd: number[] = [];
  const start = performance.now();
  for (let i = 0; i < 50 && (i < 4 || performance.now() - start < 2000) && !(i >= 2 && overBudget()); i++) {
    await tidyAsync(async () => {
      lif.resetStates();
      const t0 = performance.now();
      const loss = sum(lif.forward(reshape(linear(x, w, null), [T, B, N])));
      await be.sync();
      const t1 = performance.now();
      backward(loss);
      await be.sync();
      const t2 = performance.now();
      if (i > 0) {
        fwd.push(t1 - t0);
        bwd.push(t2 - t1);
      }
      if (w.grad) {
        w.grad.dispose();
        w.grad = null;
      }
    });
  }
  w.dispose();
  x.dispose();
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  return { fwd: mean(fwd), bwd: mean(bwd) };
}
