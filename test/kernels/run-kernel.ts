/**
 * Runs one kernel of a backend on host arrays: uploads the inputs and the outputs' initial contents (garbage,
 * or the accumulator of an accumulating kernel), runs it, and returns every buffer's contents afterwards
 * (inputs too, for in/out kernels), then frees them.
 */
import type { Backend, Buf, KernelName } from "../../src/kernels/contract.js";

export function runKernel(be: Backend, kernel: KernelName, inputs: Record<string, Float32Array>,
  outputs: Record<string, Float32Array>, attrs: unknown): Record<string, Float32Array> {
  const io: Record<string, Buf> = {};
  for (const [k, v] of [...Object.entries(inputs), ...Object.entries(outputs)]) {
    io[k] = be.alloc("float32", v.length);
    be.upload(io[k]!, v);
  }
  (be.kernels[kernel] as unknown as (io: Record<string, Buf>, at: unknown) => void)(io, attrs);
  const res: Record<string, Float32Array> = {};
  for (const k of Object.keys(io)) res[k] = be.downloadSync!(io[k]!) as Float32Array;
  for (const b of Object.values(io)) be.free(b);
  return res;
}
