/**
 * What the Trainer measures on a batch and sums over an epoch or an evaluation: loss, accuracy (a tie for
 * the top score counts as wrong), the confusion matrix, and spikes per neuron of each spiking layer. The
 * tensor side is only the spike totals (one scalar per layer, read back with the loss and scores); the rest
 * runs on the host on values already read.
 */
import type { FArray } from "../kernels/contract.js";
import type { Sequential } from "../layers/sequential.js";
import { SpikingLayer } from "../neurons/spiking-layer.js";
import { sum } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ReportEpoch } from "../report/run-report.js";

/** One line of metrics.jsonl: an epoch's training and evaluation numbers. */
export interface EpochMetrics extends ReportEpoch {
  eval_seconds: number;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  spikesPerNeuron: Record<string, number>;
  /** [classes × classes] counts, row = true label. */
  confusion: number[][];
}

/** What one batch gave, read back to the host. */
export interface BatchReadout {
  loss: number;
  /** Class scores [B, classes], row-major. */
  scores: FArray;
  classes: number;
  /** Spike total of each spiking layer over the batch (0 where a layer kept no spikes). */
  spikes: number[];
}

/** The spiking layers whose spikes are counted, named "<index>:<Class>". */
export type SpikingLayers = readonly (readonly [string, SpikingLayer])[];

export function spikingLayers(model: Sequential): SpikingLayers {
  return model.layers.flatMap((m, i): [string, SpikingLayer][] => (m instanceof SpikingLayer ? [[`${i}:${m.constructor.name}`, m]] : []));
}

/** Spike totals of each spiking layer's last forward as scalar tensors (null: the layer kept no spikes). */
export function spikeSumTensors(spiking: SpikingLayers): (Tensor | null)[] {
  return spiking.map(([, l]) => (l.lastSpikes ? sum(l.lastSpikes) : null));
}

/** Neurons per sample of each spiking layer, from its last forward's spikes [T, B, …] (1 where none were kept). */
export function neuronsPerSample(spiking: SpikingLayers): number[] {
  return spiking.map(([, l]) => (l.lastSpikes ? l.lastSpikes.size / (l.lastSpikes.shape[0]! * l.lastSpikes.shape[1]!) : 1));
}

/** Index of the largest score of row b (the first one on ties) and whether it is the only top score. */
export function argmaxRow(s: FArray, b: number, C: number): { arg: number; unique: boolean } {
  let arg = 0;
  for (let c = 1; c < C; c++) if (s[b * C + c]! > s[b * C + arg]!) arg = c;
  let top = 0;
  for (let c = 0; c < C; c++) if (s[b * C + c] === s[b * C + arg]) top++;
  return { arg, unique: top === 1 };
}

/** Correct predictions in a batch of scores [B, C]. */
export function countCorrect(s: FArray, C: number, labels: readonly number[]): number {
  let ok = 0;
  labels.forEach((l, b) => {
    // a tie for the top score (e.g. no output spikes at all) counts as wrong: no decision was made
    const { arg, unique } = argmaxRow(s, b, C);
    if (arg === l && unique) ok++;
  });
  return ok;
}

/** Running sums over the batches of an epoch or an evaluation. */
export class Tally {
  private lossSum = 0;
  correct = 0;
  seen = 0;
  private readonly spikeTot: number[];
  /** [classes × classes] counts, row = true label (only when asked for). */
  readonly confusion: number[][] | null;

  constructor(private readonly spiking: SpikingLayers, classes: number, withConfusion = false) {
    this.spikeTot = new Array<number>(spiking.length).fill(0);
    this.confusion = withConfusion ? Array.from({ length: classes }, () => new Array<number>(classes).fill(0)) : null;
  }

  add(r: BatchReadout, labels: readonly number[]): void {
    this.lossSum += r.loss * labels.length;
    this.correct += countCorrect(r.scores, r.classes, labels);
    this.seen += labels.length;
    if (this.confusion) labels.forEach((l, b) => this.confusion![l]![argmaxRow(r.scores, b, r.classes).arg]!++);
    r.spikes.forEach((v, i) => (this.spikeTot[i]! += v));
  }

  /** Mean loss per sample so far. */
  get loss(): number {
    return this.lossSum / this.seen;
  }

  get accuracy(): number {
    return this.correct / this.seen;
  }

  /** Mean spikes per neuron per sample, by layer name; `neurons` from neuronsPerSample. */
  spikesPerNeuron(neurons: readonly number[]): Record<string, number> {
    const out: Record<string, number> = {};
    this.spiking.forEach(([name], i) => (out[name] = this.spikeTot[i]! / (this.seen * (neurons[i] ?? 1))));
    return out;
  }
}
