/**
 * Backend discovery and kernel dispatch. `run` calls the backend's own kernel, or — for a backend without
 * it whose memory can be viewed (CPU) — the ref kernel on the same memory; otherwise it throws
 * UnsupportedKernelError naming the backends that have the kernel.
 */
import { BackendUnavailableError, ConfigError, NumericalError, UnsupportedKernelError } from "../errors.js";
import { kernelsOverViews } from "./array-backend.js";
import {
  ALL_KERNELS,
  type Backend,
  type BackendName,
  type Buf,
  type KernelAttrs,
  type KernelIo,
  type KernelName,
  type Kernels,
} from "./contract.js";
import { RefBackend } from "./ref/backend.js";
import { refArrayKernels } from "./ref/index.js";

type Factory = () => Backend | Promise<Backend>;

const factories = new Map<BackendName, Factory>();
const instances = new Map<BackendName, Backend>();
let current: Backend | null = null;

export function registerBackend(name: BackendName, factory: Factory): void {
  factories.set(name, factory);
}

registerBackend("ref", () => new RefBackend());

/** Returns a started backend, creating it on first use. */
export async function getBackendAsync(name: BackendName): Promise<Backend> {
  const have = instances.get(name);
  if (have) return have;
  // The GPU backend is loaded on demand so Node without a GPU never loads Dawn.
  if (name === "webgpu" && !factories.has("webgpu")) await import("./webgpu/backend.js");
  if (name === "wasm" && !factories.has("wasm")) await import("./wasm/backend.js");
  const f = factories.get(name);
  if (!f) {
    throw new BackendUnavailableError(
      `backend '${name}' is not registered; known: ${[...factories.keys()].join(", ")}` +
        (name === "webgpu" ? ` (import "exodus-snn/webgpu" or call await setBackend("webgpu"))` : ""),
    );
  }
  const b = await f();
  instances.set(name, b);
  return b;
}

/** Synchronous lookup; works for backends already started (and for ref/wasm, which start synchronously). */
export function getBackend(name: BackendName): Backend {
  const have = instances.get(name);
  if (have) return have;
  const f = factories.get(name);
  if (!f) throw new BackendUnavailableError(`backend '${name}' is not registered`);
  const b = f();
  if (b instanceof Promise) {
    throw new ConfigError(`backend '${name}' starts asynchronously: use 'await setBackend("${name}")' first`);
  }
  instances.set(name, b);
  return b;
}

/** Selects the default backend for new tensors. */
export async function setBackend(name: BackendName): Promise<Backend> {
  current = await getBackendAsync(name);
  return current;
}

/** Synchronous variant for CPU backends. */
export function setBackendSync(name: BackendName): Backend {
  current = getBackend(name);
  return current;
}

/** The default backend: wasm when it is registered and loads, else ref. */
export function currentBackend(): Backend {
  if (current) return current;
  current = factories.has("wasm") ? getBackend("wasm") : getBackend("ref");
  return current;
}

const viewFallbacks = new WeakMap<Backend, Partial<Kernels>>();

// Check mode (EXODUS_CHECK=1): after every kernel on a CPU backend, scan its buffers for NaN/Inf and name
// the first kernel where one appears — a wrong training run becomes a named kernel (style.md §11).
const checkMode = typeof process !== "undefined" && !!process.env?.EXODUS_CHECK && process.env.EXODUS_CHECK !== "0";

function checkBuffers(backend: Backend, name: string, io: Record<string, Buf | undefined>): void {
  if (!backend.view) return;
  for (const key in io) {
    const b = io[key];
    if (!b) continue;
    const v = backend.view(b);
    for (let i = 0; i < b.length; i++) {
      if (!Number.isFinite(v[i]!)) {
        throw new NumericalError(`check mode: after kernel '${name}' on backend '${backend.name}', buffer '${key}' holds ${v[i]} at index ${i}`);
      }
    }
  }
}

/** Runs kernel `name` on `backend`. */
export function run<K extends KernelName>(backend: Backend, name: K, io: KernelIo<K>, at: KernelAttrs<K>): void {
  if (checkMode) {
    runUnchecked(backend, name, io, at);
    checkBuffers(backend, name, io as Record<string, Buf | undefined>);
    return;
  }
  runUnchecked(backend, name, io, at);
}

function runUnchecked<K extends KernelName>(backend: Backend, name: K, io: KernelIo<K>, at: KernelAttrs<K>): void {
  const own = backend.kernels[name] as ((io: KernelIo<K>, at: KernelAttrs<K>) => void) | undefined;
  if (own) return own.call(backend.kernels, io, at);
  if (backend.view) {
    let fb = viewFallbacks.get(backend);
    if (!fb) {
      fb = kernelsOverViews(refArrayKernels, (b) => backend.view!(b));
      viewFallbacks.set(backend, fb);
    }
    return (fb[name] as (io: KernelIo<K>, at: KernelAttrs<K>) => void)(io, at);
  }
  const availableOn = [...instances.values()].filter((b) => b.kernels[name]).map((b) => b.name);
  throw new UnsupportedKernelError(name, backend.name, availableOn);
}

/** Which kernels each started backend implements natively: the support matrix. */
export function supportMatrix(): Record<string, Record<string, boolean>> {
  const out: Record<string, Record<string, boolean>> = {};
  for (const k of ALL_KERNELS) {
    out[k] = {};
    for (const [n, b] of instances) out[k][n] = !!b.kernels[k];
  }
  return out;
}

export type { Buf };
