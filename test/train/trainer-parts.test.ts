/**
 * The Trainer's parts (train/step.ts, metrics.ts, seeds.ts) without a GPU. The device read policy runs on
 * a ref backend whose synchronous read is taken away, standing in for webgpu: it must give the host
 * policy's numbers (exactly without clipping; to float64 rounding with it, where the norm is summed on the
 * device), read back once per step (twice with clipping), and still stop on a non-finite gradient naming the
 * parameter. Metrics and seed derivation are checked against hand-computed values.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { NumericalError } from "../../src/errors.js";
import type { Buf, FArray } from "../../src/kernels/contract.js";
import { RefBackend } from "../../src/kernels/ref/backend.js";
import { registerBackend, setBackend, setBackendSync } from "../../src/kernels/registry.js";
import { assignInPlace } from "../../src/tensor/ops/index.js";
import { Tally } from "../../src/train/metrics.js";
import { buildModel, presetConfig } from "../../src/train/models/presets.js";
import { deriveSeed, epochBatches } from "../../src/train/seeds.js";
import { readsOnHost } from "../../src/train/step.js";
import { createTask } from "../../src/train/tasks/index.js";
import { Trainer, type EpochMetrics, type TrainConfig } from "../../src/train/trainer.js";

/** A ref backend that reads only asynchronously, as webgpu does, and counts its downloads. */
class AsyncOnlyRef extends RefBackend {
  downloads = 0;
  override async download(buf: Buf): Promise<FArray> {
    this.downloads++;
    return this.view(buf).slice();
  }
}
const device = new AsyncOnlyRef();
Object.defineProperty(device, "downloadSync", { value: undefined });
// the registry knows backends by name; the stand-in takes webgpu's
registerBackend("webgpu", () => device);

const task = await createTask("toy");
const timeless = (h: EpochMetrics[]) => h.map(({ samples_per_second: _s, epoch_seconds: _e, eval_seconds: _v, ...rest }) => rest);

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    task: "toy", T: task.T, modelName: "tiny", model: presetConfig("tiny", task), gradient: "exodus", epochs: 2, batchSize: 16, lr: 0.02,
    seed: 3, optimizer: "adam", schedule: "cosine", device: "ref", dtype: "float64", ...over,
  };
}

async function train(onDevice: boolean, cfg: TrainConfig, steps?: number[]): Promise<{ tr: Trainer; weights: number[][] }> {
  if (onDevice) await setBackend("webgpu");
  else setBackendSync("ref");
  const tr = new Trainer(buildModel(cfg.model, { gradient: cfg.gradient, seed: cfg.seed, dtype: cfg.dtype }), task, cfg, null, {
    onStep: () => steps?.push(device.downloads),
  });
  await tr.fit();
  const weights = await Promise.all(tr.model.parameters().map(async (p) => Array.from(await p.data())));
  return { tr, weights };
}

test("the stand-in reads like webgpu: asynchronously only", async () => {
  assert.equal(readsOnHost(device), false);
  assert.equal(readsOnHost(new RefBackend()), true);
});

test("device read policy = host read policy: the same numbers without clipping, to rounding with it", async () => {
  for (const over of [{}, { optimizer: "sgd", lr: 0.05, clipNorm: 0.5 }] as Partial<TrainConfig>[]) {
    const cfg = config(over);
    const host = await train(false, cfg);
    const dev = await train(true, cfg);
    const what = JSON.stringify(over);
    if (!cfg.clipNorm) {
      assert.deepEqual(timeless(dev.tr.state.history), timeless(host.tr.state.history), what);
      assert.deepEqual(dev.weights, host.weights, what);
    } else {
      const [h, d] = [host.tr.state.history, dev.tr.state.history];
      h.forEach((m, e) => {
        for (const k of ["train_loss", "test_loss", "train_accuracy", "test_accuracy"] as const) {
          assert.ok(Math.abs(d[e]![k] - m[k]) <= 1e-9 * Math.max(1, Math.abs(m[k])), `${what} epoch ${e + 1} ${k}: ${d[e]![k]} vs ${m[k]}`);
        }
      });
      host.weights.flat().forEach((w, i) => assert.ok(Math.abs(dev.weights.flat()[i]! - w) <= 1e-9 * Math.max(1, Math.abs(w)), `${what} weight ${i}`));
    }
    // the clipped run must differ from an unclipped one, or the comparison above says nothing about clipping
    if (cfg.clipNorm) assert.notDeepEqual(timeless((await train(false, { ...cfg, clipNorm: null })).tr.state.history), timeless(host.tr.state.history));
  }
});

test("a device step reads back once, twice with clipping", async () => {
  for (const [clipNorm, reads] of [[null, 1], [0.5, 2]] as const) {
    const at: number[] = [];
    await train(true, config({ epochs: 1, clipNorm }), at);
    const perStep = at.slice(1).map((n, i) => n - at[i]!);
    assert.ok(perStep.length >= 3);
    assert.deepEqual(perStep, perStep.map(() => reads), `clipNorm ${clipNorm}: downloads per step ${perStep}`);
  }
});

test("on the device path a poisoned weight still stops the run and names the parameter (with and without clipping)", async () => {
  for (const clipNorm of [null, 0.5]) {
    await setBackend("webgpu");
    const cfg = config({ epochs: 1, clipNorm });
    const tr = new Trainer(buildModel(cfg.model, { gradient: "exodus", seed: 3, dtype: "float64" }), task, cfg, null);
    const w = tr.model.parameters()[0]!;
    const d = Array.from(await w.data());
    d[0] = Number.NaN;
    assignInPlace(w, d);
    // a NaN input to a LIF layer spikes nowhere, so the loss stays finite and the gradient carries the NaN
    // (CPU backends stop earlier, in the layer's own state check, which needs synchronous reads)
    await assert.rejects(tr.fit(), (e: unknown) => e instanceof NumericalError && /^epoch 1, step 1: the gradient of parameter '[^?']+' holds NaN\/Inf/.test(e.message));
  }
});

test("Tally: a tie for the top score is wrong, confusion rows are true labels, spikes per neuron per sample", () => {
  const spiking = [["1:LIF", null], ["3:LIF", null]] as unknown as ConstructorParameters<typeof Tally>[0];
  const t = new Tally(spiking, 3, true);
  // batch 1: sample 0 right (label 2), sample 1 a tie between classes 0 and 1 (label 0: wrong, counted as predicted 0)
  t.add({ loss: 0.5, scores: Float32Array.from([0, 1, 5, 2, 2, 1]), classes: 3, spikes: [10, 4] }, [2, 0]);
  // batch 2: one sample, label 1, predicted 0
  t.add({ loss: 2, scores: Float32Array.from([3, 1, 0]), classes: 3, spikes: [5, 2] }, [1]);
  assert.equal(t.seen, 3);
  assert.equal(t.correct, 1);
  assert.equal(t.loss, (0.5 * 2 + 2) / 3);
  assert.equal(t.accuracy, 1 / 3);
  assert.deepEqual(t.confusion, [[1, 0, 0], [1, 0, 0], [0, 0, 1]]);
  assert.deepEqual(t.spikesPerNeuron([5, 2]), { "1:LIF": 15 / (3 * 5), "3:LIF": 6 / (3 * 2) });
});

test("seeds: deriveSeed is pinned (changing it changes every run), epoch batches are a seeded permutation", () => {
  assert.deepEqual([deriveSeed(5, 0, 1), deriveSeed(5, 3, 3001), deriveSeed(0xffffffff, 7, 4)], [2091309811, 1170548760, 1267758132]);
  const b0 = epochBatches(50, 16, 9, 0);
  assert.deepEqual(b0.map((b) => b.length), [16, 16, 16, 2]);
  assert.deepEqual(b0.flat().sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(epochBatches(50, 16, 9, 0), b0);
  assert.notDeepEqual(epochBatches(50, 16, 9, 1), b0);
  assert.notDeepEqual(epochBatches(50, 16, 10, 0), b0);
});
