/**
 * The pieces the paper experiments now run on: the order-burst and nmnist-sim-binned Tasks (checked against
 * the src/data generators' own output), shared initial weights, the shape walk behind neuron-steps/s, the
 * fitSteps loop (batch order from the Rng contract, determinism, learning) and the stats helpers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import "../../src/kernels/wasm/backend.js";
import { setBackendSync } from "../../src/kernels/registry.js";
import { orderBurst } from "../../src/data/sim/order-burst.js";
import { nmnistSim } from "../../src/data/sim/nmnist-sim.js";
import { ConfigError } from "../../src/errors.js";
import { SpikingLayer } from "../../src/neurons/spiking-layer.js";
import { noGrad } from "../../src/tensor/autograd.js";
import { tidy } from "../../src/tensor/memory.js";
import { tensor } from "../../src/tensor/ops/index.js";
import { accuracyOf, fitSteps } from "../../src/train/fit.js";
import { Adam } from "../../src/train/optim.js";
import { encodeNow, type Split, type Task } from "../../src/train/tasks/types.js";
import { NmnistSimBinnedTask } from "../../src/train/tasks/nmnist-sim-binned.js";
import { OrderBurstTask } from "../../src/train/tasks/order-burst.js";
import { countBaseline } from "../../src/experiments/baseline.js";
import { buildWithWeights, DEFAULT_NEURON, dvsConvConfig, initWeights, mlpConfig, neuronsPerStep, synapticWeights } from "../../src/experiments/models.js";
import { cosine, l2, meanSd, relDiff } from "../../src/util/stats.js";
import { Rng } from "../../src/util/rng.js";

setBackendSync("wasm");

test("stats: l2, cosine, relDiff and meanSd against hand-computed values", () => {
  assert.equal(l2([3, 4]), 5);
  assert.equal(cosine([1, 0], [0, 1]), 0);
  assert.ok(Math.abs(cosine([1, 2], [2, 4]) - 1) < 1e-15);
  assert.equal(cosine([0, 0], [1, 1]), 0);
  assert.equal(relDiff([1, 2], [1, 4]), 0.5);
  const { mean, sd } = meanSd([1, 2, 3, 4]);
  assert.equal(mean, 2.5);
  assert.ok(Math.abs(sd - Math.sqrt(5 / 3)) < 1e-15);
  assert.equal(meanSd([7]).sd, 0);
});

test("OrderBurstTask: encode is the generator's time-major data; evaluatingOn('val') answers from the val split", () => {
  const task = new OrderBurstTask({ sizes: { train: 6, val: 4, test: 5 } });
  assert.deepEqual([task.T, ...task.inputShape, task.classes], [150, 32, 4]);
  for (const split of ["train", "val", "test"] as const) {
    const g = orderBurst({ taskSeed: 1, split, count: split === "train" ? 6 : split === "val" ? 4 : 5 });
    const [T, N, C] = g.shape as [number, number, number];
    const view: Task = split === "train" ? task : task.evaluatingOn(split);
    const s: Split = split === "train" ? "train" : "test";
    assert.equal(view.size(s), N);
    // a batch in a shuffled order: sample idx[b] must land in column b
    const idx = [N - 1, 0, 2];
    const x = encodeNow(view, s, idx, new Rng(0));
    idx.forEach((i, b) => {
      assert.equal(view.label(s, i), g.labels[i]);
      for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) assert.equal(x[(t * idx.length + b) * C + c], g.x[(t * N + i) * C + c]);
    });
  }
  assert.equal(task.size("test"), 5, "the task itself still evaluates on test");
  assert.throws(() => new OrderBurstTask({ sizes: { train: 4 } }).size("test"), (e: unknown) => e instanceof ConfigError && /no 'test' samples.*give a size for 'test'/.test(e.message));
  assert.throws(() => new OrderBurstTask({ sizes: { train: 0 } }), ConfigError);
});

test("NmnistSimBinnedTask: every simulated event counted once, in the bin t·T/315 ms and the 2×2-pooled pixel", () => {
  const task = new NmnistSimBinnedTask({ sizes: { test: 2 } });
  const ref = nmnistSim({ split: "test", count: 2 });
  assert.deepEqual(task.inputShape, [2, 17, 17]);
  const x = encodeNow(task, "test", [0, 1], new Rng(0));
  const F = 2 * 17 * 17;
  ref.forEach((s, b) => {
    assert.equal(task.label("test", b), s.label);
    let total = 0;
    for (let t = 0; t < 30; t++) for (let f = 0; f < F; f++) total += x[(t * 2 + b) * F + f]!;
    assert.equal(total, s.events.t.length);
    // bins counted by hand for every event: the frame at (t, f) must hold exactly that many
    const k = Math.floor(s.events.t.length / 2);
    const t = Math.min(29, Math.floor((s.events.t[k]! * 30) / 315_000));
    const f = s.events.p[k]! * 289 + Math.floor(s.events.y[k]! / 2) * 17 + Math.floor(s.events.x[k]! / 2);
    let expect = 0;
    for (let j = 0; j < s.events.t.length; j++) {
      const tj = Math.min(29, Math.floor((s.events.t[j]! * 30) / 315_000));
      const fj = s.events.p[j]! * 289 + Math.floor(s.events.y[j]! / 2) * 17 + Math.floor(s.events.x[j]! / 2);
      if (tj === t && fj === f) expect++;
    }
    assert.equal(x[(t * 2 + b) * F + f], expect);
  });
});

test("neuronsPerStep: the scaled DVS conv net (32×32, 4 blocks) has 4·16² + 8·8² + 16·4² + 32·4² + 11 neurons; a forward agrees", () => {
  const cfg = dvsConvConfig({ size: 32, cIn: 2, base: 4, layers: 4, classes: 11 }, DEFAULT_NEURON);
  assert.equal(neuronsPerStep(cfg), 4 * 256 + 8 * 64 + 16 * 16 + 32 * 16 + 11);
  const small = dvsConvConfig({ size: 8, cIn: 2, base: 2, layers: 2, classes: 3 }, DEFAULT_NEURON);
  const model = buildWithWeights(small, "exodus", initWeights(small, 1, 2));
  let counted = 0;
  tidy(() =>
    noGrad(() => {
      model.forward(tensor(new Float32Array(2 * 1 * 2 * 8 * 8).fill(1), [2, 1, 2, 8, 8]));
      for (const m of model.layers) if (m instanceof SpikingLayer) counted += m.lastSpikes!.size / 2;
    }),
  );
  assert.equal(neuronsPerStep(small), counted);
});

test("shared initial weights: every engine's model holds the same Gaussian weights (std gain/√fanIn); the neurons keep their own τ", () => {
  const cfg = mlpConfig([64, 32, 4], DEFAULT_NEURON, { readout: true, loss: { name: "ce-max" } });
  const w = initWeights(cfg, 7, [2, 1]);
  const a = buildWithWeights(cfg, "exodus", w);
  const b = buildWithWeights(mlpConfig([64, 32, 4], { ...DEFAULT_NEURON, tauMem: 50 }, { readout: true, loss: { name: "ce-max" } }), "bptt", w);
  const wa = synapticWeights(a);
  const wb = synapticWeights(b);
  assert.deepEqual(wa.map(([n]) => n), ["0.weight", "2.weight"]);
  wa.forEach(([, t], i) => assert.deepEqual(Array.from(t.dataSync()), Array.from(wb[i]![1].dataSync())));
  const { sd } = meanSd(Array.from(wa[0]![1].dataSync()));
  assert.ok(Math.abs(sd - 2 / Math.sqrt(64)) < 0.05 * (2 / Math.sqrt(64)), `layer-1 std ${sd}`);
  const tau = b.namedParameters().find(([n]) => n === "1.tauMem")![1];
  assert.equal(tau.dataSync()[0], 50);
  assert.equal(tau.requiresGrad, false, "τ is fixed in the paper's networks (trainTau: false)");
});

/** Class k fires channels 4k..4k+3 at 60 %, the rest at 5 %; records the batches it encodes. */
class RecordingTask implements Task {
  readonly name = "recording";
  readonly inputShape = [12];
  readonly classes = 3;
  readonly T = 8;
  readonly description = "test task";
  readonly batches: number[][] = [];
  constructor(private readonly n: number) {}
  size(_split: Split): number {
    return this.n;
  }
  label(_split: Split, i: number): number {
    return i % 3;
  }
  encode(split: Split, idx: readonly number[], rng: Rng): Float32Array {
    if (split === "train") this.batches.push([...idx]);
    const B = idx.length;
    const out = new Float32Array(this.T * B * 12);
    idx.forEach((i, b) => {
      for (let t = 0; t < this.T; t++) for (let c = 0; c < 12; c++) out[(t * B + b) * 12 + c] = rng.random() < (Math.floor(c / 4) === i % 3 ? 0.6 : 0.05) ? 1 : 0;
    });
    return out;
  }
}

test("fitSteps: batches follow Rng(seed)'s per-epoch shuffle with the partial batch dropped, runs are deterministic, and it learns", () => {
  const cfg = mlpConfig([12, 16, 3], { ...DEFAULT_NEURON, tauMem: 5 }, { readout: true, loss: { name: "ce-max" } });
  const w = initWeights(cfg, 3, [3, 1]);
  const run = () => {
    const task = new RecordingTask(30);
    const model = buildWithWeights(cfg, "exodus", w);
    const losses = fitSteps(model, task, { optimizer: new Adam(model.parameters(), { lr: 0.02 }), loss: cfg.loss, epochs: 6, batchSize: 8, seed: 42 });
    return { task, losses, acc: accuracyOf(model, task, "test", cfg.loss), w: Array.from(synapticWeights(model)[0]![1].dataSync()) };
  };
  const r1 = run();
  const order = Array.from({ length: 30 }, (_, i) => i);
  const rng = new Rng(42);
  const expected: number[][] = [];
  for (let e = 0; e < 6; e++) {
    rng.shuffle(order);
    for (let b = 0; b + 8 <= 30; b += 8) expected.push(order.slice(b, b + 8));
  }
  assert.deepEqual(r1.task.batches, expected);
  const r2 = run();
  assert.deepEqual(r2.losses, r1.losses);
  assert.deepEqual(r2.w, r1.w);
  assert.ok(r1.losses.at(-1)! < r1.losses[0]!, `losses ${r1.losses}`);
  assert.ok(r1.acc > 0.8, `accuracy ${r1.acc}`);
  assert.throws(() => fitSteps(buildWithWeights(cfg, "exodus", w), new RecordingTask(4), { optimizer: new Adam([], { lr: 1 }), loss: cfg.loss, epochs: 1, batchSize: 8, seed: 0 }), ConfigError);
});

test("countBaseline: near-perfect when the classes differ in spike counts", () => {
  assert.ok(countBaseline(new RecordingTask(60)) > 0.9);
});
