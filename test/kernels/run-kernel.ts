/**
 * Runs one kernel of a backend on host arrays: uploads the inputs and the outputs' initial contents (garbage,
 * or the accumulator of an accumulating kernel), runs it, and returns every buffer's contents afterwards
 * (inputs too, for in/out kernels), then frees them. runKernel needs a CPU backend (downloadSync);
 * runKernelAsync works on every backend.
 */
import type { Backend, Buf, FArray, KernelName } from "../../src/kernels/contract.js";

function launch(be: Backend, kernel: KernelName, inputs: Record<string, Float32Array>,
  outputs: Record<string, Float32Array>, attrs: unknown): Record<string, Buf> {
  const io: Record<string, Buf> = {};
  for (const [k, v] of [...Object.entries(inputs), ...Object.entries(outputs)]) {
    io[k] = be.alloc("float32", v.length);
    be.upload(io[k]!, v);
  }
  (be.kernels[kernel] as unknown as (io: Record<string, Buf>, at: unknown) => void)(io, attrs);
  return io;
}

export function runKernel(be: Backend, kernel: KernelName, inputs: Record<string, Float32Array>,
  outputs: Record<string, Float32Array>, attrs: unknown): Record<string, Float32Array> {
  const io = launch(be, kernel, inputs, outputs, attrs);
  const res: Record<string, Float32Array> = {};
  for (const k of Object.keys(io)) res[k] = be.downloadSync!(io[k]!) as Float32Array;
  for (const b of Object.values(io)) be.free(b);
  return res;
}

export async function runKernelAsync(be: Backend, kernel: KernelName, inputs: Record<string, Float32Array>,
  outputs: Record<string, Float32Array>, attrs: unknown): Promise<Record<string, FArray>> {
  const io = launch(be, kernel, inputs, outputs, attrs);
  const res: Record<string, FArray> = {};
  for (const k of Object.keys(io)) res[k] = be.downloadSync ? be.downloadSync(io[k]!) : await be.download(io[k]!);
  for (const b of Object.values(io)) be.free(b);
  return res;
}
