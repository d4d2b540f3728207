/**
 * exodus-snn in a browser (`exodus-snn/browser`, built by scripts/build-browser.mjs into
 * dist/browser/exodus-snn.js): the library without its Node-only parts (dataset readers, files, the CLI).
 * Re-exports only. Start the wasm backend with `await setBackend("wasm", { threads })` (a page's main
 * thread: 1 thread; a worker of a cross-origin isolated page: more), or "webgpu" where navigator.gpu is.
 */

export * from "./errors.js";
export type {
  Backend, BackendName, Buf, DType, FArray, Kernels, KernelName, SurrogateSpec, MemoryStats,
} from "./kernels/contract.js";
export {
  currentBackend, getBackend, getBackendAsync, registerBackend, setBackend, setBackendSync, supportMatrix,
  type BackendOptions,
} from "./kernels/registry.js";
export { Tensor } from "./tensor/tensor.js";
export { tidy, tidyAsync, keep, dispose } from "./tensor/memory.js";
export { noGrad } from "./tensor/autograd.js";
export { backward, grad } from "./tensor/grad.js";
export * as ops from "./tensor/ops/index.js";
export {
  tensor, zeros, ones, full, randn, uniform, clone, detach,
  add, sub, mul, div, matmul, linear, conv2d, sumPool2d, avgPool2d, softmaxCrossEntropy,
  sum, mean, max, reshape, permute, transpose, exp, log, relu, sigmoid, tanh,
} from "./tensor/ops/index.js";
export {
  Module, Linear, Conv2d, SumPool2d, AvgPool2d, Flatten, Dropout, Sequential,
  type LinearOptions, type Conv2dOptions,
} from "./layers/index.js";
export { SGD, Adam, AdamW, Optimizer } from "./train/optim.js";
export { LIF, type LIFOptions } from "./neurons/lif.js";
export { IAF } from "./neurons/iaf.js";
export { ExpLeak, type ExpLeakOptions } from "./neurons/exp-leak.js";
export { SpikingLayer, type SpikingOptions } from "./neurons/spiking-layer.js";
export {
  Surrogate, SingleExponential, PeriodicExponential, Heaviside, Gaussian, MultiGaussian, surrogateFromSpec,
} from "./neurons/surrogates.js";
export { MultiSpike, SingleSpike, MaxSpike, SpikeFunction } from "./neurons/spikes.js";
export { MembraneSubtract, MembraneReset, type ResetMechanism } from "./neurons/reset.js";
export type { GradientEngine } from "./neurons/dynamics.js";
export { Rng, mulberry32 } from "./util/rng.js";
export { createWasmBackend } from "./kernels/wasm/backend.js";
export { type SgdOptions, type AdamOptions } from "./train/optim.js";
export {
  countCrossEntropy, maxOverTimeCrossEntropy, countMse, computeLoss, scoresOf, spikeCounts, LOSS_NAMES,
  type LossName, type LossSpec,
} from "./train/losses.js";
export { clipGradNorm, gradNorm } from "./train/clip.js";
export { lrAt, type Schedule, type CosineSchedule, type ConstantSchedule } from "./train/schedule.js";
export { encodeSafetensors, decodeSafetensors, type StTensor, type StDType } from "./train/safetensors-codec.js";
export { lineChart, rasterChart, histogramChart } from "./cli/report.js";
export { orderBurst, ORDER_BURST_CLASSES } from "./data/sim/order-burst.js";
