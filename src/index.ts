/**
 * exodus-snn public API. Nothing is defined here and nothing runs at import; this file only re-exports.
 * The default backend (wasm, ref for float64) comes from kernels/registry.ts.
 */

export * from "./core.js";
export * as data from "./data/index.js";
export * as train from "./train/index.js";
export { toNIR, fromNIR, type ToNIROptions, type FromNIROptions, TARGETS as NIR_TARGETS, type TargetName as NirTargetName } from "./nir/index.js";
