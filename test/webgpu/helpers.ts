/**
 * Shared helpers for the webgpu suite: start the backend (skip outside CI only when no adapter exists;
 * in CI a missing adapter fails) and random inputs from a printed seed. The kernel-by-kernel comparison
 * with ref is test/kernels/conformance.test.ts, which runs the same case table on every backend.
 */
import type { TestContext } from "node:test";
import { BackendUnavailableError } from "../../src/errors.js";
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
