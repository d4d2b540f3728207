/**
 * `npm run bench:peers` (issue 7): exodus-snn (EXODUS, wasm) against a plain PyTorch BPTT loop of the same
 * networks, same inputs (written to a temp file the Python side reads), 2 threads each, median of 7, one
 * training step (fwd+bwd). Needs Debian's python3-torch (+ libopenblas0-pthread) for the PyTorch side;
 * without it our numbers are still printed. The last stdout line is one JSON object with every number.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import "../src/kernels/wasm/backend.js";
import { getBackend, setBackendSync } from "../src/kernels/registry.js";
import { keep, tidy } from "../src/tensor/memory.js";
import { linear, randn, reshape, sum, tensor } from "../src/tensor/ops/index.js";
import { backward } from "../src/tensor/grad.js";
import { LIF } from "../src/neurons/lif.js";
import { SingleSpike } from "../src/neurons/spikes.js";
import type { Tensor } from "../src/tensor/tensor.js";
import { Rng } from "../src/util/rng.js";

const quick = process.argv.includes("--quick");
/** Our kernel threads (EXODUS_THREADS, default 2 — the thread count the PyTorch side gets). */
const THREADS = Number(process.env.EXODUS_THREADS ?? 2);
const REPS = quick ? 3 : 7;
const T = 500;
const B = 16;
const PY = process.env.EXODUS_PYTHON ?? "/usr/bin/python3";
const here = fileURLToPath(new URL(".", import.meta.url));

interface Case { name: string; N: number; layers: ("linear" | "lif")[]; input: "dense" | "spikes"; density?: number }
const cases: Case[] = [
  { name: "LIF only", N: 4096, layers: ["lif"], input: "dense" },
  { name: "Linear+LIF dense", N: 512, layers: ["linear", "lif"], input: "dense" },
  { name: "Linear+LIF dense", N: 1024, layers: ["linear", "lif"], input: "dense" },
  ...[512, 1024].flatMap((N) => [0.05, 0.2].map((d) => ({ name: `2×(Linear+LIF) spikes ${d * 100}%`, N, layers: ["linear", "lif", "linear", "lif"] as ("linear" | "lif")[], input: "spikes" as const, density: d }))),
];

function makeInput(c: Case, rng: Rng): Float32Array {
  const n = T * B * c.N;
  const x = new Float32Array(n);
  if (c.input === "spikes") for (let i = 0; i < n; i++) x[i] = rng.random() < c.density! ? 1 : 0;
  else for (let i = 0; i < n; i++) x[i] = rng.uniform(0, c.layers[0] === "lif" ? 0.25 : 1);
  return x;
}

function ours(c: Case, x: Float32Array): { ms: number; peakMB: number } {
  process.env.EXODUS_THREADS = String(THREADS);
  setBackendSync("wasm");
  const be = getBackend("wasm");
  const rng = new Rng(3);
  const N = c.N;
  const ws: Tensor[] = [];
  const lifs: LIF[] = [];
  for (const l of c.layers) {
    if (l === "linear") {
      const w = randn([N, N], rng, 1 / Math.sqrt(3 * N));
      w.requiresGrad = true;
      ws.push(w);
    } else {
      // trainTau: false — the PyTorch loop's α is a constant, so neither side computes an α-gradient
      lifs.push(new LIF({ tauMem: 20, normInput: false, spikeFn: SingleSpike, gradient: "exodus", trainTau: false }));
    }
  }
  const times: number[] = [];
  let peak = 0;
  // The input is created once, outside the timed region, as the PyTorch side does.
  const input = keep(tensor(x, [T, B, N], { requiresGrad: c.layers[0] === "lif" }));
  for (let r = 0; r < REPS + 1; r++) {
    tidy(() => {
      const t0 = performance.now();
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
      const dt = performance.now() - t0;
      if (r > 0) times.push(dt);
      peak = Math.max(peak, be.memoryStats().bytesReserved);
      for (const w of [...ws, input]) {
        w.grad?.dispose();
        w.grad = null;
      }
    });
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, peakMB: peak / 2 ** 20 };
}

/**
 * One PyTorch run. tuned: glibc would otherwise mmap/munmap every >128 KiB tensor (page faults are a large
 * part of PyTorch's step); tuned gives PyTorch the allocator behaviour of a tuned install and is the baseline
 * the speedups are judged on. The untuned run is what `python3 script.py` gets on a stock Debian.
 */
function torchSide(c: Case, file: string, tuned: boolean): { ms: number; peak_rss_mb: number } | { error: string } {
  const malloc = tuned ? { MALLOC_MMAP_THRESHOLD_: "4294967296", MALLOC_TRIM_THRESHOLD_: "4294967296" } : {};
  const r = spawnSync(PY, [join(here, "torch_loop.py"), JSON.stringify({ T, B, N: c.N, tau: 20, layers: c.layers, reps: REPS }), file, "2"], {
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

function oursInChild(i: number, file: string): { ms: number; peakMB: number; rssMB: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--case", String(i), "--input", file, ...(quick ? ["--quick"] : [])], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`our side failed on case ${i}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const dir = mkdtempSync(join(tmpdir(), "peers-"));
const rng = new Rng(11);
const out: Record<string, number | string> = {};
let torchMissing: string | null = null;
console.log(`bench:peers  T=${T} B=${B}, one training step fwd+bwd, median of ${REPS}; ours: EXODUS on wasm, ${THREADS} threads; PyTorch: BPTT loop, 2 threads`);
console.log("torch ms: glibc malloc tuned (no mmap per tensor; the baseline of 'speedup'); stock: default malloc");
console.log(`${"case".padEnd(30)}${"N".padStart(6)}${"ours ms".padStart(10)}${"torch ms".padStart(10)}${"speedup".padStart(9)}${"stock ms".padStart(10)}${"vs stock".padStart(10)}${"ours RSS MB".padStart(13)}${"torch RSS MB".padStart(14)}`);
for (const [i, c] of cases.entries()) {
  const x = makeInput(c, rng);
  const file = join(dir, "x.f32");
  writeFileSync(file, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  const o = oursInChild(i, file);
  const t: { ms: number; peak_rss_mb: number } | { error: string } = torchMissing ? { error: torchMissing } : torchSide(c, file, true);
  const st = "error" in t ? t : torchSide(c, file, false);
  const key = `${c.name.replace(/[^A-Za-z0-9]+/g, "_")}_N${c.N}`;
  out[`${key}_ours_ms`] = Number(o.ms.toFixed(2));
  out[`${key}_ours_wasm_mb`] = Number(o.peakMB.toFixed(1));
  out[`${key}_ours_peak_rss_mb`] = Number(o.rssMB.toFixed(1));
  if ("error" in t) {
    torchMissing = t.error;
    console.log(`${c.name.padEnd(30)}${String(c.N).padStart(6)}${o.ms.toFixed(1).padStart(10)}${"—".padStart(10)}${"—".padStart(9)}${o.rssMB.toFixed(0).padStart(13)}`);
  } else {
    const sp = t.ms / o.ms;
    out[`${key}_torch_ms`] = Number(t.ms.toFixed(2));
    out[`${key}_torch_peak_rss_mb`] = Number(t.peak_rss_mb.toFixed(1));
    out[`${key}_speedup`] = Number(sp.toFixed(3));
    const stMs = "error" in st ? NaN : st.ms;
    if (!("error" in st)) {
      out[`${key}_torch_stock_ms`] = Number(st.ms.toFixed(2));
      out[`${key}_speedup_vs_stock`] = Number((st.ms / o.ms).toFixed(3));
    }
    console.log(`${c.name.padEnd(30)}${String(c.N).padStart(6)}${o.ms.toFixed(1).padStart(10)}${t.ms.toFixed(1).padStart(10)}${(sp.toFixed(2) + "×").padStart(9)}${stMs.toFixed(1).padStart(10)}${((stMs / o.ms).toFixed(2) + "×").padStart(10)}${o.rssMB.toFixed(0).padStart(13)}${t.peak_rss_mb.toFixed(0).padStart(14)}`);
  }
}
rmSync(dir, { recursive: true, force: true });
if (torchMissing) {
  console.log(`PyTorch side unavailable (${torchMissing}). Install it with: sudo apt-get install python3-torch libopenblas0-pthread (Debian), or set EXODUS_PYTHON to a python with torch.`);
  out.torch_error = torchMissing;
}
console.log(JSON.stringify(out));
