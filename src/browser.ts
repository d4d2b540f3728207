/**
 * exodus-snn in a browser (`exodus-snn/browser`, built by scripts/build-browser.mjs into
 * dist/browser/exodus-snn.js): the library without its Node-only parts (dataset readers, files, the CLI).
 * Re-exports only. Start the wasm backend with `await setBackend("wasm", { threads })` (a page's main
 * thread: 1 thread; a worker of a cross-origin isolated page: more), or "webgpu" where navigator.gpu is.
 */

export * from "./core.js";
export { createWasmBackend } from "./kernels/wasm/backend.js";
export { type SgdOptions, type AdamOptions } from "./train/optim.js";
export {
  countCrossEntropy, maxOverTimeCrossEntropy, countMse, computeLoss, scoresOf, spikeCounts, LOSS_NAMES,
  type LossName, type LossSpec,
} from "./train/losses.js";
export { clipGradNorm, gradNorm } from "./train/clip.js";
export { lrAt, type Schedule, type CosineSchedule, type ConstantSchedule } from "./train/schedule.js";
export { encodeSafetensors, decodeSafetensors, type StTensor, type StDType } from "./train/safetensors-codec.js";
export { lineChart, rasterChart, histogramChart } from "./report/run-report.js";
export { orderBurst, ORDER_BURST_CLASSES } from "./data/sim/order-burst.js";
