/**
 * Adapts kernels written over typed arrays (ArrayKernels) to the Buf-based contract, given a way to view
 * a buffer as an array. Used by the ref backend (arrays on the JS heap) and by CPU backends whose memory
 * is a JS ArrayBuffer (wasm linear memory), so any kernel they lack runs as ref code on the same memory.
 */
import type { ArrayKernels, Buf, FArray, KernelName, Kernels } from "./contract.js";

export function kernelsOverViews<K extends KernelName>(
  arrays: Pick<ArrayKernels, K>,
  view: (b: Buf) => FArray,
): Pick<Kernels, K> {
  const out: Partial<Record<KernelName, unknown>> = {};
  for (const name of Object.keys(arrays) as K[]) {
    const fn = arrays[name] as (io: Record<string, FArray | undefined>, at: unknown) => void;
    out[name] = (io: Record<string, Buf | undefined>, at: unknown) => {
      const views: Record<string, FArray | undefined> = {};
      for (const key in io) {
        const b = io[key];
        views[key] = b === undefined ? undefined : view(b);
      }
      fn(views, at);
    };
  }
  return out as Pick<Kernels, K>;
}
