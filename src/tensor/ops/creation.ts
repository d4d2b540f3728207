/** Creating tensors: from data, constants, random; copies and detaching. */
import type { Backend, BackendName, DType } from "../../kernels/contract.js";
import { currentBackend, getBackend } from "../../kernels/registry.js";
import { ShapeError } from "../../errors.js";
import type { Rng } from "../../util/rng.js";
import { record } from "../autograd.js";
import { fmt, numel } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { empty, emptyLike, kernel } from "./core.js";

export interface TensorOptions {
  dtype?: DType;
  backend?: Backend | BackendName;
  requiresGrad?: boolean;
  name?: string;
}

function resolve(opts: TensorOptions): { dtype: DType; backend: Backend } {
  const backend =
    typeof opts.backend === "string" ? getBackend(opts.backend) : (opts.backend ?? currentBackend());
  return { dtype: opts.dtype ?? "float32", backend };
}

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  if (opts.name) t.name = opts.name;
  return t;
}

type Nested = number | readonly Nested[];

function flatten(x: Nested, shape: number[], out: number[], depth: number): void {
  if (typeof x === "number") {
    out.push(x);
    return;
  }
  if (shape.length <= depth) shape.push(x.length);
  else if (shape[depth] !== x.length) throw new ShapeError(`ragged nested array at depth ${depth}`);
  for (const v of x) flatten(v, shape, out, depth + 1);
}

/** A tensor from a flat array (with shape) or nested arrays. */
export function tensor(data: ArrayLike<number> | Nested, shape?: readonly number[], opts: TensorOptions = {}): Tensor {
  let flat: ArrayLike<number>;
  let shp: number[];
  if (typeof data === "number") {
    flat = [data];
    shp = shape ? [...shape] : [];
  } else if (Array.isArray(data) && data.length > 0 && Array.isArray(data[0])) {
    const s: number[] = [];
    const out: number[] = [];
    flatten(data as Nested, s, out, 0);
    flat = out;
    shp = shape ? [...shape] : s;
  } else {
    flat = data as ArrayLike<number>;
    shp = shape ? [...shape] : [flat.length];
  }
  if (numel(shp) !== flat.length) {
    throw new ShapeError(`tensor(): ${flat.length} values do not fill shape ${fmt(shp)} (${numel(shp)} elements)`);
  }
  const { dtype, backend } = resolve(opts);
  const t = empty(shp, dtype, backend);
  if (flat.length) backend.upload(t.buf, flat);
  return finish(t, opts);
}

export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  const { dtype, backend } = resolve(opts);
  const t = empty(shape, dtype, backend);
  kernel(backend, "fill", { y: t.buf }, { n: t.size, value });
  return finish(t, opts);
}

export const zeros = (shape: readonly number[], opts: TensorOptions = {}): Tensor => full(shape, 0, opts);
export const ones = (shape: readonly number[], opts: TensorOptions = {}): Tensor => full(shape, 1, opts);

export function fullLike(t: Tensor, value: number): Tensor {
  const y = emptyLike(t);
  kernel(t.backend, "fill", { y: y.buf }, { n: y.size, value });
  return y;
}
export const zerosLike = (t: Tensor): Tensor => fullLike(t, 0);
export const onesLike = (t: Tensor): Tensor => fullLike(t, 1);

/** Normal(0, std²) samples from a seeded Rng. */
export function randn(shape: readonly number[], rng: Rng, std = 1, opts: TensorOptions = {}): Tensor {
  const n = numel(shape);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal() * std;
  return tensor(d, shape, opts);
}

/** Uniform [lo, hi) samples from a seeded Rng. */
export function uniform(shape: readonly number[], rng: Rng, lo = 0, hi = 1, opts: TensorOptions = {}): Tensor {
  const n = numel(shape);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(lo, hi);
  return tensor(d, shape, opts);
}

/** A differentiable copy (new memory). */
export function clone(x: Tensor): Tensor {
  const y = emptyLike(x);
  kernel(x.backend, "copy", { x: x.buf, y: y.buf }, { n: x.size, srcOffset: 0, dstOffset: 0 });
  record("clone", [x], [y], ([g]) => [g!]);
  return y;
}

/** Same memory, no gradient link. */
export function detach(x: Tensor): Tensor {
  return x.shareAs(x.shape);
}

/** Copies a tensor to another backend / dtype (no gradient link). */
export function to(x: Tensor, backend: Backend | BackendName, dtype: DType = x.dtype): Tensor {
  const data = x.dataSync();
  return tensor(data, x.shape, { backend, dtype });
}
