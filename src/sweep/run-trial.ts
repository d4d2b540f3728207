/**
 * One trial = one normal training run in its own run directory inside the shared store: config.json,
 * per-epoch checkpoints, metrics.jsonl, report.html, model.safetensors, like `exodus-snn train --out`.
 * A directory that already holds a checkpoint is resumed (the Trainer is deterministic across epoch
 * boundaries, so the result equals an uninterrupted run). attempts.jsonl records who started the trial at
 * which epoch and who finished it: the audit trail for "resumed, and completed exactly once".
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import { finishRun, modelFor, readRunConfig, selectDevice, taskFor, writeRunConfig, type FinalResult } from "../train/run.js";
import { Trainer, type EpochMetrics } from "../train/trainer.js";
import { canonicalJson } from "../util/canonical-json.js";
import { trainConfigFor, type TrialSpec } from "./spec.js";

/** A trial's result: the fields of `exodus-snn train`'s result line, plus what the sweep adds. */
export type TrialResult = Pick<FinalResult, "test_accuracy" | "test_loss" | "train_accuracy" | "epochs" | "seconds" | "train_seconds" | "device" | "spikes_per_neuron"> & {
  history: EpochMetrics[];
  /** Epoch the last attempt started from (0: from scratch; > 0: resumed from a checkpoint). */
  resumed_from_epoch: number;
  worker: string;
  /** Final weights (safetensors, base64): the report needs no access to the store. */
  weights_base64: string;
};

export interface AttemptEvent {
  event: "start" | "finish";
  worker: string;
  epoch: number;
  time: string;
}

export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

export function readAttempts(runDir: string): AttemptEvent[] {
  const p = join(runDir, "attempts.jsonl");
  if (!existsSync(p)) return [];
  return readFileSync(p, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as AttemptEvent);
}

function logAttempt(runDir: string, e: AttemptEvent): void {
  // one short line per append: a killed process leaves whole lines behind
  appendFileSync(join(runDir, "attempts.jsonl"), JSON.stringify(e) + "\n");
}

export async function runTrial(spec: TrialSpec, runDir: string, hooks: { onEpoch?(m: EpochMetrics): void; worker?: string } = {}): Promise<TrialResult> {
  const start = performance.now();
  const worker = hooks.worker ?? workerName();
  const device = await selectDevice(spec.device);
  const cfg = await trainConfigFor(spec, device);
  mkdirSync(runDir, { recursive: true });
  if (existsSync(join(runDir, "config.json"))) {
    // a directory of another trial (a changed plan with a reused store path) must not be resumed
    const prev = readRunConfig(runDir).cfg;
    if (canonicalJson({ ...prev, device }) !== canonicalJson(cfg)) throw new ConfigError(`${runDir} holds a run with other settings; give the sweep another store directory or remove that run`);
  }
  writeRunConfig(runDir, cfg);
  const trainer = new Trainer(modelFor(cfg), await taskFor(cfg), cfg, runDir, { onEpoch: hooks.onEpoch });
  const from = trainer.resume() ? trainer.state.epoch : 0;
  logAttempt(runDir, { event: "start", worker, epoch: from, time: new Date().toISOString() });
  await trainer.fit();
  const r = await finishRun(trainer, runDir, cfg, start);
  logAttempt(runDir, { event: "finish", worker, epoch: trainer.state.epoch, time: new Date().toISOString() });
  return {
    test_accuracy: r.test_accuracy, test_loss: r.test_loss, train_accuracy: r.train_accuracy, epochs: r.epochs,
    seconds: r.seconds, train_seconds: r.train_seconds, device: r.device, spikes_per_neuron: r.spikes_per_neuron,
    history: trainer.state.history, resumed_from_epoch: from, worker,
    weights_base64: readFileSync(join(runDir, "model.safetensors")).toString("base64"),
  };
}
