/**
 * `exodus-snn experiment stability` (docs/paper-reproduction.md §2; SLAYER's rule: docs/gradients.md §4): per-layer gradient norms of deep Linear+LIF stacks
 * under EXODUS and SLAYER while the surrogate's gradScale (and gradWidth) is swept, plus the first-
 * iteration gradient cosine similarity across scales and an EXODUS == BPTT check. Every engine sees the
 * same initial weights and the same input spikes, so only the backward rule differs (the forward is identical).
 */
import { setBackendSync } from "../kernels/registry.js";
import type { BackendName, DType } from "../kernels/contract.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import { SpikingLayer } from "../neurons/spiking-layer.js";
import { backward } from "../tensor/grad.js";
import { tidy } from "../tensor/memory.js";
import { sum, tensor } from "../tensor/ops/index.js";
import { computeLoss } from "../train/losses.js";
import type { StTensor } from "../train/safetensors.js";
import { Rng } from "../util/rng.js";
import { cosine, l2, relDiff } from "../util/stats.js";
import { buildWithWeights, DEFAULT_NEURON, disposeModel, initWeights, mlpConfig, synapticWeights } from "./models.js";
import { panelLineChart, type LinePanel } from "../report/panel-charts.js";

export interface StabilityOptions {
  quick?: boolean;
  seed?: number;
  depths?: number[];
  taus?: number[];
  widths?: number[];
  scales?: number[];
  T?: number;
  batch?: number;
  hidden?: number;
  batches?: number;
  /** Sequence lengths for the IAF-like 6-layer length sweep (the ≤ 2× invariance needs m·σ·T ≫ 1). */
  lengths?: number[];
  log?: (line: string) => void;
}

export interface StabilityRun {
  depth: number;
  tauMem: number;
  gradWidth: number;
  gradScale: number;
  engine: GradientEngine;
  /** Mean over batches of ‖∂L/∂W_l‖₂, l = 1 (input side) … depth (output). */
  norms: number[];
  /** Spike rate per layer (spikes per neuron per step), identical across engines by construction. */
  rates: number[];
}

export interface SpreadRow {
  depth: number;
  tauMem: number;
  gradWidth: number;
  engine: GradientEngine;
  scales: number[];
  /** Per layer: max over scales / min over scales of the layer's gradient norm. */
  perLayer: number[];
  max: number;
}

export interface CosineRow {
  depth: number;
  tauMem: number;
  engine: GradientEngine;
  a: number;
  b: number;
  /** Cosine similarity of the first layer's first-iteration weight gradient at scale a vs scale b. */
  cos: number;
}

export interface StabilityResult {
  config: Required<Omit<StabilityOptions, "log" | "quick">> & { quick: boolean; input: string; loss: string; neuron: string };
  runs: StabilityRun[];
  /** Spread over the whole scale sweep, and over the scales ≥ 0.1 (where mσ dominates the leak, see docs). */
  spread: SpreadRow[];
  spreadHigh: SpreadRow[];
  cosine: CosineRow[];
  /** 6 layers, τ = 1e5, width 0.5: spread over the whole scale sweep as T grows. */
  lengthSweep: { T: number; spread: SpreadRow[] }[];
  exodusVsBptt: { dtype: DType; backend: BackendName; depth: number; T: number; maxRel: number }[];
  seconds: number;
}

const ENGINES: GradientEngine[] = ["exodus", "slayer"];

function makeInput(T: number, B: number, F: number, seed: number, rate: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: T * B * F }, () => (rng.random() < rate ? 1 : 0));
}

/** The stacks of this experiment: Linear(no bias)+LIF throughout, CE on output spike counts. */
function stackConfig(sizes: number[], neuron: { tauMem: number; gradScale: number; gradWidth: number }) {
  return mlpConfig(sizes, { ...DEFAULT_NEURON, ...neuron }, { readout: false, loss: { name: "ce-count" } });
}

/** One forward/backward on each batch; returns per-layer norms (mean over batches), rates and the first batch's grads. */
export function layerGradients(
  sizes: number[],
  weights: ReadonlyMap<string, StTensor>,
  engine: GradientEngine,
  neuron: { tauMem: number; gradScale: number; gradWidth: number },
  inputs: Float32Array[],
  shape: { T: number; B: number; F: number; classes: number },
  opts: { dtype?: DType } = {},
): { norms: number[]; rates: number[]; first: Float64Array[] } {
  const cfg = stackConfig(sizes, neuron);
  const model = buildWithWeights(cfg, engine, weights, opts.dtype);
  const ws = synapticWeights(model).map(([, w]) => w);
  const spiking = model.layers.filter((m): m is SpikingLayer => m instanceof SpikingLayer);
  const norms = new Array<number>(ws.length).fill(0);
  let rates: number[] = [];
  let first: Float64Array[] = [];
  inputs.forEach((x, bi) => {
    model.resetStates();
    model.zeroGrad();
    const labels = Array.from({ length: shape.B }, (_, i) => (i + bi) % shape.classes);
    tidy(() => {
      const y = model.forward(tensor(x, [shape.T, shape.B, shape.F], { dtype: opts.dtype }));
      if (bi === 0) rates = spiking.map((l) => sum(l.lastSpikes!).item() / l.lastSpikes!.size);
      // CE on output spike counts (the DVS experiment's loss on Σ_t output)
      backward(computeLoss(cfg.loss, y, labels));
    });
    // zeros when a layer got no gradient
    const g = ws.map((w) => (w.grad ? Float64Array.from(w.grad.dataSync()) : new Float64Array(w.size)));
    if (bi === 0) first = g;
    g.forEach((a, l) => (norms[l]! += l2(a) / inputs.length));
  });
  disposeModel(model);
  return { norms, rates, first };
}

function spreadOf(runs: StabilityRun[], scales: number[]): SpreadRow[] {
  const out: SpreadRow[] = [];
  const keys = new Set(runs.map((r) => `${r.depth}|${r.tauMem}|${r.gradWidth}|${r.engine}`));
  for (const k of keys) {
    const rs = runs.filter((r) => `${r.depth}|${r.tauMem}|${r.gradWidth}|${r.engine}` === k && scales.includes(r.gradScale));
    if (rs.length < 2) continue;
    const L = rs[0]!.norms.length;
    const perLayer = Array.from({ length: L }, (_, l) => {
      const v = rs.map((r) => r.norms[l]!);
      return Math.max(...v) / Math.min(...v);
    });
    const r0 = rs[0]!;
    out.push({ depth: r0.depth, tauMem: r0.tauMem, gradWidth: r0.gradWidth, engine: r0.engine, scales, perLayer, max: Math.max(...perLayer) });
  }
  return out;
}

export function runStability(o: StabilityOptions = {}): StabilityResult {
  const t0 = performance.now();
  const quick = !!o.quick;
  const log = o.log ?? (() => {});
  const cfg = {
    seed: o.seed ?? 1,
    depths: o.depths ?? (quick ? [6] : [6, 8]),
    // 1e5 ≈ IAF (the paper's SHD/SSC speed runs); 50 = the paper's DVS Gesture τ
    taus: o.taus ?? (quick ? [1e5] : [1e5, 50]),
    widths: o.widths ?? (quick ? [0.5] : [0.5, 1.0]),
    scales: o.scales ?? [0.01, 0.1, 1],
    T: o.T ?? (quick ? 150 : 300),
    batch: o.batch ?? (quick ? 8 : 16),
    hidden: o.hidden ?? (quick ? 48 : 128),
    batches: o.batches ?? (quick ? 1 : 3),
    lengths: o.lengths ?? (quick ? [3000] : [300, 1000, 3000]),
  };
  setBackendSync("wasm");
  const F = cfg.hidden;
  const classes = 10;
  const inputs = Array.from({ length: cfg.batches }, (_, i) => makeInput(cfg.T, cfg.batch, F, cfg.seed * 1000 + i, 0.1));
  const runs: StabilityRun[] = [];
  const cos: CosineRow[] = [];
  for (const depth of cfg.depths) {
    const sizes = [F, ...new Array<number>(depth - 1).fill(cfg.hidden), classes];
    // gain 1.5/√fanIn keeps every layer firing at ≈5–10 % with θ = 1 (checked in `rates`)
    const ws = initWeights(stackConfig(sizes, DEFAULT_NEURON), cfg.seed, 1.5);
    for (const tau of cfg.taus) {
      for (const width of cfg.widths) {
        const firsts = new Map<string, Float64Array>();
        for (const engine of ENGINES) {
          for (const scale of cfg.scales) {
            const g = layerGradients(sizes, ws, engine, { tauMem: tau, gradScale: scale, gradWidth: width }, inputs, { T: cfg.T, B: cfg.batch, F, classes });
            runs.push({ depth, tauMem: tau, gradWidth: width, gradScale: scale, engine, norms: g.norms, rates: g.rates });
            firsts.set(`${engine}|${scale}`, g.first[0]!);
            log(`stability depth=${depth} tau=${tau} width=${width} ${engine.padEnd(6)} scale=${scale}: ‖∇W_l‖ = ${g.norms.map((n) => n.toExponential(2)).join(" ")}`);
          }
        }
        if (width === cfg.widths[0]) {
          for (const engine of ENGINES) {
            for (let i = 0; i < cfg.scales.length; i++) {
              for (let j = i + 1; j < cfg.scales.length; j++) {
                const a = cfg.scales[i]!;
                const b = cfg.scales[j]!;
                cos.push({ depth, tauMem: tau, engine, a, b, cos: cosine(firsts.get(`${engine}|${a}`)!, firsts.get(`${engine}|${b}`)!) });
              }
            }
          }
        }
      }
    }
  }
  // Length sweep: SLAYER's limit Σ_j ∂s_j/∂x_i → 1/θ (docs/paper-reproduction.md §2) needs θc·(T − i) ≫ 1, so at gradScale 0.01 the
  // scale invariance should appear only for long sequences. Measured on the 6-layer IAF-like stack.
  const lengthSweep: StabilityResult["lengthSweep"] = [];
  {
    const sizes = [F, ...new Array<number>(5).fill(cfg.hidden), classes];
    const ws = initWeights(stackConfig(sizes, DEFAULT_NEURON), cfg.seed, 1.5);
    for (const T of cfg.lengths) {
      const lin = [makeInput(T, 8, F, cfg.seed * 1000 + 500, 0.1)];
      const lr: StabilityRun[] = [];
      for (const engine of ENGINES) {
        for (const scale of cfg.scales) {
          const g = layerGradients(sizes, ws, engine, { tauMem: 1e5, gradScale: scale, gradWidth: 0.5 }, lin, { T, B: 8, F, classes });
          lr.push({ depth: 6, tauMem: 1e5, gradWidth: 0.5, gradScale: scale, engine, norms: g.norms, rates: g.rates });
        }
      }
      const sp = spreadOf(lr, cfg.scales);
      lengthSweep.push({ T, spread: sp });
      log(`length sweep T=${T}: worst per-layer spread over {${cfg.scales.join(", ")}}: ${sp.map((x) => `${x.engine} ${x.max.toPrecision(3)}`).join(", ")}`);
    }
  }
  // EXODUS == BPTT on the same deep stack: float64 on the ref backend (exact to rounding), float32 on wasm.
  const checks: StabilityResult["exodusVsBptt"] = [];
  const cd = 6;
  const cT = quick ? 40 : 80;
  const cF = 24;
  const csizes = [cF, ...new Array<number>(cd - 1).fill(cF), classes];
  const cws = initWeights(stackConfig(csizes, DEFAULT_NEURON), cfg.seed + 7, 1.5);
  const cin = [makeInput(cT, 4, cF, cfg.seed + 99, 0.15)];
  for (const [dtype, backend] of [["float64", "ref"], ["float32", "wasm"]] as const) {
    setBackendSync(backend);
    const n = { tauMem: 20, gradScale: 1, gradWidth: 0.5 };
    const shape = { T: cT, B: 4, F: cF, classes };
    const ex = layerGradients(csizes, cws, "exodus", n, cin, shape, { dtype }).first;
    const bp = layerGradients(csizes, cws, "bptt", n, cin, shape, { dtype }).first;
    const maxRel = Math.max(...ex.map((g, l) => relDiff(g, bp[l]!)));
    checks.push({ dtype, backend, depth: cd, T: cT, maxRel });
    log(`EXODUS vs BPTT (${cd} layers, T=${cT}, ${dtype} ${backend}): max rel diff of weight grads ${maxRel.toExponential(2)}`);
  }
  setBackendSync("wasm");
  const high = cfg.scales.filter((s) => s >= 0.1);
  return {
    config: {
      ...cfg,
      quick,
      input: `Bernoulli(0.1) input spikes [T, B, ${F}], labels (i + batch) mod 10`,
      loss: "softmax cross-entropy on output spike counts Σ_t s_L",
      neuron: "LIF, θ = 1, m = θ, SingleSpike, normInput false, SingleExponential(gradWidth, gradScale); Linear (no bias) before every LIF",
    },
    runs,
    spread: spreadOf(runs, cfg.scales),
    spreadHigh: high.length >= 2 ? spreadOf(runs, high) : [],
    cosine: cos,
    lengthSweep,
    exodusVsBptt: checks,
    seconds: (performance.now() - t0) / 1000,
  };
}

const tauName = (t: number) => (t >= 1e4 ? `τ=${t.toExponential(0)} (≈IAF)` : `τ=${t}`);

export function stabilityMarkdown(r: StabilityResult): string {
  const L: string[] = [];
  L.push(`Config: ${JSON.stringify({ T: r.config.T, batch: r.config.batch, hidden: r.config.hidden, batches: r.config.batches, seed: r.config.seed })}; ${r.config.neuron}; input ${r.config.input}; loss ${r.config.loss}. ${r.seconds.toFixed(1)} s.`);
  L.push("");
  L.push("### Per-layer mean gradient norm ‖∂L/∂W_l‖ (layer 1 = input side)");
  L.push("");
  const maxD = Math.max(...r.runs.map((x) => x.depth));
  L.push(`| depth | τ | width | engine | scale | ${Array.from({ length: maxD }, (_, i) => `L${i + 1}`).join(" | ")} |`);
  L.push(`|---|---|---|---|---|${"---|".repeat(maxD)}`);
  for (const x of r.runs) {
    const cells = Array.from({ length: maxD }, (_, i) => (x.norms[i] === undefined ? "" : x.norms[i]!.toExponential(2)));
    L.push(`| ${x.depth} | ${x.tauMem >= 1e4 ? "1e5" : x.tauMem} | ${x.gradWidth} | ${x.engine} | ${x.gradScale} | ${cells.join(" | ")} |`);
  }
  L.push("");
  L.push("### Spread: per layer, max/min of the norm across the scale sweep (worst layer in the last column)");
  L.push("");
  L.push(`| depth | τ | width | engine | sweep | per-layer spread | worst |`);
  L.push(`|---|---|---|---|---|---|---|`);
  for (const s of [...r.spread, ...r.spreadHigh]) {
    L.push(`| ${s.depth} | ${s.tauMem >= 1e4 ? "1e5" : s.tauMem} | ${s.gradWidth} | ${s.engine} | {${s.scales.join(", ")}} | ${s.perLayer.map((v) => v.toPrecision(3)).join(", ")} | **${s.max.toPrecision(3)}** |`);
  }
  L.push("");
  L.push("### First-iteration gradient cosine similarity (layer-1 weights) between scales");
  L.push("");
  L.push(`| depth | τ | engine | scales | cos |`);
  L.push(`|---|---|---|---|---|`);
  for (const c of r.cosine) L.push(`| ${c.depth} | ${c.tauMem >= 1e4 ? "1e5" : c.tauMem} | ${c.engine} | ${c.a} vs ${c.b} | ${c.cos.toFixed(4)} |`);
  L.push("");
  L.push("### Length sweep (6 layers, τ = 1e5 ≈ IAF, width 0.5, B = 8): per-layer spread over the whole scale sweep");
  L.push("");
  L.push("| T | engine | per-layer spread | worst |");
  L.push("|---|---|---|---|");
  for (const ls of r.lengthSweep) for (const s of ls.spread) L.push(`| ${ls.T} | ${s.engine} | ${s.perLayer.map((v) => v.toPrecision(3)).join(", ")} | **${s.max.toPrecision(3)}** |`);
  L.push("");
  L.push("### EXODUS vs BPTT on a 6-layer stack (same weights, same input)");
  L.push("");
  for (const c of r.exodusVsBptt) L.push(`- ${c.dtype} (${c.backend}), T=${c.T}: max normwise relative difference of all weight gradients = ${c.maxRel.toExponential(2)}`);
  return L.join("\n");
}

export function stabilitySvg(r: StabilityResult): string {
  const panels: LinePanel[] = [];
  const width0 = r.config.widths[0]!;
  for (const depth of r.config.depths) {
    for (const tau of r.config.taus) {
      const rs = r.runs.filter((x) => x.depth === depth && x.tauMem === tau && x.gradWidth === width0);
      panels.push({
        title: `${depth} layers, ${tauName(tau)}, width ${width0}`,
        xLabel: "layer index (1 = input side)",
        yLabel: "mean ‖∂L/∂W_l‖",
        logY: true,
        series: rs.map((x) => ({
          label: `${x.engine} s=${x.gradScale}`,
          points: x.norms.map((n, i) => [i + 1, n] as [number, number]),
          color: x.engine === "exodus" ? ["#08306b", "#2171b5", "#6baed6"][r.config.scales.indexOf(x.gradScale) % 3] : ["#67000d", "#cb181d", "#fc9272"][r.config.scales.indexOf(x.gradScale) % 3],
          dashed: x.engine === "slayer",
        })),
      });
    }
  }
  return panelLineChart(panels, { cols: 2, title: "Per-layer gradient norm vs surrogate gradScale: EXODUS (solid) vs SLAYER (dashed)" });
}
