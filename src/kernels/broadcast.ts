/**
 * Numpy broadcasting shared by every backend: the scalar function of each binary op (also used for a
 * scalar-by-scalar expand) and the right-aligned strides of a broadcast operand.
 */
import type { BinaryOp } from "./contract.js";

export function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case "add": return (a, b) => a + b;
    case "sub": return (a, b) => a - b;
    case "mul": return (a, b) => a * b;
    case "div": return (a, b) => a / b;
    case "max": return (a, b) => (a >= b ? a : b);
    case "min": return (a, b) => (a <= b ? a : b);
    case "gt": return (a, b) => (a > b ? 1 : 0);
    case "ge": return (a, b) => (a >= b ? 1 : 0);
    case "eq": return (a, b) => (a === b ? 1 : 0);
    case "pow": return (a, b) => Math.pow(a, b);
  }
}

/** Strides of `shape` right-aligned into `out` (rank of out); broadcast dimensions get stride 0. */
export function broadcastStrides(shape: number[], out: number[]): number[] {
  const r = out.length;
  const st = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = r - shape.length + i;
    st[j] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i]!;
  }
  return st;
}
