/**
 * The wasm backend's host on Node: files from build/ next to this directory, eager TurboFan compilation
 * through V8 flags, worker_threads for kernel threads. See api.ts.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import v8 from "node:v8";
import { Worker } from "node:worker_threads";
import type { Platform, ThreadData, ThreadHandle, WasmModuleHandle } from "./api.js";

interface WasmCompile {
  Module: new (bytes: Uint8Array) => WasmModuleHandle;
}
const WA = (globalThis as unknown as { WebAssembly: WasmCompile }).WebAssembly;

const fileUrl = (file: string): URL => new URL(`../build/${file}`, import.meta.url);

/**
 * Compiles every function with V8's optimizing compiler (TurboFan) now. By default V8 compiles each function
 * lazily with its baseline compiler (Liftoff) and tiers up only after enough execution, but a kernel call
 * that loops over a whole [T, N] sequence runs to its end in the code it started in: a training run's first
 * step took 4.4 s instead of 0.5 s (2×(Linear+LIF), N = 1024, T = 500, B = 16), and every short run (tests,
 * one-epoch jobs) paid that. Eager TurboFan compilation of this ~80 KB module takes ≈ 40 ms. The flags are
 * process-wide, so V8's defaults are restored right after (other modules, e.g. h5wasm, compile as before)
 * unless the process was started with them changed.
 */
function compileOptimized(bytes: Uint8Array): WasmModuleHandle {
  const user = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  const restore = ["--liftoff", "--wasm-lazy-compilation"].filter((f) => !user.some((u) => u.replace("--no-", "--") === f));
  try {
    v8.setFlagsFromString("--no-liftoff");
    v8.setFlagsFromString("--no-wasm-lazy-compilation");
  } catch { /* not V8: compile as the runtime does */ }
  try {
    return new WA.Module(bytes);
  } finally {
    for (const f of restore) try { v8.setFlagsFromString(f); } catch { /* as above */ }
  }
}

let relaxedFlagSet = false;

// The thread body arrives as source; this wrapper hands it workerData. Plain CommonJS (eval), so it runs
// the same under tsx and from dist/ with no file to resolve.
const nodeWrapper = (body: string): string => `const { workerData } = require("node:worker_threads");\n(${body})(workerData);`;

export const platform: Platform = {
  name: "node",
  readKernelFileSync: (file) => readFileSync(fileUrl(file)),
  readKernelFile: async (file) => readFile(fileUrl(file)),
  compileSync: compileOptimized,
  compile: async (bytes) => compileOptimized(bytes),
  enableRelaxedSimd(): boolean {
    // Node 20 (V8 11.3) ships relaxed SIMD behind a flag, which must be set before the module is compiled.
    if (relaxedFlagSet) return false;
    relaxedFlagSet = true;
    try {
      v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
      return true;
    } catch {
      return false;
    }
  },
  defaultThreads: () => Math.min(8, availableParallelism()),
  canBlock: () => true,
  env: (name) => process.env[name],
  startThread(body: string, data: ThreadData, onError: () => void): ThreadHandle {
    // execArgv: [] — the worker is plain CommonJS; the parent's flags (--input-type=module, loaders) must not apply.
    const worker = new Worker(nodeWrapper(body), { eval: true, execArgv: [], workerData: data });
    worker.on("error", onError);
    // Workers park in Atomics.wait between calls; they must not keep the process alive.
    worker.unref();
    return { terminate: () => void worker.terminate() };
  },
  warn: (message) => process.emitWarning(message),
};
