/**
 * `order-burst`: a temporal task whose label is the order of two spike bursts (docs/datasets.md "Simulators").
 * The task seed fixes symbols A and B (6 channels each, 3 spikes 2 ms apart); each sample draws its
 * class from {AB, BA, AA', BB'}, the first onset, the gap, ±1-step jitter and 5 Hz background noise.
 * AB and BA have equal per-channel counts in distribution, so only spike order separates them.
 * Output is time-major Float32Array [T, N, C] with 1 ms steps.
 */
import { ConfigError } from "../../errors.js";
import { Rng } from "../../util/rng.js";
import type { Split } from "./mnist-digits.js";

export const ORDER_BURST_CLASSES = ["AB", "BA", "AA'", "BB'"] as const;
/** Sample seed ranges per split (train 10k, val 2k, test 2k); disjoint by construction. */
export const ORDER_BURST_SEEDS: Record<Split, readonly [number, number]> = {
  train: [0, 10_000],
  val: [1_000_000, 1_002_000],
  test: [2_000_000, 2_002_000],
};

export interface OrderBurstParams {
  /** Time steps of 1 ms; default 150. */
  T?: number;
  /** Input channels; default 32. */
  channels?: number;
  /** Channels per symbol; default 6. */
  symbolSize?: number;
  /** Spikes per burst and their spacing in steps; default 3 and 2. */
  burstSpikes?: number;
  burstSpacing?: number;
  /** First onset ~ U[onsetMin, onsetMax] (integer steps); default 5..40. */
  onsetMin?: number;
  onsetMax?: number;
  /** Gap between the two onsets ~ U[gapMin, gapMax]; default 20..60. */
  gapMin?: number;
  gapMax?: number;
  /** Out-of-distribution test: gap ~ U[gapMax, 2·gapMax] instead. */
  ood?: boolean;
  /** Background Poisson rate per channel (Hz); default 5. */
  noiseHz?: number;
  /** Per-spike jitter in steps, uniform in [−jitter, jitter]; default 1. */
  jitter?: number;
  /** "all" = 4 classes; "pair" = only AB (0) and BA (1). */
  classes?: "all" | "pair";
}

interface Resolved extends Required<Omit<OrderBurstParams, "ood" | "classes">> {
  ood: boolean;
  classes: "all" | "pair";
}

function resolve(p: OrderBurstParams): Resolved {
  const r: Resolved = {
    T: p.T ?? 150, channels: p.channels ?? 32, symbolSize: p.symbolSize ?? 6, burstSpikes: p.burstSpikes ?? 3,
    burstSpacing: p.burstSpacing ?? 2, onsetMin: p.onsetMin ?? 5, onsetMax: p.onsetMax ?? 40, gapMin: p.gapMin ?? 20,
    gapMax: p.gapMax ?? 60, noiseHz: p.noiseHz ?? 5, jitter: p.jitter ?? 1, ood: p.ood ?? false, classes: p.classes ?? "all",
  };
  const burstLen = (r.burstSpikes - 1) * r.burstSpacing + r.jitter;
  const maxGap = r.ood ? 2 * r.gapMax : r.gapMax;
  if (2 * r.symbolSize > r.channels) throw new ConfigError(`orderBurst: 2 symbols of ${r.symbolSize} channels need ≥ ${2 * r.symbolSize} channels, got ${r.channels}`);
  if (!(r.onsetMin >= r.jitter && r.onsetMax >= r.onsetMin && r.gapMax >= r.gapMin && r.gapMin > burstLen)) {
    throw new ConfigError(`orderBurst: need jitter ≤ onsetMin ≤ onsetMax, gapMin ≤ gapMax and gapMin > burst length ${burstLen}`);
  }
  if (r.onsetMax + maxGap + burstLen >= r.T) throw new ConfigError(`orderBurst: T=${r.T} too short for onset ≤ ${r.onsetMax} + gap ≤ ${maxGap} + burst ${burstLen}; raise T`);
  return r;
}

/** Mix two 32-bit ints into one seed (so task and sample seeds never collide as plain sums would). */
function mixSeed(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The two symbols' channel sets for a task seed. */
export function orderBurstSymbols(taskSeed: number, params: OrderBurstParams = {}): { A: number[]; B: number[] } {
  const r = resolve(params);
  const ch = Array.from({ length: r.channels }, (_, i) => i);
  new Rng(mixSeed(taskSeed, 0x5eed)).shuffle(ch);
  return { A: ch.slice(0, r.symbolSize).sort((a, b) => a - b), B: ch.slice(r.symbolSize, 2 * r.symbolSize).sort((a, b) => a - b) };
}

/**
 * One sample into `out` at batch column `col` of a [T, N, C] tensor. Returns the label.
 * Spikes landing in the same step are merged (values stay 0/1).
 */
export function orderBurstSampleInto(taskSeed: number, sampleSeed: number, params: OrderBurstParams, out: Float32Array, col: number, N: number): number {
  const r = resolve(params);
  const { A, B } = orderBurstSymbols(taskSeed, params);
  const rng = new Rng(mixSeed(taskSeed, sampleSeed + 1));
  const C = r.channels;
  const label = rng.int(0, r.classes === "pair" ? 2 : 4);
  const [first, second] = [[A, B], [B, A], [A, A], [B, B]][label]!;
  const on1 = rng.int(r.onsetMin, r.onsetMax + 1);
  const gap = r.ood ? rng.int(r.gapMax, 2 * r.gapMax + 1) : rng.int(r.gapMin, r.gapMax + 1);
  const set = (t: number, c: number): void => {
    if (t >= 0 && t < r.T) out[(t * N + col) * C + c] = 1;
  };
  for (const [sym, onset] of [[first!, on1], [second!, on1 + gap]] as const) {
    for (const c of sym) for (let k = 0; k < r.burstSpikes; k++) set(onset + k * r.burstSpacing + rng.int(-r.jitter, r.jitter + 1), c);
  }
  const pNoise = r.noiseHz * 1e-3;
  for (let t = 0; t < r.T; t++) for (let c = 0; c < C; c++) if (rng.random() < pNoise) set(t, c);
  return label;
}

export interface OrderBurstOptions extends OrderBurstParams {
  taskSeed: number;
  split: Split;
  count: number;
  /** First sample offset inside the split's seed range; default 0. */
  start?: number;
}

export interface SpikeBatch {
  /** Time-major spikes [T, N, C]. */
  x: Float32Array;
  shape: number[];
  labels: Int32Array;
}

export function orderBurst(o: OrderBurstOptions): SpikeBatch {
  const r = resolve(o);
  const [lo, hi] = ORDER_BURST_SEEDS[o.split];
  const start = o.start ?? 0;
  if (!(Number.isInteger(o.count) && o.count >= 0 && start >= 0 && lo + start + o.count <= hi)) {
    throw new ConfigError(`orderBurst: samples ${start}..${start + o.count - 1} exceed split '${o.split}' (${hi - lo} seeds)`);
  }
  const N = o.count;
  const x = new Float32Array(r.T * N * r.channels);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) labels[i] = orderBurstSampleInto(o.taskSeed, lo + start + i, o, x, i, N);
  return { x, shape: [r.T, N, r.channels], labels };
}
