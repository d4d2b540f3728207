/**
 * `exodus-snn experiment accuracy`: EXODUS vs SLAYER (untuned gradScale 1 and the best of a small scale
 * sweep, chosen on a validation split) vs BPTT on order-burst (temporal) and nmnist-sim, several seeds,
 * mean ± sd. For each seed every engine starts from the same initial weights and sees the same batches
 * in the same order at the same learning rate, so only the gradient rule differs.
 */
import { setBackendSync } from "../kernels/registry.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import { noGrad } from "../tensor/autograd.js";
import { backward } from "../tensor/grad.js";
import { tidy } from "../tensor/memory.js";
import { max, softmaxCrossEntropy, tensor } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Rng } from "../util/rng.js";
import { DEFAULT_NEURON, initWeights, meanSd, mlpSpecs, SpikingNet, type LayerSpec, type NeuronConfig } from "./net.js";
import { barChart } from "./svg.js";
import { batchOf, countBaseline, nmnistSim, orderBurst, type Dataset } from "./tasks.js";

export type OptimizerName = "adam" | "sgd";

/** A variant = engine + surrogate scale; "slayer-best" is resolved per task from the sweep. */
export interface Variant {
  name: string;
  engine: GradientEngine;
  gradScale: number;
}

export interface AccuracyOptions {
  quick?: boolean;
  seeds?: number;
  tasks?: ("order-burst" | "nmnist-sim")[];
  optimizer?: OptimizerName;
  slayerScales?: number[];
  withBptt?: boolean;
  lr?: number;
  /** Override the task's epoch count. */
  epochs?: number;
  log?: (s: string) => void;
}

export interface RunResult {
  task: string;
  variant: string;
  engine: GradientEngine;
  gradScale: number;
  seed: number;
  valAcc: number;
  testAcc: number;
  finalLoss: number;
  seconds: number;
}

export interface TaskSummary {
  task: string;
  lr: number;
  countBaseline: number;
  chance: number;
  /** SLAYER scale with the best mean validation accuracy. */
  slayerBestScale: number;
  rows: { variant: string; mean: number; sd: number; accs: number[]; valMean: number; seconds: number }[];
}

export interface AccuracyResult {
  config: { quick: boolean; seeds: number; optimizer: OptimizerName; slayerScales: number[]; tasks: Record<string, string> };
  runs: RunResult[];
  summary: TaskSummary[];
  seconds: number;
}

interface TaskSetup {
  train: Dataset;
  val: Dataset;
  test: Dataset;
  specs: LayerSpec[];
  neuron: NeuronConfig;
  gain: number[];
  epochs: number;
  batch: number;
  /** Learning rate per optimizer (the same for every engine). */
  lr: Record<OptimizerName, number>;
  description: string;
}

/** Adam / SGD-with-momentum on CPU arrays (kept private so the experiment does not track src/train's API). */
class Optim {
  private m: Float64Array[];
  private v: Float64Array[];
  private t = 0;
  constructor(
    private readonly params: Tensor[],
    private readonly kind: OptimizerName,
    private readonly lr: number,
  ) {
    this.m = params.map((p) => new Float64Array(p.size));
    this.v = params.map((p) => new Float64Array(p.size));
  }
  step(): void {
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      const g = p.grad.dataSync();
      const w = p.dataSync();
      const m = this.m[i]!;
      const v = this.v[i]!;
      for (let j = 0; j < w.length; j++) {
        const gj = g[j]!;
        if (this.kind === "adam") {
          m[j] = b1 * m[j]! + (1 - b1) * gj;
          v[j] = b2 * v[j]! + (1 - b2) * gj * gj;
          const mh = m[j]! / (1 - b1 ** this.t);
          const vh = v[j]! / (1 - b2 ** this.t);
          w[j] = w[j]! - (this.lr * mh) / (Math.sqrt(vh) + 1e-8);
        } else {
          m[j] = 0.9 * m[j]! + gj;
          w[j] = w[j]! - this.lr * m[j]!;
        }
      }
      p.backend.upload(p.buf, w);
    });
  }
}

function setup(task: "order-burst" | "nmnist-sim", quick: boolean): TaskSetup {
  if (task === "order-burst") {
    return {
      train: orderBurst({ split: "train", n: 3000 }),
      val: orderBurst({ split: "val", n: quick ? 128 : 512 }),
      test: orderBurst({ split: "test", n: quick ? 256 : 1024 }),
      specs: mlpSpecs([32, 64, 64, 4], true),
      // LIF τ = 50 steps (the paper's DVS τ): the membrane remembers the first burst across gaps of up to 60
      // steps, and neurons spike and reset several times inside that window (data-formats §4b). τ = 30 gave 80 %.
      neuron: { ...DEFAULT_NEURON, tauMem: 50 },
      gain: [3, 2, 1],
      epochs: quick ? 8 : 10,
      batch: 32,
      // Adam 1e-2: at 5e-3 EXODUS runs stopped on a ~75 % plateau for 2 of 3 seeds after a kernel rebuild
      // (1e-2: 5 of 6 seeds ≥ 84 %). Same lr for every engine.
      lr: { adam: 1e-2, sgd: 1e-2 },
      description: "order-burst (src/data, task seed 1): 32 ch, T=150, classes AB/BA/AA'/BB', gap 20–60 steps; net 32→64→64 LIF(τ=50)→4 Linear readout, CE on max-over-time; 3000 train samples",
    };
  }
  return {
    train: nmnistSim({ n: quick ? 400 : 1500, split: "train" }),
    val: nmnistSim({ n: quick ? 100 : 300, split: "val" }),
    test: nmnistSim({ n: quick ? 200 : 600, split: "test" }),
    specs: mlpSpecs([578, 128, 10], true),
    neuron: { ...DEFAULT_NEURON, tauMem: 20 },
    gain: [3, 1],
    epochs: quick ? 3 : 8,
    batch: 32,
    lr: { adam: 5e-3, sgd: 1e-2 },
    description: "nmnist-sim (src/data DVS simulation of MNIST saccades): 34×34×2 sum-pooled to 17×17×2, T=30 frames over 315 ms; net 578→128 LIF(τ=20)→10 Linear readout, CE on max-over-time; 1500 train samples",
  };
}

function evaluate(net: SpikingNet, ds: Dataset): number {
  let ok = 0;
  const B = 64;
  for (let s = 0; s < ds.n; s += B) {
    const idx = Array.from({ length: Math.min(B, ds.n - s) }, (_, i) => s + i);
    net.resetStates();
    tidy(() =>
      noGrad(() => {
        const y = max(net.forward(tensor(batchOf(ds, idx), [ds.T, idx.length, ds.F])), 0);
        const d = y.dataSync();
        const K = ds.classes;
        idx.forEach((i, b) => {
          let best = 0;
          for (let k = 1; k < K; k++) if (d[b * K + k]! > d[b * K + best]!) best = k;
          if (best === ds.labels[i]) ok++;
        });
      }),
    );
  }
  return ok / ds.n;
}

export function trainOne(
  s: TaskSetup,
  v: Variant,
  seed: number,
  optimizer: OptimizerName,
  lr: number,
): { valAcc: number; testAcc: number; finalLoss: number; seconds: number } {
  const t0 = performance.now();
  const ws = initWeights(s.specs, 100 + seed, s.gain); // same initial weights for every engine of a seed
  const net = new SpikingNet(ws, v.engine, { ...s.neuron, gradScale: v.gradScale });
  const opt = new Optim(net.weights, optimizer, lr);
  const order = Array.from({ length: s.train.n }, (_, i) => i);
  const rng = new Rng(500 + seed); // same batch order for every engine of a seed
  let lastLoss = NaN;
  for (let e = 0; e < s.epochs; e++) {
    rng.shuffle(order);
    let sumLoss = 0;
    let nb = 0;
    for (let b = 0; b + s.batch <= order.length; b += s.batch) {
      const idx = order.slice(b, b + s.batch);
      net.resetStates();
      net.zeroGrad();
      tidy(() => {
        const y = net.forward(tensor(batchOf(s.train, idx), [s.train.T, s.batch, s.train.F]));
        // CE on the readout's max over time (the paper's SHD/SSC loss)
        const loss = softmaxCrossEntropy(max(y, 0), Array.from(idx, (i) => s.train.labels[i]!));
        backward(loss);
        sumLoss += loss.item();
        nb++;
      });
      opt.step();
    }
    lastLoss = sumLoss / nb;
  }
  net.zeroGrad();
  const valAcc = evaluate(net, s.val);
  const testAcc = evaluate(net, s.test);
  net.dispose();
  return { valAcc, testAcc, finalLoss: lastLoss, seconds: (performance.now() - t0) / 1000 };
}

export function runAccuracy(o: AccuracyOptions = {}): AccuracyResult {
  const t0 = performance.now();
  const quick = !!o.quick;
  const log = o.log ?? (() => {});
  setBackendSync("wasm");
  // quick: 2 seeds, because single EXODUS/BPTT runs on order-burst occasionally stop on a plateau
  const seeds = o.seeds ?? (quick ? 2 : 3);
  const tasks = o.tasks ?? (quick ? ["order-burst"] : ["order-burst", "nmnist-sim"]);
  const optimizer = o.optimizer ?? "adam";
  const slayerScales = o.slayerScales ?? (quick ? [1] : [0.01, 0.1, 1]);
  const withBptt = o.withBptt ?? !quick; // BPTT triples CI time and its gradients are checked exactly elsewhere
  const variants: Variant[] = [
    { name: "exodus", engine: "exodus", gradScale: 1 },
    ...slayerScales.map((sc) => ({ name: `slayer s=${sc}`, engine: "slayer" as const, gradScale: sc })),
    ...(withBptt ? [{ name: "bptt", engine: "bptt" as const, gradScale: 1 }] : []),
  ];
  const runs: RunResult[] = [];
  const summary: TaskSummary[] = [];
  const taskDesc: Record<string, string> = {};
  for (const task of tasks) {
    const s = setup(task, quick);
    if (o.epochs) s.epochs = o.epochs;
    const lr = o.lr ?? s.lr[optimizer];
    taskDesc[task] = s.description;
    const base = countBaseline(s.train, s.test);
    log(`${task}: count/rate baseline (logistic regression on per-channel counts) = ${(100 * base).toFixed(1)} %`);
    for (const v of variants) {
      for (let seed = 0; seed < seeds; seed++) {
        const r = trainOne(s, v, seed, optimizer, lr);
        runs.push({ task, variant: v.name, engine: v.engine, gradScale: v.gradScale, seed, ...r });
        log(`  ${task} ${v.name.padEnd(14)} seed ${seed}: val ${(100 * r.valAcc).toFixed(1)} %  test ${(100 * r.testAcc).toFixed(1)} %  loss ${r.finalLoss.toFixed(3)}  (${r.seconds.toFixed(1)} s)`);
      }
    }
    const rowsOf = (name: string) => runs.filter((r) => r.task === task && r.variant === name);
    const slayerRows = slayerScales.map((sc) => ({ sc, val: meanSd(rowsOf(`slayer s=${sc}`).map((r) => r.valAcc)).mean }));
    const best = slayerRows.reduce((a, b) => (b.val > a.val ? b : a), { sc: NaN, val: -1 });
    const rows: TaskSummary["rows"] = variants.map((v) => {
      const rs = rowsOf(v.name);
      const accs = rs.map((r) => r.testAcc);
      const { mean, sd } = meanSd(accs);
      return { variant: v.name, mean, sd, accs, valMean: meanSd(rs.map((r) => r.valAcc)).mean, seconds: rs.reduce((a, r) => a + r.seconds, 0) / rs.length };
    });
    summary.push({ task, lr, countBaseline: base, chance: 1 / s.train.classes, slayerBestScale: best.sc, rows });
  }
  return {
    config: { quick, seeds, optimizer, slayerScales, tasks: taskDesc },
    runs,
    summary,
    seconds: (performance.now() - t0) / 1000,
  };
}

const pct = (v: number) => (100 * v).toFixed(1);

export function accuracyMarkdown(r: AccuracyResult): string {
  const L: string[] = [];
  L.push(`Optimizer ${r.config.optimizer} (lr per task below, equal for every engine), ${r.config.seeds} seed(s), SLAYER scale sweep {${r.config.slayerScales.join(", ")}} (best chosen on validation accuracy). ${r.seconds.toFixed(0)} s.`);
  L.push("");
  for (const t of r.summary) {
    L.push(`**${t.task}** — ${r.config.tasks[t.task]}. lr ${t.lr}. Chance ${pct(t.chance)} %, count baseline ${pct(t.countBaseline)} %, SLAYER best scale ${t.slayerBestScale}.`);
    L.push("");
    L.push("| variant | test acc % (mean ± sd) | per seed | val % | s/run |");
    L.push("|---|---|---|---|---|");
    for (const row of t.rows) {
      const best = row.variant === `slayer s=${t.slayerBestScale}` && r.config.slayerScales.length > 1 ? " (best)" : "";
      L.push(`| ${row.variant}${best} | ${pct(row.mean)} ± ${pct(row.sd)} | ${row.accs.map(pct).join(", ")} | ${pct(row.valMean)} | ${row.seconds.toFixed(1)} |`);
    }
    L.push("");
  }
  return L.join("\n");
}

export function accuracySvg(r: AccuracyResult): string {
  return barChart(
    r.summary.map((t) => ({
      label: `${t.task} (count baseline ${pct(t.countBaseline)} %)`,
      values: t.rows.map((row) => ({ label: row.variant, value: 100 * row.mean, err: 100 * row.sd })),
    })),
    { title: `Test accuracy, mean ± sd over ${r.config.seeds} seed(s) (${r.config.optimizer})`, yLabel: "test accuracy %" },
  );
}
