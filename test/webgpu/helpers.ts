/**
 * Shared helpers for the webgpu suite: start the backend (skip outside CI only when no adapter exists;
 * in CI a missing adapter fails), random inputs from a printed seed, and run-a-kernel-on-both-backends
 * comparison against the ref oracle.
 */
import type { TestContext } from "node:test";
import { BackendUnavailableError } from "../../src/errors.js";
import type { FArray, KernelName } from "../../src/kernels/contract.js";
import { refArrayKernels } from "../../src/kernels/ref/index.js";
import { WebGpuBackend } from "../../src/kernels/webgpu/backend.js";
import { Rng } from "../../src/util/rng.js";

export const SEED = Number(process.env.EXODUS_SEED ?? Math.floor(Math.random() * 2 ** 31));
export const inCI = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";

let started: Promise<WebGpuBackend | null> | null = null;

/** The shared backend, or null (suite skipped) when no adapter is found outside CI. */
export function backend(): Promise<WebGpuBackend | null> {
  started ??= WebGpuBackend.create().then(
    (b) => {
      const i = b.adapterInfo;
      console.log(`# webgpu adapter: ${i ? `${i.vendor} ${i.architecture} ${i.device} ${i.description}` : "(no info)"}; seed ${SEED} (EXODUS_SEED=${SEED} reproduces)`);
      return b;
    },
    (e: unknown) => {
      if (e instanceof BackendUnavailableError && !inCI) {
        console.log(`# webgpu suite skipped: ${e.message}`);
        return null;
      }
      throw e;
    },
  );
  return started;
}

/** Gets the backend or skips the test (only allowed outside CI; see backend()). */
export async function need(t: TestContext): Promise<WebGpuBackend | null> {
  const b = await backend();
  if (!b) t.skip("no WebGPU adapter (outside CI)");
  return b;
}

export function rng(salt: number): Rng {
  return new Rng((SEED + Math.imul(salt, 0x9e3779b1)) >>> 0);
}

export function randn(r: Rng, n: number, scale = 1, shift = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = shift + scale * r.normal();
  return a;
}

export function uniform(r: Rng, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform(lo, hi);
  return a;
}

export interface Tol {
  rtol: number;
  /** absolute tolerance as a fraction of max |want| */
  atolRel: number;
  /** absolute floor (for results near 0 whose error scales with the input, e.g. log near 1) */
  atol?: number;
}
export const EXACT: Tol = { rtol: 0, atolRel: 0 };

/** Largest violations of |got − want| ≤ atol + rtol·|want|; "" when all pass. NaN matches NaN. */
export function compare(got: FArray, want: FArray, tol: Tol, label: string): string {
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i]!)) maxAbs = Math.max(maxAbs, Math.abs(want[i]!));
  const atol = Math.max(tol.atolRel * maxAbs, tol.atol ?? 0);
  let bad = 0;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue;
    const err = Math.abs(g - w);
    if (!(err <= atol + tol.rtol * Math.abs(w))) {
      bad++;
      if (first < 0) first = i;
      worst = Math.max(worst, err);
    }
  }
  if (got.length < want.length) return `${label}: got ${got.length} values, want ${want.length}`;
  return bad === 0
    ? ""
    : `${label}: ${bad}/${want.length} differ; first at ${first}: got ${got[first]} want ${want[first]}; worst |err| ${worst} (atol ${atol})`;
}

/**
 * Runs kernel `name` on ref and on webgpu with the same buffers (all given with initial contents, so
 * in-place and accumulate kernels work), then compares the `outs` buffers. Returns the ref outputs.
 */
export async function both(
  b: WebGpuBackend,
  name: KernelName,
  bufs: Record<string, Float32Array>,
  at: object,
  outs: Record<string, Tol>,
): Promise<{ ref: Record<string, Float32Array>; gpu: Record<string, FArray>; errors: string[] }> {
  const ref: Record<string, Float32Array> = {};
  for (const k in bufs) ref[k] = bufs[k]!.slice();
  (refArrayKernels[name] as (io: object, at: object) => void)(ref, at);
  const handles: Record<string, ReturnType<WebGpuBackend["alloc"]>> = {};
  for (const k in bufs) {
    handles[k] = b.alloc("float32", bufs[k]!.length);
    b.upload(handles[k]!, bufs[k]!);
  }
  (b.kernels[name] as (io: object, at: object) => void)(handles, at);
  const gpu: Record<string, FArray> = {};
  const errors: string[] = [];
  for (const k in outs) {
    gpu[k] = await b.download(handles[k]!);
    const e = compare(gpu[k]!, ref[k]!, outs[k]!, `${name}.${k}`);
    if (e) errors.push(e);
  }
  for (const k in handles) b.free(handles[k]!);
  return { ref, gpu, errors };
}
