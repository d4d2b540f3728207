/**
 * Checkpoints of a run: model.safetensors (parameters and buffers under their PyTorch-style names, loadable
 * with safetensors.torch.load_file), optimizer.safetensors (moment/momentum buffers) and state.json (epoch,
 * step, metric history, RNG scheme). Each file is written atomically; both safetensors files carry the step
 * in their metadata and loading checks that all three agree, so a crash mid-save is detected, not resumed.
 * The `…Async` savers read with `await tensor.data()` and so also work on backends without synchronous
 * reads (webgpu); loading only uploads and works everywhere.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, FormatError } from "../errors.js";
import type { FArray } from "../kernels/contract.js";
import type { Module } from "../layers/module.js";
import { assignInPlace } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Optimizer } from "./optim.js";
import { writeFileAtomic } from "../util/write-file-atomic.js";
import { loadSafetensors, saveSafetensors, type StTensor } from "./safetensors.js";

function toSt(t: Tensor, d: FArray = t.dataSync()): StTensor {
  return t.dtype === "float64"
    ? { dtype: "F64", shape: [...t.shape], data: d instanceof Float64Array ? d : Float64Array.from(d) }
    : { dtype: "F32", shape: [...t.shape], data: d instanceof Float32Array ? d : Float32Array.from(d) };
}

/** Parameters and buffers by name. */
export function stateDict(model: Module): Map<string, StTensor> {
  const m = new Map<string, StTensor>();
  for (const [n, p] of model.namedParameters()) m.set(n, toSt(p));
  for (const [n, b] of model.namedBuffers()) m.set(n, toSt(b));
  return m;
}

/** stateDict for any backend (reads with `await tensor.data()`). */
export async function stateDictAsync(model: Module): Promise<Map<string, StTensor>> {
  const m = new Map<string, StTensor>();
  for (const [n, t] of [...model.namedParameters(), ...model.namedBuffers()]) m.set(n, toSt(t, await t.data()));
  return m;
}

/** Copies values into the model's parameters and buffers (names and shapes must match). */
export function loadStateDict(model: Module, tensors: ReadonlyMap<string, StTensor>, file = "<state dict>"): void {
  const targets = [...model.namedParameters(), ...model.namedBuffers()];
  for (const [name, t] of targets) {
    const s = tensors.get(name);
    if (!s) throw new FormatError(file, `tensor "${name}"`, "a tensor for every model parameter", `missing; the file has ${[...tensors.keys()].join(", ")}`);
    if (s.shape.length !== t.shape.length || s.shape.some((d, i) => d !== t.shape[i])) {
      throw new FormatError(file, `tensor "${name}"`, `shape [${t.shape}]`, `got [${s.shape}]`);
    }
    assignInPlace(t, s.data);
  }
}

export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
}

export function saveModelWeights(path: string, model: Module, metadata: Record<string, string> = {}): void {
  saveSafetensors(path, stateDict(model), { format: "pt", ...metadata });
}

export async function saveModelWeightsAsync(path: string, model: Module, metadata: Record<string, string> = {}): Promise<void> {
  saveSafetensors(path, await stateDictAsync(model), { format: "pt", ...metadata });
}

export function saveCheckpoint(dir: string, model: Module, opt: Optimizer | null, state: CheckpointState): void {
  mkdirSync(dir, { recursive: true });
  const meta = { step: String(state.step), epoch: String(state.epoch) };
  saveModelWeights(join(dir, "model.safetensors"), model, meta);
  if (opt) {
    const bufs = new Map<string, StTensor>();
    for (const [n, t] of opt.stateBuffers()) bufs.set(n, toSt(t));
    saveSafetensors(join(dir, "optimizer.safetensors"), bufs, { ...meta, optimizerStep: String(opt.stepCount) });
  }
  // state.json last: its presence with a matching step marks the checkpoint complete
  writeFileAtomic(join(dir, "state.json"), JSON.stringify(state, null, 1) + "\n");
}

/** saveCheckpoint for any backend (reads with `await tensor.data()`); the same files, written in the same order. */
export async function saveCheckpointAsync(dir: string, model: Module, opt: Optimizer | null, state: CheckpointState): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const meta = { step: String(state.step), epoch: String(state.epoch) };
  await saveModelWeightsAsync(join(dir, "model.safetensors"), model, meta);
  if (opt) {
    const bufs = new Map<string, StTensor>();
    for (const [n, t] of opt.stateBuffers()) bufs.set(n, toSt(t, await t.data()));
    saveSafetensors(join(dir, "optimizer.safetensors"), bufs, { ...meta, optimizerStep: String(opt.stepCount) });
  }
  writeFileAtomic(join(dir, "state.json"), JSON.stringify(state, null, 1) + "\n");
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, "state.json")) && existsSync(join(dir, "model.safetensors"));
}

/** Loads model weights (and optimizer state when `opt` is given); returns state.json. */
export function loadCheckpoint<S extends CheckpointState>(dir: string, model: Module, opt: Optimizer | null): S {
  if (!hasCheckpoint(dir)) throw new ConfigError(`no checkpoint in ${dir} (expected state.json and model.safetensors)`);
  const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as S;
  const mfile = join(dir, "model.safetensors");
  const m = loadSafetensors(mfile);
  if (m.metadata["step"] !== String(state.step)) {
    throw new FormatError(mfile, "__metadata__.step", `step ${state.step} (state.json)`, `got ${m.metadata["step"]}: an interrupted save; rerun from an earlier checkpoint`);
  }
  loadStateDict(model, m.tensors, mfile);
  if (opt) {
    const ofile = join(dir, "optimizer.safetensors");
    if (!existsSync(ofile)) throw new ConfigError(`checkpoint ${dir} has no optimizer.safetensors; cannot resume training exactly`);
    const o = loadSafetensors(ofile);
    if (o.metadata["step"] !== String(state.step)) throw new FormatError(ofile, "__metadata__.step", `step ${state.step}`, `got ${o.metadata["step"]}`);
    opt.loadStateBuffers(new Map([...o.tensors].map(([k, v]) => [k, v.data])), Number(o.metadata["optimizerStep"] ?? state.step));
  }
  return state;
}
