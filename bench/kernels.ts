/**
 * Kernel micro-benchmark for the wasm CPU backend (not a test): gemm GFLOP/s (ref vs wasm plain-SIMD vs
 * relaxed-SIMD FMA) at 1024³ and the skinny training shapes 8000×512×512 (+ transposed variants), spike-sparse
 * vs dense gemm over a density sweep (how SPARSE_DENSITY_MAX in src/kernels/wasm/kernels/gemm-sparse.ts was chosen), and
 * LIF forward / EXODUS backward neuron-steps/s. Prints a table, then one JSON line. `npm run bench:kernels`;
 * `--quick` runs fewer repetitions, `--sparse` only the density sweep, `--conv` only the spike-driven conv
 * sweep, `--lif` only the neuron scans. Each
 * number is the best of a few runs, by wall clock and by process CPU time (`*_cpu` keys): on the shared
 * 2-core machines other jobs steal the core, and CPU time tracks the kernel better than the wall clock does
 * (it still counts cycles lost to a busy SMT sibling). CPU time is the whole process's: on a backend with kernel threads (the default) it sums all threads, including
 * workers spinning between calls, so those rows say so and only one-thread rows give a per-kernel CPU time.
 */
import type { Backend, Buf, GemmAttrs } from "../src/kernels/contract.js";
import { RefBackend } from "../src/kernels/ref/backend.js";
import { WasmBackend } from "../src/kernels/wasm/backend.js";
import { Rng } from "../src/util/rng.js";

const quick = process.argv.includes("--quick");
/** `--lif`: only the neuron scans (both wasm variants, backward with and without dα). */
const lifOnly = process.argv.includes("--lif");
/** `--sparse`: only the spike-sparse vs dense density sweep. */
const sparseOnly = process.argv.includes("--sparse");
/** `--conv`: only the spike-driven vs dense conv2d sweep. */
const convOnly = process.argv.includes("--conv");
const REPS = quick ? 3 : 5;
const rng = new Rng(1234);
const rows: [string, string][] = [];
const json: Record<string, number | string> = {};

interface Timing { wall: number; cpu: number }

/** Best wall and best CPU seconds of fn over reps (after one warm-up call). */
function time(fn: () => void, reps = REPS): Timing {
  fn();
  const best = { wall: Infinity, cpu: Infinity };
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage().user;
    const t0 = performance.now();
    fn();
    best.wall = Math.min(best.wall, (performance.now() - t0) / 1000);
    best.cpu = Math.min(best.cpu, Math.max(process.cpuUsage().user - c0, 1) / 1e6);
  }
  return best;
}

const per = (work: number, t: Timing, scale: number): Timing => ({ wall: work / t.wall / scale, cpu: work / t.cpu / scale });

function filled(be: Backend, n: number, gen: () => number): Buf {
  const b = be.alloc("float32", n);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = gen();
  be.upload(b, a);
  return b;
}

function gemmGflops(be: Backend, at: GemmAttrs, density?: number, reps = REPS): Timing {
  const { m, n, k } = at;
  const a = filled(be, m * k, density === undefined ? () => rng.uniform(-1, 1) : () => (rng.random() < density ? 1 : 0));
  const b = filled(be, k * n, () => rng.uniform(-1, 1));
  const c = be.alloc("float32", m * n);
  const s = time(() => be.kernels.gemm!({ a, b, c }, at), reps);
  for (const x of [a, b, c]) be.free(x);
  return per(2 * m * n * k, s, 1e9);
}

const attrs = (m: number, n: number, k: number, transA = false, transB = false, aSparse = false): GemmAttrs =>
  ({ m, n, k, transA, transB, accumulate: false, aSparse });

/** `threads` > 1: the CPU time summed over that many threads (see the header), labelled as such. */
function record(label: string, key: string, value: Timing, unit: string, threads = 1): void {
  const d = unit === "GFLOP/s" ? 1 : 2;
  const cpu = threads > 1 ? `cpu-time of all ${threads} threads` : "cpu-time";
  rows.push([label, `${value.wall.toFixed(d)} ${unit} (${cpu} ${value.cpu.toFixed(d)})`]);
  json[key] = Number(value.wall.toFixed(3));
  json[`${key}_cpu`] = Number(value.cpu.toFixed(3));
}

const ratio = (a: Timing, b: Timing): Timing => ({ wall: a.wall / b.wall, cpu: a.cpu / b.cpu });

const relaxed = new WasmBackend();
const simd = new WasmBackend({ variant: "simd" });
const ref = new RefBackend();
json.wasm_variant = relaxed.variant;

if (!lifOnly && !convOnly) {
// --- dense gemm --------------------------------------------------------------------------------------
if (!sparseOnly) {
record("gemm 512³ ref (plain TS)", "gemm_gflops_512_ref", gemmGflops(ref, attrs(512, 512, 512), undefined, 1), "GFLOP/s");
for (const [name, be] of [["simd", simd], [relaxed.variant, relaxed]] as const) {
  record(`gemm 1024³ wasm ${name}`, `gemm_gflops_1024_${name}`, gemmGflops(be, attrs(1024, 1024, 1024)), "GFLOP/s", be.threads);
  record(`gemm 8000×512×512 NN wasm ${name}`, `gemm_gflops_8000x512x512_nn_${name}`, gemmGflops(be, attrs(8000, 512, 512)), "GFLOP/s", be.threads);
  // input gradient dX = dY·Wᵀ and weight gradient dW = Xᵀ·dY of a Linear(512→512) over 8000 rows
  record(`gemm 8000×512×512 NT wasm ${name}`, `gemm_gflops_8000x512x512_nt_${name}`, gemmGflops(be, attrs(8000, 512, 512, false, true)), "GFLOP/s", be.threads);
  record(`gemm 512×512×8000 TN wasm ${name}`, `gemm_gflops_512x512x8000_tn_${name}`, gemmGflops(be, attrs(512, 512, 8000, true, false)), "GFLOP/s", be.threads);
}
json.gemm_gflops_1024 = json[`gemm_gflops_1024_${relaxed.variant}`]!;
json.gemm_gflops_1024_cpu = json[`gemm_gflops_1024_${relaxed.variant}_cpu`]!;
// 2-D transpose (permute [1, 0]): the spike path's weight-gradient and NT transposes; one thread
{
  const one1 = new WasmBackend({ threads: 1 });
  for (const [r, c] of [[1024, 1024], [1023, 1001]]) {
    const x = filled(one1, r * c, () => rng.uniform(-1, 1)), y = one1.alloc("float32", r * c);
    const t = time(() => one1.kernels.permute!({ x, y }, { shape: [r, c], perm: [1, 0] }), quick ? 3 : 10);
    record(`transpose ${r}×${c} wasm (1 thread)`, `transpose_ms_${r}x${c}`, { wall: t.wall * 1e3, cpu: t.cpu * 1e3 }, "ms");
    one1.free(x);
    one1.free(y);
  }
}
}

// --- spike-sparse vs dense -----------------------------------------------------------------------------
// Effective GFLOP/s (dense flop count / time) so sparse and dense compare directly. Run on the default backend
// (kernel threads: what gemm really gets, and what SPARSE_DENSITY_MAX is set from) by wall clock, and on a
// one-thread backend by wall clock and CPU time. process.cpuUsage() counts every thread of the process
// (workers, and their spin while waiting for the next call), so CPU time means something only with threads: 1;
// the threaded rows print wall clock only. Shapes: a·b and the weight gradient aᵀ·b of Linear(512→512) over
// 8000 rows, and (full run) aᵀ·b of Linear(1024→1024).
const one = new WasmBackend({ threads: 1 });
const sweep = quick ? [0.05, 0.2] : [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
const shapes: [string, GemmAttrs][] = [
  ["NN 8000×512×512", attrs(8000, 512, 512, false, false, true)],
  ["TN 512×512×8000", attrs(512, 512, 8000, true, false, true)],
  ...(quick ? [] : [["TN 1024×1024×8000", attrs(1024, 1024, 8000, true, false, true)] as [string, GemmAttrs]]),
  // a·W of Linear(1024→1024): b (4 MiB) larger than L2
  ...(quick ? [] : [["NN 8000×1024×1024", attrs(8000, 1024, 1024, false, false, true)] as [string, GemmAttrs]]),
];
for (const [be, tag] of [[relaxed, `${relaxed.threads} threads`], [one, "1 thread"]] as const) {
  const cross = shapes.map(() => 0);
  for (const d of sweep) {
    const pct = Math.round(d * 100);
    shapes.forEach(([name, at], si) => {
      be.sparseDensityMax = -1;
      const dense = gemmGflops(be, at, d, 3);
      be.sparseDensityMax = 2;
      const sparse = gemmGflops(be, at, d, 3);
      be.sparseDensityMax = undefined;
      const r = ratio(sparse, dense);
      const key = `sparse_speedup_${name.split(" ")[0]!.toLowerCase()}_${name.includes("1024") ? "1024_" : ""}${pct}${be.threads > 1 ? "_mt" : ""}`;
      if (be.threads > 1) {
        rows.push([`spike gemm ${name} @${pct}% (${tag}): sparse/dense`, `${r.wall.toFixed(2)} x (wall)`]);
        json[key] = Number(r.wall.toFixed(3));
        if (r.wall > 1) cross[si] = d;
      } else {
        record(`spike gemm ${name} @${pct}% (${tag}): sparse/dense`, key, r, "x");
        if (r.cpu > 1) cross[si] = d;
      }
    });
  }
  // highest swept density at which sparse still wins (threaded: wall clock; one thread: CPU time); 0: none
  shapes.forEach(([name], si) => {
    json[`sparse_crossover_${name.split(" ")[0]!.toLowerCase()}${name.includes("1024") ? "_1024" : ""}${be.threads > 1 ? "_mt" : ""}`] = cross[si]!;
  });
}
}
// --- spike-driven vs dense conv2d -------------------------------------------------------------------------
// conv2d and its weight gradient with xSparse (event-driven kernels, assembly/conv.ts) against the dense
// im2col + gemm path on the same spike input, default (threaded) backend, wall clock: how
// CONV_SPARSE_DENSITY_MAX in src/kernels/wasm/kernels/conv2d.ts was chosen. Shapes: a hidden 3×3 layer of a DVS
// network (16×16×16 → 32) and an input layer (2×34×34 → 16, 5×5), 200 images (T·B).
if (!lifOnly && !sparseOnly) {
  const convShapes = [
    { batch: 200, cIn: 16, h: 16, w: 16, cOut: 32, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
    { batch: 200, cIn: 2, h: 34, w: 34, cOut: 16, kh: 5, kw: 5, strideH: 1, strideW: 1, padH: 2, padW: 2 },
  ];
  for (const cs of convShapes) {
    const outH = Math.floor((cs.h + 2 * cs.padH - cs.kh) / cs.strideH) + 1, outW = Math.floor((cs.w + 2 * cs.padW - cs.kw) / cs.strideW) + 1;
    const at = { ...cs, outH, outW, xSparse: true };
    const xl = cs.batch * cs.cIn * cs.h * cs.w, wl = cs.cOut * cs.cIn * cs.kh * cs.kw, yl = cs.batch * cs.cOut * outH * outW;
    const name = `${cs.cIn}×${cs.h}×${cs.w}→${cs.cOut} k${cs.kh}`;
    let crossF = 0, crossW = 0;
    for (const d of quick ? [0.05, 0.2] : [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5]) {
      const x = filled(relaxed, xl, () => (rng.random() < d ? 1 : 0)), w = filled(relaxed, wl, () => rng.uniform(-1, 1));
      const dy = filled(relaxed, yl, () => rng.uniform(-1, 1)), y = relaxed.alloc("float32", yl), dw = relaxed.alloc("float32", wl);
      const run = (forced: number) => {
        relaxed.sparseDensityMax = forced;
        const f = time(() => relaxed.kernels.conv2d!({ x, w, y }, at), 3);
        const g = time(() => relaxed.kernels.conv2dBackwardFilter!({ x, dy, dw }, at), 3);
        relaxed.sparseDensityMax = undefined;
        return { f, g };
      };
      const dense = run(-1), sparse = run(2);
      const pct = Math.round(d * 100);
      const rf = dense.f.wall / sparse.f.wall, rw = dense.g.wall / sparse.g.wall;
      rows.push([`spike conv ${name} @${pct}% (${relaxed.threads} threads): dense/sparse time fwd, dw`,
        `${rf.toFixed(2)} x, ${rw.toFixed(2)} x (wall; dense ${(dense.f.wall * 1e3).toFixed(1)}, ${(dense.g.wall * 1e3).toFixed(1)} ms)`]);
      json[`conv_sparse_speedup_fwd_${cs.cIn}_${cs.kh}_${pct}`] = Number(rf.toFixed(3));
      json[`conv_sparse_speedup_dw_${cs.cIn}_${cs.kh}_${pct}`] = Number(rw.toFixed(3));
      if (rf > 1) crossF = d;
      if (rw > 1) crossW = d;
      for (const b of [x, w, dy, y, dw]) relaxed.free(b);
    }
    json[`conv_sparse_crossover_fwd_${cs.cIn}_${cs.kh}`] = crossF;
    json[`conv_sparse_crossover_dw_${cs.cIn}_${cs.kh}`] = crossW;
  }
}

// --- neuron scans --------------------------------------------------------------------------------------
for (const be of lifOnly ? [simd, relaxed] : sparseOnly || convOnly ? [] : [relaxed]) {
  const T = 500, N = quick ? 4096 * 4 : 4096 * 16, P = 4096;
  const sfx = lifOnly ? `_${be.variant}` : "";
  const lrng = new Rng(99);
  const x = filled(be, T * N, () => lrng.uniform(-0.2, 0.6));
  const v0 = filled(be, N, () => 0);
  const alpha = filled(be, P, () => lrng.uniform(0.8, 0.99));
  const theta = filled(be, P, () => 1);
  const sub = filled(be, P, () => 1);
  const spikes = be.alloc("float32", T * N), v = be.alloc("float32", T * N);
  const gS = filled(be, T * N, () => lrng.uniform(-1, 1));
  const dx = be.alloc("float32", T * N), dv0 = be.alloc("float32", N), dAlpha = be.alloc("float32", P);
  const at = { T, N, P, maxSpikes: 0, hasMinV: false };
  const reps = lifOnly ? REPS : 3;
  const bat = { ...at, mode: "exodus" as const, surrogate: { type: "SingleExponential" as const, gradWidth: 0.5, gradScale: 1 } };
  const fwd = time(() => be.kernels.lifForward!({ x, v0, alpha, theta, sub, spikes, v }, at), reps);
  const bwd = time(() => be.kernels.lifBackward!({ gS, v, alpha, theta, sub, dx, dv0, spikes, v0, dAlpha }, bat), reps);
  const steps = T * N;
  const tag = lifOnly ? ` ${be.variant}` : "";
  record(`lifForward${tag} T=${T} N=${N}`, `lif_fwd_gsteps${sfx}`, per(steps, fwd, 1e9), "G neuron-steps/s", be.threads);
  record(`lifBackward${tag} exodus (+dα) T=${T} N=${N}`, `lif_bwd_gsteps${sfx}`, per(steps, bwd, 1e9), "G neuron-steps/s", be.threads);
  if (lifOnly) {
    // SingleSpike (maxSpikes 1, θ > 0): the forward's division-free path
    const fwd1 = time(() => be.kernels.lifForward!({ x, v0, alpha, theta, sub, spikes, v }, { ...at, maxSpikes: 1 }), reps);
    record(`lifForward${tag} single-spike T=${T} N=${N}`, `lif_fwd_single_gsteps${sfx}`, per(steps, fwd1, 1e9), "G neuron-steps/s", be.threads);
    const bwd0 = time(() => be.kernels.lifBackward!({ gS, v, alpha, theta, sub, dx, dv0 }, bat), reps);
    record(`lifBackward${tag} exodus (no dα) T=${T} N=${N}`, `lif_bwd_noalpha_gsteps${sfx}`, per(steps, bwd0, 1e9), "G neuron-steps/s", be.threads);
    // the paths added for issue 16 (docs/gradients.md §5, §6): a trained θ (dθ, m = θ) and the zero reset
    // (SingleSpike), side by side with the subtractive +dα row above
    const dTheta = be.alloc("float32", P);
    const bwdT = time(() => be.kernels.lifBackward!({ gS, v, alpha, theta, sub: theta, dx, dv0, spikes, v0, dAlpha, dTheta }, { ...bat, thetaInReset: true }), reps);
    record(`lifBackward${tag} exodus (+dα, +dθ, m = θ) T=${T} N=${N}`, `lif_bwd_dtheta_gsteps${sfx}`, per(steps, bwdT, 1e9), "G neuron-steps/s", be.threads);
    be.kernels.lifForward!({ x, v0, alpha, theta, sub, spikes, v }, { ...at, maxSpikes: 1, reset: "zero" });
    const bwdZ = time(() => be.kernels.lifBackward!({ gS, v, alpha, theta, sub, dx, dv0, spikes, v0, dAlpha }, { ...bat, maxSpikes: 1, reset: "zero" }), reps);
    record(`lifBackward${tag} exodus zero reset (+dα) T=${T} N=${N}`, `lif_bwd_zero_gsteps${sfx}`, per(steps, bwdZ, 1e9), "G neuron-steps/s", be.threads);
    record(`  zero reset / subtract backward${tag}`, `lif_bwd_zero_ratio${sfx}`, ratio(per(steps, bwdZ, 1e9), per(steps, bwd, 1e9)), "×", 1);
    record(`  +dθ / subtract backward${tag}`, `lif_bwd_dtheta_ratio${sfx}`, ratio(per(steps, bwdT, 1e9), per(steps, bwd, 1e9)), "×", 1);
    be.free(dTheta);
  }
  record(`LIF EXODUS fwd+bwd${tag} T=${T} N=${N}`, `lif_fwd_bwd_gsteps${sfx}`,
    per(steps, { wall: fwd.wall + bwd.wall, cpu: fwd.cpu + bwd.cpu }, 1e9), "G neuron-steps/s", be.threads);
  for (const b of [x, v0, alpha, theta, sub, spikes, v, gS, dx, dv0, dAlpha]) be.free(b);
}
if (!lifOnly && !sparseOnly && !convOnly) {
  // ref on a slice of the same problem, for the ratio
  const T = 500, P = 4096, Nr = 4096;
  const rb = new RefBackend();
  const rx = filled(rb, T * Nr, () => rng.uniform(-0.2, 0.6)), rv0 = filled(rb, Nr, () => 0);
  const ra = filled(rb, P, () => 0.9), rt = filled(rb, P, () => 1), rs = filled(rb, P, () => 1);
  const rsp = rb.alloc("float32", T * Nr), rv = rb.alloc("float32", T * Nr);
  const rf = time(() => rb.kernels.lifForward!({ x: rx, v0: rv0, alpha: ra, theta: rt, sub: rs, spikes: rsp, v: rv },
    { T, N: Nr, P, maxSpikes: 0, hasMinV: false }), 1);
  record(`lifForward ref T=${T} N=${Nr}`, "lif_fwd_gsteps_ref", per(T * Nr, rf, 1e9), "G neuron-steps/s");
}

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`exodus-snn kernel bench (${quick ? "quick" : "full"}; best of runs; wall clock, cpu-time in parentheses)`);
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
console.log(JSON.stringify(json));
