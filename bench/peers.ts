/**
 * `npm run bench:peers` (issue 7): exodus-snn (EXODUS, wasm) against a plain PyTorch BPTT loop of the same
 * networks, same inputs (written to a temp file the Python side reads), 2 threads each, one training step
 * (fwd+bwd), the median of 3 interleaved rounds × 3 runs. Needs Debian's python3-torch (+ libopenblas0-pthread) for the PyTorch side;
 * without it our numbers are still printed. The last stdout line is one JSON object with every number.
 *
 * `--paper` (issue 12): the EXODUS paper's networks instead (bench/peers-paper.ts: the SHD MLP and the DVS
 * Gesture conv net from our presets) against their PyTorch twins (bench/torch_paper.py), a full training step
 * each (forward, loss, backward, Adam step), both sides from the same initial weights.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getBackend, setBackendSync } from "../src/kernels/registry.js";
import { keep, tidy } from "../src/tensor/memory.js";
import { linear, matmul, randn, reshape, sum, tensor } from "../src/tensor/ops/index.js";
import { backward } from "../src/tensor/grad.js";
import { LIF } from "../src/neurons/lif.js";
import { SingleSpike } from "../src/neurons/spikes.js";
import type { Tensor } from "../src/tensor/tensor.js";
import { Rng } from "../src/util/rng.js";
import { median } from "../src/util/stats.js";
import { PAPER_CASES, paperInput, paperParams, paperStep, torchPaperArgs, type PaperCase } from "./peers-paper.js";

const quick = process.argv.includes("--quick");
const paper = process.argv.includes("--paper");
/** `--profile`: our side only, with the time of each kernel (per step, timed steps only) under each case. */
const profile = process.argv.includes("--profile");
/** Our kernel threads (EXODUS_THREADS, default 2 — the thread count the PyTorch side gets). */
const THREADS = Number(process.env.EXODUS_THREADS ?? 2);
/**
 * Rounds × reps samples per side and case. The rounds interleave (ours, PyTorch tuned, PyTorch stock, next
 * case, …, then again), so a burst of load from the VM's neighbours hits both sides rather than one.
 */
const ROUNDS = quick || profile ? 1 : 3;
const REPS = 3;
/**
 * Untimed steps per process before the REPS timed ones, the same on both sides. Training runs thousands of
 * steps, so the steady state is what counts; step 1 (compilation, memory growth) is reported separately and
 * step 2 still ran ~10–20 % slow on both sides (caches, allocator and JIT settling).
 */
const WARMUP = 2;
const T = 500;
const B = 16;
const PY = process.env.EXODUS_PYTHON ?? "/usr/bin/python3";
const here = fileURLToPath(new URL(".", import.meta.url));

interface MicroCase { kind?: undefined; name: string; N: number; layers: ("linear" | "lif" | "gemm")[]; input: "dense" | "spikes"; density?: number }
type Case = MicroCase | PaperCase;
const microCases: MicroCase[] = [
  { name: "LIF only", N: 4096, layers: ["lif"], input: "dense" },
  { name: "Linear+LIF dense", N: 512, layers: ["linear", "lif"], input: "dense" },
  { name: "Linear+LIF dense", N: 1024, layers: ["linear", "lif"], input: "dense" },
  ...[512, 1024].flatMap((N) => [0.05, 0.2].map((d): MicroCase => ({ name: `2×(Linear+LIF) spikes ${d * 100}%`, N, layers: ["linear", "lif", "linear", "lif"] as MicroCase["layers"], input: "spikes" as const, density: d }))),
  // Context, not a target: the dense 8000×1024·1024×1024 product alone (forward), the GEMM both dense
  // Linear+LIF N=1024 steps are made of — what each side's matrix multiply reaches on this CPU.
  { name: "context: GEMM 8000×1024² fwd", N: 1024, layers: ["gemm"], input: "dense" },
];
const cases: Case[] = paper ? PAPER_CASES : microCases;

function makeInput(c: Case, rng: Rng): Float32Array {
  if (c.kind === "paper") return paperInput(c, rng);
  const n = T * B * c.N;
  const x = new Float32Array(n);
  if (c.input === "spikes") for (let i = 0; i < n; i++) x[i] = rng.random() < c.density! ? 1 : 0;
  else for (let i = 0; i < n; i++) x[i] = rng.uniform(0, c.layers[0] === "lif" ? 0.25 : 1);
  return x;
}

interface OursResult { times: number[]; peakMB: number; firstMs: number; kernels?: Record<string, number>; loss0?: number }

/** Wraps the backend's kernels with timers that add into `into` while `on()` holds (the --profile mode). */
function timeKernels(kernels: Record<string, unknown>, on: () => boolean, into: Record<string, number>): void {
  for (const [name, fn] of Object.entries(kernels)) {
    if (typeof fn !== "function") continue;
    kernels[name] = (io: unknown, at: Record<string, unknown>) => {
      if (!on()) return fn(io, at);
      const t0 = performance.now();
      fn(io, at);
      const key = name === "gemm"
        ? `gemm ${at.m}×${at.n}×${at.k} ${at.transA ? "T" : "N"}${at.transB ? "T" : "N"}${at.aSparse ? " spike-hint" : ""}`
        : name;
      into[key] = (into[key] ?? 0) + performance.now() - t0;
    };
  }
}

function ours(c: Case, x: Float32Array): OursResult {
  process.env.EXODUS_THREADS = String(THREADS);
  setBackendSync("wasm");
  const be = getBackend("wasm");
  const rng = new Rng(3);
  const ws: Tensor[] = [];
  const lifs: LIF[] = [];
  const width = c.kind === "paper" ? 0 : c.N;
  for (const l of c.kind === "paper" ? [] : c.layers) {
    if (l === "linear") {
      const w = randn([width, width], rng, 1 / Math.sqrt(3 * width));
      w.requiresGrad = true;
      ws.push(w);
    } else if (l === "lif") {
      // trainTau: false — the PyTorch loop's α is a constant, so neither side computes an α-gradient
      lifs.push(new LIF({ tauMem: 20, normInput: false, spikeFn: SingleSpike, gradient: "exodus", trainTau: false }));
    }
  }
  const times: number[] = [];
  let firstMs = 0;
  let peak = 0;
  let timed = false;
  const kernels: Record<string, number> = {};
  if (profile) timeKernels(be.kernels as Record<string, unknown>, () => timed, kernels);
  /** WARMUP + REPS steps, each in its own step scope: times the timed ones and the first, tracks peak memory. */
  const runSteps = (step: () => void, after: () => void = () => {}): OursResult => {
    for (let r = 0; r < WARMUP + REPS; r++) {
      tidy(() => {
        timed = r >= WARMUP;
        const t0 = performance.now();
        step();
        const dt = performance.now() - t0;
        if (r >= WARMUP) times.push(dt);
        else if (r === 0) firstMs = dt;
        peak = Math.max(peak, be.memoryStats().bytesReserved);
        after();
      });
    }
    const perStep = profile ? Object.fromEntries(Object.entries(kernels).map(([k, v]) => [k, v / REPS])) : undefined;
    return { times, peakMB: peak / 2 ** 20, firstMs, kernels: perStep };
  };
  if (c.kind === "paper") {
    const { step, loss0 } = paperStep(c, x);
    return { ...runSteps(step), loss0 };
  }
  const N = c.N;
  if (c.layers[0] === "gemm") {
    const a = keep(tensor(x, [T * B, N]));
    const w = keep(randn([N, N], rng));
    return runSteps(() => void matmul(a, w));
  }
  // The input is created once, outside the timed region, as the PyTorch side does.
  const input = keep(tensor(x, [T, B, N], { requiresGrad: c.layers[0] === "lif" }));
  return runSteps(() => {
    let h = input;
    let wi = 0;
    let li = 0;
    let fromSpikes = c.input === "spikes";
    for (const l of c.layers) {
      if (l === "linear") {
        h = reshape(linear(reshape(h, [T * B, N]), ws[wi++]!, null, { aSparse: fromSpikes }), [T, B, N]);
      } else {
        lifs[li]!.resetStates();
        h = lifs[li++]!.forward(h);
        fromSpikes = true;
      }
    }
    backward(sum(h));
  }, () => {
    for (const w of [...ws, input]) {
      w.grad?.dispose();
      w.grad = null;
    }
  });
}

/**
 * One PyTorch run. tuned: glibc would otherwise mmap/munmap every >128 KiB tensor (page faults are a large
 * part of PyTorch's step); tuned gives PyTorch the allocator behaviour of a tuned install and is the baseline
 * the speedups are judged on. The untuned run is what `python3 script.py` gets on a stock Debian.
 */
function torchSide(c: Case, file: string, tuned: boolean): { times: number[]; peak_rss_mb: number; first_ms: number; loss0?: number } | { error: string } {
  const malloc = tuned ? { MALLOC_MMAP_THRESHOLD_: "4294967296", MALLOC_TRIM_THRESHOLD_: "4294967296" } : {};
  const args = c.kind === "paper"
    ? [join(here, "torch_paper.py"), torchPaperArgs(c, paperParamList[cases.indexOf(c)]!, REPS, WARMUP), file, `${file}.params`, "2"]
    : [join(here, "torch_loop.py"), JSON.stringify({ T, B, N: c.N, tau: 20, layers: c.layers, reps: REPS, warmup: WARMUP }), file, "2"];
  const r = spawnSync(PY, args, {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "2", ...malloc },
  });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || "failed").split("\n").filter(Boolean).slice(-1)[0] ?? "failed" };
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

// One case of ours in this process (so peak memory is per case): `--case i --input FILE`.
const ci = process.argv.indexOf("--case");
if (ci >= 0) {
  const c = cases[Number(process.argv[ci + 1])]!;
  const file = process.argv[process.argv.indexOf("--input") + 1]!;
  const buf = readFileSync(file);
  const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const o = ours(c, x);
  console.log(JSON.stringify({ ...o, rssMB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

function oursInChild(i: number, file: string): OursResult & { rssMB: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--case", String(i), "--input", file,
    ...(quick ? ["--quick"] : []), ...(profile ? ["--profile"] : []), ...(paper ? ["--paper"] : [])], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`our side failed on case ${i}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const dir = mkdtempSync(join(tmpdir(), "peers-"));
const rng = new Rng(11);
const out: Record<string, number | string> = {};
let torchMissing: string | null = null;
if (paper) {
  console.log(`bench:peers --paper  the EXODUS paper's networks, one training step (forward, loss, backward, Adam step), median of ${ROUNDS}×${REPS} (interleaved rounds, ${WARMUP} untimed steps first); ours: presets on EXODUS, wasm, ${THREADS} threads; PyTorch: BPTT twin from the same weights, 2 threads`);
  for (const c of PAPER_CASES) console.log(`  ${c.name}: T=${c.T} B=${c.B} input [${c.inputShape}] spikes at ${(100 * c.density).toFixed(2)} % of cells, ${c.classes} classes`);
  console.log("torch ms: glibc malloc tuned (no mmap per tensor; the baseline of 'speedup'); stock malloc not run in --paper mode");
} else {
  console.log(`bench:peers  T=${T} B=${B}, one training step fwd+bwd, median of ${ROUNDS}×${REPS} (interleaved rounds, ${WARMUP} untimed steps first); ours: EXODUS on wasm, ${THREADS} threads; PyTorch: BPTT loop, 2 threads`);
  console.log("torch ms: glibc malloc tuned (no mmap per tensor; the baseline of 'speedup'); stock: default malloc");
}
/** first: the first step of each fresh process (compilation, memory growth), not part of the medians. */
interface Acc {
  ours: number[]; torch: number[]; stock: number[]; oursFirst: number[]; torchFirst: number[]; oursRss: number; oursWasm: number; torchRss: number;
  kernels?: Record<string, number>;
  oursLoss0?: number; torchLoss0?: number;
}
const acc: Acc[] = cases.map(() => ({ ours: [], torch: [], stock: [], oursFirst: [], torchFirst: [], oursRss: 0, oursWasm: 0, torchRss: 0 }));
/** Paper cases: the initial parameters' names and shapes (the values are in `${input file}.params`). */
const paperParamList: ([string, number[]][] | null)[] = [];
const files = cases.map((c, i) => {
  const x = makeInput(c, rng);
  const file = join(dir, `x${i}.f32`);
  writeFileSync(file, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  if (c.kind === "paper") {
    setBackendSync("wasm");
    const { params, flat } = paperParams(c);
    writeFileSync(`${file}.params`, Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength));
    paperParamList[i] = params;
  } else paperParamList[i] = null;
  return file;
});
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, c] of cases.entries()) {
    const a = acc[i]!;
    const o = oursInChild(i, files[i]!);
    a.ours.push(...o.times);
    a.oursFirst.push(o.firstMs);
    a.oursRss = Math.max(a.oursRss, o.rssMB);
    a.oursWasm = Math.max(a.oursWasm, o.peakMB);
    a.kernels = o.kernels;
    a.oursLoss0 = o.loss0;
    if (torchMissing || profile) continue;
    const t = torchSide(c, files[i]!, true);
    if ("error" in t) {
      torchMissing = t.error;
      continue;
    }
    a.torch.push(...t.times);
    a.torchFirst.push(t.first_ms);
    a.torchRss = Math.max(a.torchRss, t.peak_rss_mb);
    a.torchLoss0 = t.loss0;
    if (c.kind === "paper") continue;
    const st = torchSide(c, files[i]!, false);
    if (!("error" in st)) a.stock.push(...st.times);
  }
}
console.log(`${"case".padEnd(30)}${"N".padStart(6)}${"ours ms".padStart(10)}${"torch ms".padStart(10)}${"speedup".padStart(9)}${"stock ms".padStart(10)}${"vs stock".padStart(10)}${"ours RSS MB".padStart(13)}${"torch RSS MB".padStart(14)}${"1st step ours/torch ms".padStart(24)}`);
let gemmLine = "";
const sizeOf = (c: Case) => (c.kind === "paper" ? "—" : String(c.N));
const lossLines: string[] = [];
for (const [i, c] of cases.entries()) {
  const a = acc[i]!;
  const key = c.kind === "paper" ? c.key : `${c.name.replace(/[^A-Za-z0-9]+/g, "_")}_N${c.N}`;
  const oMs = median(a.ours);
  out[`${key}_ours_ms`] = Number(oMs.toFixed(2));
  // the fastest step too: on a VM shared with other jobs it is the sample least hit by their bursts
  out[`${key}_ours_min_ms`] = Number(Math.min(...a.ours).toFixed(2));
  out[`${key}_ours_first_step_ms`] = Number(median(a.oursFirst).toFixed(1));
  out[`${key}_ours_wasm_mb`] = Number(a.oursWasm.toFixed(1));
  out[`${key}_ours_peak_rss_mb`] = Number(a.oursRss.toFixed(1));
  if (a.oursLoss0 !== undefined) out[`${key}_ours_loss0`] = a.oursLoss0;
  if (a.torchLoss0 !== undefined) out[`${key}_torch_loss0`] = a.torchLoss0;
  if (a.oursLoss0 !== undefined) lossLines.push(`${c.name}: loss of one forward pass, dropout off, ours ${a.oursLoss0.toFixed(6)}, PyTorch ${a.torchLoss0?.toFixed(6) ?? "—"} (the same network from the same weights: these must agree)`);
  const row = `${c.name.padEnd(30)}${sizeOf(c).padStart(6)}${oMs.toFixed(1).padStart(10)}`;
  if (a.torch.length === 0) {
    console.log(`${row}${"—".padStart(10)}${"—".padStart(9)}${"—".padStart(10)}${"—".padStart(10)}${a.oursRss.toFixed(0).padStart(13)}${"—".padStart(14)}${median(a.oursFirst).toFixed(0).padStart(24)}`);
    continue;
  }
  const tMs = median(a.torch);
  out[`${key}_torch_ms`] = Number(tMs.toFixed(2));
  out[`${key}_torch_min_ms`] = Number(Math.min(...a.torch).toFixed(2));
  out[`${key}_torch_first_step_ms`] = Number(median(a.torchFirst).toFixed(1));
  out[`${key}_torch_peak_rss_mb`] = Number(a.torchRss.toFixed(1));
  out[`${key}_speedup`] = Number((tMs / oMs).toFixed(3));
  const sMs = a.stock.length ? median(a.stock) : NaN;
  if (a.stock.length) {
    out[`${key}_torch_stock_ms`] = Number(sMs.toFixed(2));
    out[`${key}_speedup_vs_stock`] = Number((sMs / oMs).toFixed(3));
  }
  console.log(`${row}${tMs.toFixed(1).padStart(10)}${((tMs / oMs).toFixed(2) + "×").padStart(9)}${(a.stock.length ? sMs.toFixed(1) : "—").padStart(10)}${(a.stock.length ? (sMs / oMs).toFixed(2) + "×" : "—").padStart(10)}${a.oursRss.toFixed(0).padStart(13)}${a.torchRss.toFixed(0).padStart(14)}${`${median(a.oursFirst).toFixed(0)}/${median(a.torchFirst).toFixed(0)}`.padStart(24)}`);
  if (c.kind !== "paper" && c.layers[0] === "gemm") {
    const flop = 2 * T * B * c.N * c.N;
    out.gemm_gflops_ours = Number((flop / oMs / 1e6).toFixed(1));
    out.gemm_gflops_torch = Number((flop / tMs / 1e6).toFixed(1));
    gemmLine = `context: GEMM ${T * B}×${c.N}·${c.N}×${c.N} reaches ${out.gemm_gflops_ours} GFLOP/s here (wasm SIMD, 128-bit) and ` +
      `${out.gemm_gflops_torch} GFLOP/s in PyTorch (native BLAS); dense Linear+LIF steps are mostly this product.`;
  }
}
if (gemmLine) console.log(gemmLine);
for (const l of lossLines) console.log(l);
if (profile) {
  for (const [i, c] of cases.entries()) {
    const k = Object.entries(acc[i]!.kernels ?? {}).sort((x, y) => y[1] - x[1]);
    const total = k.reduce((t, [, v]) => t + v, 0);
    console.log(`\n${c.name}${c.kind === "paper" ? "" : ` N=${c.N}`}: ${median(acc[i]!.ours).toFixed(1)} ms a step, ${total.toFixed(1)} ms in kernels`);
    for (const [name, ms] of k.filter(([, v]) => v >= 0.05)) console.log(`  ${name.padEnd(36)}${ms.toFixed(2).padStart(9)} ms${(100 * ms / total).toFixed(1).padStart(7)} %`);
  }
}
rmSync(dir, { recursive: true, force: true });
if (torchMissing) {
  console.log(`PyTorch side unavailable (${torchMissing}). Install it with: sudo apt-get install python3-torch libopenblas0-pthread (Debian), or set EXODUS_PYTHON to a python with torch.`);
  out.torch_error = torchMissing;
}
console.log(JSON.stringify(out));
