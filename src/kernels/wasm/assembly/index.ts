// Entry point of the wasm kernel module (AssemblyScript): re-exports every kernel. Built by
// scripts/build-wasm.mjs (plain and relaxed SIMD, each single- and multi-threaded), loaded by ../module.ts.
// Kernels never allocate: the JS heap (../heap.ts) owns linear memory and hands them byte offsets of its
// blocks, starting at heapBase().
export { gemm, gemmScratchBytes, gemmSparseA, gemmSparseAT, countNonzero, countNonzeroTo, transposeBlocks } from "./gemm";
export { lifForward } from "./lif-forward";
export { lifBackward } from "./lif-backward";
export { lifScratchBytes } from "./scan";
export { leakyForward, leakyBackward } from "./leaky";
export { fillF32, copyF32, unary, binary, reduce, softmaxCrossEntropy, surrogateGrad, spikeFn } from "./elementwise";
export { adamUpdate, sgdUpdate } from "./optim";
export { im2col, col2im, pool2d, pool2dBackward, conv2dSparse, conv2dSparseFilter, conv2dBatch, conv2dBackwardDataBatch, conv2dBackwardFilterBatch } from "./conv";

/** First byte after the module's static data: where the JS allocator may start. */
export function heapBase(): usize {
  return __heap_base;
}
