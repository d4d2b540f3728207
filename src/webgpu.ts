/**
 * `exodus-snn/webgpu`: registers the WebGPU backend (Dawn via the optional `webgpu` package). Importing
 * it is optional — `await setBackend("webgpu")` loads it on demand — but it lets bundlers see the edge.
 */
export { createWebGpuBackend } from "./kernels/webgpu/backend.js";
export * from "./index.js";
