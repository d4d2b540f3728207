/**
 * The training loop end to end on the tiny synthetic task (ref backend): it must learn with each gradient
 * engine, be deterministic for a seed, resume from a checkpoint to exactly the uninterrupted result
 * (weights, optimizer state and metric history, with dropout exercising the RNG), and name the layer or
 * parameter when numbers go non-finite.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { NumericalError } from "../../src/errors.js";
import { setBackendSync } from "../../src/kernels/registry.js";
import type { GradientEngine } from "../../src/neurons/dynamics.js";
import { buildModel, presetConfig, type ModelConfig } from "../../src/train/models/presets.js";
import { createTask } from "../../src/train/tasks/index.js";
import { Trainer, type EpochMetrics, type TrainConfig } from "../../src/train/trainer.js";

setBackendSync("ref");
const dir = mkdtempSync(join(tmpdir(), "exodus-trainer-"));

const toyTask = await createTask("toy");

function config(gradient: GradientEngine, over: Partial<TrainConfig> = {}, model?: ModelConfig): TrainConfig {
  const task = toyTask;
  return {
    task: "toy", T: task.T, modelName: "tiny", model: model ?? presetConfig("tiny", task), gradient, epochs: 6, batchSize: 16, lr: 0.02,
    seed: 5, optimizer: "adam", schedule: "cosine", device: "ref", ...over,
  };
}

async function run(cfg: TrainConfig, out: string | null = null): Promise<Trainer> {
  const tr = new Trainer(buildModel(cfg.model, { gradient: cfg.gradient, seed: cfg.seed }), await createTask(cfg.task, { T: cfg.T }), cfg, out);
  await tr.fit();
  return tr;
}

const timeless = (h: EpochMetrics[]) => h.map(({ samples_per_second: _s, epoch_seconds: _e, eval_seconds: _v, ...rest }) => rest);

for (const g of ["exodus", "bptt", "slayer"] as const) {
  test(`a tiny network learns the toy task with ${g} gradients (loss falls, accuracy far above chance)`, async () => {
    const tr = await run(config(g));
    const h = tr.state.history;
    assert.equal(h.length, 6);
    assert.ok(h[h.length - 1]!.train_loss < 0.5 * h[0]!.train_loss, `loss ${h[0]!.train_loss} → ${h[h.length - 1]!.train_loss}`);
    assert.ok(h[h.length - 1]!.test_accuracy >= 0.8, `test accuracy ${h[h.length - 1]!.test_accuracy} (chance 0.33)`);
    assert.ok(Object.values(h[0]!.spikes_per_neuron).every((v) => v > 0 && Number.isFinite(v)));
  });
}

test("same seed → identical numbers; another seed → different numbers", async () => {
  const a = await run(config("exodus", { epochs: 2 }));
  const b = await run(config("exodus", { epochs: 2 }));
  const c = await run(config("exodus", { epochs: 2, seed: 6 }));
  assert.deepEqual(timeless(a.state.history), timeless(b.state.history));
  a.model.parameters().forEach((p, i) => assert.deepEqual(Array.from(p.dataSync()), Array.from(b.model.parameters()[i]!.dataSync())));
  assert.notDeepEqual(timeless(a.state.history), timeless(c.state.history));
});

test("--resume equals an uninterrupted run: weights, optimizer state and metrics (with dropout and SGD momentum)", async () => {
  const task = await createTask("toy");
  const model: ModelConfig = {
    inputShape: task.inputShape, classes: 3, loss: { name: "ce-count" },
    layers: [{ type: "linear", in: 12, out: 16 }, { type: "lif", tauMem: 5, normInput: false, spikeThreshold: 0.5 }, { type: "dropout", p: 0.2 },
      { type: "linear", in: 16, out: 3 }, { type: "lif", tauMem: 5, normInput: false, spikeThreshold: 0.5 }],
  };
  for (const optimizer of ["adamw", "sgd"] as const) {
    const cfg = config("exodus", { epochs: 4, optimizer, lr: optimizer === "sgd" ? 0.05 : 0.02 }, model);
    const full = await run(cfg, join(dir, `full-${optimizer}`));
    // interrupted after 2 epochs, then a fresh model and trainer continue from the checkpoint
    const out = join(dir, `resumed-${optimizer}`);
    const first = new Trainer(buildModel(model, { gradient: "exodus", seed: cfg.seed }), await createTask("toy"), cfg, out);
    await first.fit(2);
    const second = new Trainer(buildModel(model, { gradient: "exodus", seed: 999 }), await createTask("toy"), cfg, out);
    assert.equal(second.resume(), true);
    assert.equal(second.state.epoch, 2);
    await second.fit();
    full.model.namedParameters().forEach(([n, p], i) => assert.deepEqual(Array.from(second.model.parameters()[i]!.dataSync()), Array.from(p.dataSync()), `${optimizer}: ${n}`));
    full.optimizer.stateBuffers().forEach(([n, t], i) => assert.deepEqual(Array.from(second.optimizer.stateBuffers()[i]![1].dataSync()), Array.from(t.dataSync()), `${optimizer}: ${n}`));
    assert.deepEqual(timeless(second.state.history), timeless(full.state.history));
    assert.equal(second.state.step, full.state.step);
    // metrics.jsonl holds one line per epoch across the interruption
    assert.equal(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").length, 4);
  }
});

test("a NaN is caught early and the error names the layer or parameter", async () => {
  const cfg = config("exodus", { epochs: 1, lr: 1e30 });
  const tr = new Trainer(buildModel(cfg.model, { gradient: "exodus", seed: 5 }), await createTask("toy"), cfg, null);
  // poison one weight: the forward of layer 0 turns non-finite
  const w = tr.model.parameters()[0]!;
  const d = Array.from(w.dataSync());
  d[0] = Number.NaN;
  w.backend.upload(w.buf, d);
  await assert.rejects(tr.fit(), (e: unknown) => e instanceof NumericalError && /layer/.test(e.message));
});

test("memory stays flat across training steps (every step runs in a tidy scope)", async () => {
  const cfg = config("exodus", { epochs: 4 });
  const tr = new Trainer(buildModel(cfg.model, { gradient: "exodus", seed: 5 }), await createTask("toy"), cfg, null);
  await tr.fit(1);
  const after1 = tr.model.parameters()[0]!.backend.memoryStats().bytesInUse;
  await tr.fit(4);
  const after4 = tr.model.parameters()[0]!.backend.memoryStats().bytesInUse;
  assert.equal(after4, after1, `bytes in use grew from ${after1} to ${after4}`);
});
