/**
 * What every entry point exports (Node's `exodus-snn`, the browser bundle `exodus-snn/browser`): tensors, autograd,
 * layers, neurons and their three gradient engines, optimizers, backends. Re-exports only; nothing runs at import.
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
export { StatefulLayer, type StatefulOptions } from "./neurons/stateful.js";
export type { Neuron, NeuronState, StepResult } from "./neurons/neuron.js";
export {
  Surrogate, SingleExponential, PeriodicExponential, Heaviside, Gaussian, MultiGaussian, surrogateFromSpec,
} from "./neurons/surrogates.js";
export { MultiSpike, SingleSpike, MaxSpike, SpikeFunction } from "./neurons/spikes.js";
export { MembraneSubtract, MembraneReset, type ResetMechanism } from "./neurons/reset.js";
export type { GradientEngine } from "./neurons/dynamics.js";
export { Rng, mulberry32 } from "./util/rng.js";
