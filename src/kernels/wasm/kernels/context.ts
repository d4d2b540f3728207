/**
 * What a family of wasm kernel adapters (the files beside this one) works with: the module's exports, the
 * heap that owns linear memory, the thread split, and the backend's tuning overrides. backend.ts builds one
 * per backend and merges the families' kernels.
 */
import type { WasmExports } from "../abi.js";
import type { WasmHeap } from "../heap.js";
import type { Parallel } from "../parallel.js";

/** Per-backend overrides that tests and benches set on WasmBackend (read at every call). */
export interface WasmTuning {
  /** Overrides the spike-sparse density thresholds (gemm-sparse.ts, conv2d.ts): tests force either path. */
  readonly sparseDensityMax: number | undefined;
  /** Overrides the smallest call worth splitting across threads (parallel.ts; 0: split every call). */
  readonly parallelMinWork: number | undefined;
}

export interface WasmContext {
  readonly ex: WasmExports;
  readonly heap: WasmHeap;
  readonly par: Parallel;
  readonly tuning: WasmTuning;
}
