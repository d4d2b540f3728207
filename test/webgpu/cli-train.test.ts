/**
 * Issue 6's "done means": the same model trains on `--device webgpu` and `--device wasm` with matching
 * losses, through the real CLI (spawned with tsx) on a few hundred MNIST digits. Also: eval and --resume on
 * webgpu (checkpoints written with async reads, loaded by upload), one read-back per training step, and a
 * usage error (exit 2) naming what to install when Dawn finds no adapter.
 *
 * Tolerances. Both backends run the same float32 math from the same weights, data and shuffles; they differ
 * only in summation order inside gemm/reductions (≈1e-7 relative per op), and in the host-side float64 vs
 * device-side float32 sum of the gradient norm that --clip uses. Those differences reach the loss through a
 * few dozen Adam steps and, rarely, a spike whose membrane potential lies within rounding of the threshold.
 * Measured on lavapipe: per-epoch losses agree to ≤ 1.4e-5 relative (printed per epoch), so rel 1e-3 keeps
 * a ~70× margin while still catching any real kernel or trainer difference (a wrong kernel moves the loss by
 * percent). Accuracies are counts over 128–256 samples; a borderline sample may flip, so they may differ by
 * at most 2 samples.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { getBackendAsync, setBackend } from "../../src/kernels/registry.js";
import { buildModel, presetConfig } from "../../src/train/models/presets.js";
import { createTask } from "../../src/train/tasks/index.js";
import { Trainer, type EpochMetrics, type TrainConfig } from "../../src/train/trainer.js";
import { backend, need } from "./helpers.js";

let usedRegistry = false;
after(async () => {
  (await backend())?.dispose();
  if (usedRegistry) (await getBackendAsync("webgpu")).dispose();
});

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "exodus-webgpu-cli-"));
const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, encoding: "utf8", env });
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, number | string>;
const metrics = (out: string) => readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as EpochMetrics);

const RTOL = 1e-3;
const near = (a: number, b: number, rtol = RTOL) => Math.abs(a - b) <= rtol * Math.abs(b) + 1e-7;

function train(device: string, out: string, args: string[]): Record<string, number | string> {
  const r = cli(["train", ...args, "--device", device, "--out", out, "--no-progress"]);
  assert.equal(r.status, 0, `train --device ${device}: exit ${r.status}\n${r.stderr}`);
  const res = lastJson(r.stdout);
  assert.equal(res.device, device);
  return res;
}

test("mnist: the same model trains on --device webgpu and --device wasm with matching per-epoch losses; eval on webgpu reads the run back", async (t) => {
  if (!(await need(t))) return;
  const TRAIN = 256, TEST = 128;
  const args = ["--task", "mnist-rate", "--limit-train", String(TRAIN), "--limit-test", String(TEST), "--steps", "10", "--hidden", "64",
    "--epochs", "2", "--batch-size", "64", "--lr", "5e-3", "--seed", "1", "--clip", "1"];
  const gpuOut = join(dir, "mnist-webgpu"), cpuOut = join(dir, "mnist-wasm");
  const gpuRes = train("webgpu", gpuOut, args);
  train("wasm", cpuOut, args);
  const gpu = metrics(gpuOut), cpu = metrics(cpuOut);
  assert.equal(gpu.length, 2);
  assert.equal(cpu.length, 2);
  for (let e = 0; e < 2; e++) {
    const g = gpu[e]!, c = cpu[e]!;
    console.log(`# epoch ${e + 1}: train loss webgpu ${g.train_loss.toFixed(7)} wasm ${c.train_loss.toFixed(7)} (rel ${(Math.abs(g.train_loss - c.train_loss) / c.train_loss).toExponential(1)}); ` +
      `test loss webgpu ${g.test_loss.toFixed(7)} wasm ${c.test_loss.toFixed(7)} (rel ${(Math.abs(g.test_loss - c.test_loss) / c.test_loss).toExponential(1)}); ` +
      `test acc ${g.test_accuracy} / ${c.test_accuracy}`);
    assert.ok(near(g.train_loss, c.train_loss), `epoch ${e + 1} train loss: webgpu ${g.train_loss} vs wasm ${c.train_loss}`);
    assert.ok(near(g.test_loss, c.test_loss), `epoch ${e + 1} test loss: webgpu ${g.test_loss} vs wasm ${c.test_loss}`);
    assert.ok(Math.abs(g.train_accuracy - c.train_accuracy) * TRAIN <= 2.5, `epoch ${e + 1} train accuracy: ${g.train_accuracy} vs ${c.train_accuracy}`);
    assert.ok(Math.abs(g.test_accuracy - c.test_accuracy) * TEST <= 2.5, `epoch ${e + 1} test accuracy: ${g.test_accuracy} vs ${c.test_accuracy}`);
    assert.equal(g.lr, c.lr);
    for (const [k, v] of Object.entries(c.spikes_per_neuron)) assert.ok(near(g.spikes_per_neuron[k]!, v, 1e-2), `epoch ${e + 1} spikes ${k}: ${g.spikes_per_neuron[k]} vs ${v}`);
  }
  for (const f of ["report.html", "model.safetensors", "checkpoint/model.safetensors", "checkpoint/optimizer.safetensors", "checkpoint/state.json"]) assert.ok(existsSync(join(gpuOut, f)), f);
  // eval on webgpu: the checkpoint's weights give the run's final test metrics again (same backend, same math)
  const e = cli(["eval", "--checkpoint", gpuOut, "--device", "webgpu"]);
  assert.equal(e.status, 0, e.stderr);
  const ev = lastJson(e.stdout);
  assert.equal(ev.device, "webgpu");
  assert.ok(near(ev.test_loss as number, gpuRes.test_loss as number, 1e-6), `eval ${ev.test_loss} vs train ${gpuRes.test_loss}`);
  assert.equal(ev.test_accuracy, gpuRes.test_accuracy);
});

test("webgpu: --resume continues from the checkpoint to the uninterrupted run's numbers", async (t) => {
  if (!(await need(t))) return;
  // constant lr: with cosine, a run started with --epochs 1 has another schedule than the 3-epoch run
  const args = ["--task", "toy", "--model", "tiny", "--batch-size", "16", "--lr", "0.02", "--seed", "3", "--schedule", "constant"];
  const full = join(dir, "toy-full"), part = join(dir, "toy-part");
  train("webgpu", full, [...args, "--epochs", "3"]);
  train("webgpu", part, [...args, "--epochs", "1"]);
  const r = cli(["train", "--resume", "--out", part, "--epochs", "3", "--no-progress"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(lastJson(r.stdout).device, "webgpu", "the run's device is kept on resume");
  const a = metrics(full), b = metrics(part);
  assert.equal(b.length, 3);
  a.forEach((m, i) => {
    assert.ok(near(b[i]!.train_loss, m.train_loss, 1e-6) && near(b[i]!.test_loss, m.test_loss, 1e-6), `epoch ${i + 1}: resumed ${b[i]!.train_loss}/${b[i]!.test_loss} vs ${m.train_loss}/${m.test_loss}`);
    assert.equal(b[i]!.test_accuracy, m.test_accuracy);
  });
});

test("webgpu: a training step reads back once (metrics packed), evaluation once per batch", async (t) => {
  if (!(await need(t))) return;
  usedRegistry = true;
  const be = await setBackend("webgpu");
  const task = await createTask("toy");
  const model = presetConfig("tiny", task);
  const cfg: TrainConfig = { task: "toy", T: task.T, modelName: "tiny", model, gradient: "exodus", epochs: 1, batchSize: 16, lr: 0.02, seed: 3, optimizer: "adam", schedule: "cosine", device: "webgpu" };
  const tr = new Trainer(buildModel(model, { gradient: "exodus", seed: 3 }), task, cfg, null);
  const download = be.download.bind(be);
  let reads = 0;
  be.download = (b) => (reads++, download(b));
  try {
    await tr.fit();
  } finally {
    be.download = download;
  }
  const steps = Math.ceil(task.size("train") / 16), evalBatches = Math.ceil(task.size("test") / 128);
  assert.equal(reads, steps + evalBatches, `${reads} reads for ${steps} steps + ${evalBatches} eval batches`);
  assert.ok(tr.state.history[0]!.train_loss > 0 && Number.isFinite(tr.state.history[0]!.test_loss));
});

test("--device webgpu without an adapter: BackendUnavailableError naming the driver to install, exit 2, no stack trace", { skip: process.platform !== "linux" && "Vulkan loader env only on Linux" }, () => {
  const out = join(dir, "no-adapter");
  const r = cli(["train", "--task", "toy", "--epochs", "1", "--device", "webgpu", "--out", out, "--no-progress"], { ...process.env, VK_ICD_FILENAMES: join(dir, "no-such-icd.json") });
  assert.equal(r.status, 2, `exit ${r.status}\n${r.stderr}`);
  assert.match(r.stderr, /BackendUnavailableError: --device webgpu: (no WebGPU adapter found.*mesa-vulkan-drivers|.*npm install webgpu)/);
  // (Dawn's own warnings cite .cpp lines; a JS stack trace would cite .ts/.js files)
  assert.doesNotMatch(r.stderr, /\n\s+at .*\.[cm]?[jt]s:\d+/, "stack trace printed");
  assert.ok(!existsSync(out), "no run directory for a run that never started");
});
