/** Helpers shared by the ref kernels: float32 rounding per operation, so f32 results match op-by-op paths. */
import type { FArray } from "../contract.js";

const ident = (x: number): number => x;

/** Rounding applied after every arithmetic op when computing into a Float32Array. */
export function rounder(a: FArray): (x: number) => number {
  return a instanceof Float32Array ? Math.fround : ident;
}
