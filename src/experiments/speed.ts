/**
 * `exodus-snn bench`: side-by-side forward / backward timings of EXODUS, SLAYER and BPTT in one process
 * on (a) the Open Neuromorphic Linear(N→N)+LIF configuration, (b) the paper's SHD MLP and (c) a scaled
 * version of the paper's DVS Gesture conv net. Every engine gets identical weights and input; medians of
 * repeats after one warm-up, except where a case is too slow (marked `reps: 1, warm: false`).
 */
import { cpus } from "node:os";
import { setBackendSync, currentBackend } from "../kernels/registry.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import { backward } from "../tensor/grad.js";
import { tidy } from "../tensor/memory.js";
import { sum, tensor } from "../tensor/ops/index.js";
import type { ModelConfig } from "../train/models/presets.js";
import { Rng } from "../util/rng.js";
import { median } from "../util/stats.js";
import { buildWithWeights, DEFAULT_NEURON, disposeModel, dvsConvConfig, initWeights, mlpConfig, neuronsPerStep, type NeuronConfig } from "./models.js";
import { barChart } from "../report/panel-charts.js";

export const BENCH_ENGINES: GradientEngine[] = ["exodus", "slayer", "bptt"];

export interface EngineTiming {
  fwdMs: number;
  bwdMs: number;
  totalMs: number;
  /** Repeats behind the median; 1 means a single cold measurement. */
  reps: number;
  warm: boolean;
  speedupVsBptt: { fwd: number; bwd: number; total: number } | null;
  /** Largest backend bytesInUse sampled after forward and after backward (activations + graph + grads). */
  peakBackendMB: number;
  /** Backend bytes held between forward and backward: what the engine saves for the backward pass. */
  savedForBackwardMB: number;
  rssMB: number;
  neuronStepsPerS: number;
}

export interface BenchCase {
  name: string;
  description: string;
  T: number;
  B: number;
  neuronSteps: number;
  engines: Partial<Record<GradientEngine, EngineTiming>>;
  skipped?: Partial<Record<GradientEngine, string>>;
}

export interface BenchResult {
  meta: { node: string; date: string; backend: string; cpus: number; quick: boolean; note: string };
  cases: BenchCase[];
  seconds: number;
}

interface CaseDef {
  name: string;
  description: string;
  model: ModelConfig;
  inShape: number[];
  T: number;
  B: number;
  /** Bernoulli rate of input spikes; −1 = randn, −2 = uniform(0, 0.5) currents. */
  inputRate: number;
  gain: number;
  /** [repeats, warm-up round?]; the largest case is measured once, cold. */
  reps: [number, boolean];
  /** No synaptic layer: the input (requiring grad) goes straight into one LIF layer, isolating the neuron engines. */
  lifOnly?: boolean;
  /** Skip an engine (documented reason) when it cannot finish in a sensible time on this machine. */
  skip?: (e: GradientEngine) => string | null;
}

const MB = 1024 * 1024;

/**
 * Times every engine on one case with the repeats interleaved (rep r runs exodus, slayer, bptt in turn),
 * so slow drifts in machine load hit all engines alike; the first round is a warm-up unless the case is
 * measured cold once.
 */
function timeCase(def: CaseDef, engines: GradientEngine[], xData: Float32Array): Partial<Record<GradientEngine, EngineTiming>> {
  const ws = initWeights(def.model, 11, def.gain);
  const be = currentBackend();
  const [reps, warm] = def.reps;
  const st = engines.map((engine) => ({ engine, fwd: [] as number[], bwd: [] as number[], peak: 0, saved: 0, steps: 0 }));
  for (let r = 0; r < reps + (warm ? 1 : 0); r++) {
    for (const e of st) {
      // A fresh net per run (same weights): only one engine's buffers are alive at a time, which keeps the
      // wasm arena (32-bit, pools never shrink) from running out on the N=4096 cases.
      const net = buildWithWeights(def.model, e.engine, ws);
      // LIF-only: the one layer's neuron, fed the raw input (the Linear weights are built but unused)
      const lifOnly = def.lifOnly ? net.at(1) : null;
      e.steps = neuronsPerStep(def.model) * def.T * def.B;
      const before = be.memoryStats().bytesInUse;
      tidy(() => {
        const x = tensor(xData, def.inShape, { requiresGrad: !!lifOnly });
        const t0 = performance.now();
        const loss = sum(lifOnly ? lifOnly.forward(x) : net.forward(x)); // the peers' benchmark loss: sum of the output
        const t1 = performance.now();
        const afterF = be.memoryStats().bytesInUse;
        backward(loss);
        const t2 = performance.now();
        const afterB = be.memoryStats().bytesInUse;
        e.peak = Math.max(e.peak, afterF - before, afterB - before);
        e.saved = Math.max(e.saved, afterF - before);
        if (r > 0 || !warm) {
          e.fwd.push(t1 - t0);
          e.bwd.push(t2 - t1);
        }
      });
      net.zeroGrad();
      disposeModel(net);
    }
  }
  const out: Partial<Record<GradientEngine, EngineTiming>> = {};
  for (const e of st) {
    const f = median(e.fwd);
    const b = median(e.bwd);
    out[e.engine] = {
      fwdMs: f,
      bwdMs: b,
      totalMs: f + b,
      reps,
      warm,
      speedupVsBptt: null,
      peakBackendMB: e.peak / MB,
      savedForBackwardMB: e.saved / MB,
      rssMB: process.memoryUsage().rss / MB,
      neuronStepsPerS: e.steps / ((f + b) / 1000),
    };
  }
  return out;
}

function caseDefs(quick: boolean): CaseDef[] {
  const lif: NeuronConfig = { ...DEFAULT_NEURON, tauMem: 10, singleSpike: false }; // ON benchmark: LIF(tau_mem=10), MultiSpike default
  const stack = (sizes: number[], n: NeuronConfig, readout: boolean) => mlpConfig(sizes, n, { readout, loss: { name: "ce-count" } });
  const all = (n: number): [number, boolean] => [n, true];
  const defs: CaseDef[] = [];
  const Ns = quick ? [256, 512] : [512, 1024, 4096];
  const T = quick ? 100 : 500;
  for (const N of Ns) {
    defs.push({
      name: `linear${N}+lif`,
      description: `Linear(${N}→${N}, no bias)+LIF(τ=10), B=16, T=${T}, input randn, loss = Σ output (Open Neuromorphic config)`,
      model: stack([N, N], lif, false),
      inShape: [T, 16, N],
      T,
      B: 16,
      inputRate: -1,
      gain: 1,
      // N=4096 is ~270 GFLOP of gemm per forward: one cold measurement per engine
      reps: N >= 4096 ? [1, false] : N >= 1024 ? all(3) : all(quick ? 2 : 5),
    });
  }
  const lifN = quick ? 1024 : 4096;
  defs.push({
    name: `lif${lifN}-only`,
    description: `LIF(τ=10) alone on input [T=${T}, B=16, ${lifN}] (uniform 0–0.5, requires grad), loss = Σ output: the neuron engines without the gemm`,
    model: stack([lifN, lifN], lif, false),
    inShape: [T, 16, lifN],
    T,
    B: 16,
    inputRate: -2,
    gain: 1,
    lifOnly: true,
    reps: all(5),
  });
  const shdB = quick ? 32 : 128;
  const shdT = quick ? 100 : 250;
  defs.push({
    name: "shd-mlp",
    description: `SHD net 100→128→128→128 LIF→20 Linear readout, T=${shdT}, B=${shdB}, Bernoulli(0.05) input, IAF-like τ=1e5, SingleSpike, loss = Σ readout`,
    model: stack([100, 128, 128, 128, 20], { ...DEFAULT_NEURON, tauMem: 1e5 }, true),
    inShape: [shdT, shdB, 100],
    T: shdT,
    B: shdB,
    inputRate: 0.05,
    gain: 3,
    reps: all(quick ? 2 : 3),
  });
  const size = quick ? 16 : 32;
  const dT = quick ? 50 : 100;
  const dB = quick ? 2 : 4;
  defs.push({
    name: "dvs-conv",
    description: `DVS Gesture conv net scaled: ${size}×${size}×2 input (paper 64×64), 4 × [Conv3×3(no bias) → SumPool2 → IAF-like LIF], channels 4·2^i (paper base 2, 4 layers in the timing runs), Linear→11 LIF; T=${dT} (paper 300), B=${dB} (paper 16), Bernoulli(0.05) events`,
    model: dvsConvConfig({ size, cIn: 2, base: 4, layers: 4, classes: 11 }, { ...DEFAULT_NEURON, tauMem: 1e5, threshold: 0.25 }),
    inShape: [dT, dB, 2, size, size],
    T: dT,
    B: dB,
    inputRate: 0.05,
    gain: 3,
    reps: all(3),
  });
  // the 270-GFLOP, 2.5-GB N=4096 case last: the wasm arena only grows, so small cases go first
  const big = (d: CaseDef) => d.name === "linear4096+lif";
  return [...defs.filter((d) => !big(d)), ...defs.filter(big)];
}

function input(def: CaseDef): Float32Array {
  const rng = new Rng(3);
  const n = def.inShape.reduce((a, b) => a * b, 1);
  if (def.inputRate === -2) return Float32Array.from({ length: n }, () => rng.uniform(0, 0.5));
  return def.inputRate < 0
    ? Float32Array.from({ length: n }, () => rng.normal())
    : Float32Array.from({ length: n }, () => (rng.random() < def.inputRate ? 1 : 0));
}

export function runBench(opts: { quick?: boolean; only?: string[]; engines?: GradientEngine[]; log?: (s: string) => void } = {}): BenchResult {
  const t0 = performance.now();
  const quick = !!opts.quick;
  const log = opts.log ?? (() => {});
  setBackendSync("wasm");
  const engines = opts.engines ?? BENCH_ENGINES;
  const cases: BenchCase[] = [];
  for (const def of caseDefs(quick)) {
    if (opts.only?.length && !opts.only.some((o) => def.name.includes(o))) continue;
    const x = input(def);
    const c: BenchCase = { name: def.name, description: def.description, T: def.T, B: def.B, neuronSteps: neuronsPerStep(def.model) * def.T * def.B, engines: {} };
    log(`\n${def.name}: ${def.description}`);
    const run = engines.filter((e) => {
      const why = def.skip?.(e);
      if (why) {
        (c.skipped ??= {})[e] = why;
        log(`  ${e.padEnd(7)} skipped: ${why}`);
      }
      return !why;
    });
    c.engines = timeCase(def, run, x);
    for (const e of run) {
      const t = c.engines[e]!;
      log(
        `  ${e.padEnd(7)} fwd ${t.fwdMs.toFixed(1).padStart(9)} ms  bwd ${t.bwdMs.toFixed(1).padStart(9)} ms  total ${t.totalMs.toFixed(1).padStart(9)} ms  ` +
          `${(t.neuronStepsPerS / 1e6).toFixed(1).padStart(7)} M neuron-steps/s  saved-for-bwd ${t.savedForBackwardMB.toFixed(0)} MB  peak ${t.peakBackendMB.toFixed(0)} MB  rss ${t.rssMB.toFixed(0)} MB  (${t.warm ? `median of ${t.reps}` : "single cold run"})`,
      );
    }
    const bp = c.engines.bptt;
    if (bp) {
      for (const t of Object.values(c.engines)) {
        t.speedupVsBptt = { fwd: bp.fwdMs / t.fwdMs, bwd: bp.bwdMs / t.bwdMs, total: bp.totalMs / t.totalMs };
      }
      const ex = c.engines.exodus;
      if (ex) log(`  EXODUS vs BPTT: forward ${ex.speedupVsBptt!.fwd.toFixed(2)}×, backward ${ex.speedupVsBptt!.bwd.toFixed(2)}×, total ${ex.speedupVsBptt!.total.toFixed(2)}×`);
    }
    cases.push(c);
  }
  return {
    meta: {
      node: process.version,
      date: new Date().toISOString(),
      backend: "wasm (SIMD, single-threaded)",
      cpus: cpus().length,
      quick,
      note: "CPU wasm, one thread; BPTT = per-step autograd through the unrolled LIF with the reset in the graph",
    },
    cases,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Flat JSON for the last stdout line: case → engine → numbers (rounded to 4 significant digits). */
export function benchJson(r: BenchResult): Record<string, unknown> {
  const round = (v: number) => Number(v.toPrecision(4));
  const cases: Record<string, Record<string, Record<string, number>>> = {};
  for (const c of r.cases) {
    const row: Record<string, Record<string, number>> = {};
    for (const [e, t] of Object.entries(c.engines)) {
      row[e] = {
        fwd_ms: round(t.fwdMs),
        bwd_ms: round(t.bwdMs),
        total_ms: round(t.totalMs),
        reps: t.reps,
        ...(t.speedupVsBptt ? { fwd_speedup_vs_bptt: round(t.speedupVsBptt.fwd), bwd_speedup_vs_bptt: round(t.speedupVsBptt.bwd), total_speedup_vs_bptt: round(t.speedupVsBptt.total) } : {}),
        peak_backend_mb: round(t.peakBackendMB),
        saved_for_backward_mb: round(t.savedForBackwardMB),
        rss_mb: round(t.rssMB),
        neuron_steps_per_s: round(t.neuronStepsPerS),
      };
    }
    cases[c.name] = row;
  }
  return { bench: "exodus-snn", ...r.meta, seconds: round(r.seconds), cases };
}

export function benchMarkdown(r: BenchResult): string {
  const L: string[] = [];
  L.push(`Node ${r.meta.node}, ${r.meta.backend}, ${r.meta.date}${r.meta.quick ? " (--quick sizes)" : ""}.`);
  L.push("");
  L.push("| case | engine | fwd ms | bwd ms | total ms | fwd × | bwd × | total × vs BPTT | M neuron-steps/s | saved for bwd MB | peak MB | runs |");
  L.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const c of r.cases) {
    for (const [e, t] of Object.entries(c.engines)) {
      const s = t.speedupVsBptt;
      L.push(
        `| ${c.name} | ${e} | ${t.fwdMs.toFixed(1)} | ${t.bwdMs.toFixed(1)} | ${t.totalMs.toFixed(1)} | ${s ? s.fwd.toFixed(2) : "–"} | ${s ? s.bwd.toFixed(2) : "–"} | ${s ? s.total.toFixed(2) : "–"} | ${(t.neuronStepsPerS / 1e6).toFixed(1)} | ${t.savedForBackwardMB.toFixed(0)} | ${t.peakBackendMB.toFixed(0)} | ${t.warm ? `median of ${t.reps}` : "1 (cold)"} |`,
      );
    }
    for (const [e, why] of Object.entries(c.skipped ?? {})) L.push(`| ${c.name} | ${e} | skipped: ${why} |||||||||||`);
  }
  L.push("");
  for (const c of r.cases) L.push(`- **${c.name}**: ${c.description}`);
  return L.join("\n");
}

export function benchSvg(r: BenchResult): string {
  return barChart(
    r.cases.map((c) => ({
      label: c.name,
      values: BENCH_ENGINES.filter((e) => c.engines[e]).flatMap((e) => [
        { label: `${e} fwd`, value: c.engines[e]!.fwdMs },
        { label: `${e} bwd`, value: c.engines[e]!.bwdMs },
      ]),
    })),
    { title: `Forward / backward ms per step (wasm CPU${r.meta.quick ? ", --quick" : ""}), lower is better`, yLabel: "ms", logY: true },
  );
}
