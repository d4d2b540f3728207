/**
 * Shared plumbing for the op files: allocate an output on the inputs' backend, run a kernel through the
 * registry, check that inputs live on one backend with one dtype.
 */
import type { Backend, DType, KernelAttrs, KernelIo, KernelName } from "../../kernels/contract.js";
import { run } from "../../kernels/registry.js";
import { ConfigError } from "../../errors.js";
import { Storage, Tensor } from "../tensor.js";
import { checkShape, numel } from "../shape.js";

export function empty(shape: readonly number[], dtype: DType, backend: Backend): Tensor {
  checkShape(shape);
  if (!backend.dtypes.includes(dtype)) {
    throw new ConfigError(
      `backend '${backend.name}' does not support ${dtype} (it supports ${backend.dtypes.join(", ")}); ` +
        `use the 'ref' backend for float64`,
    );
  }
  const buf = backend.alloc(dtype, Math.max(1, numel(shape)));
  return new Tensor([...shape], dtype, new Storage(backend, buf));
}

export function emptyLike(t: Tensor, shape: readonly number[] = t.shape): Tensor {
  return empty(shape, t.dtype, t.backend);
}

export function kernel<K extends KernelName>(backend: Backend, name: K, io: KernelIo<K>, at: KernelAttrs<K>): void {
  run(backend, name, io, at);
}

export function sameDevice(op: string, ...ts: Tensor[]): void {
  const a = ts[0]!;
  for (const t of ts) {
    if (t.backend !== a.backend) {
      throw new ConfigError(`${op}: inputs live on different backends (${a.backend.name} and ${t.backend.name}); move them first`);
    }
    if (t.dtype !== a.dtype) {
      throw new ConfigError(`${op}: inputs have different dtypes (${a.dtype} and ${t.dtype}); convert one of them`);
    }
  }
}
