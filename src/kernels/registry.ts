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
import { WasmBackend, createWasmBackend } from "./wasm/backend.js";

/** Options a loader may use: wasm reads threads, variant and (browser) wasmBase; others ignore them. */
export interface BackendOptions {
  threads?: number;
  variant?: "relaxed" | "simd" | "auto";
  /** Browser: the URL the wasm backend's .wasm files are served from (default: next to the bundle). */
  wasmBase?: string | URL;
}

type Factory = (opts: BackendOptions) => Backend | Promise<Backend>;

/**
 * The name → loader table. Sync loaders serve currentBackend()/getBackend() (CPU backends, where the host
 * can load them now: wasm in Node); the async one works everywhere. WebGPU is imported on demand so Node
 * without a GPU never loads Dawn.
 */
const syncLoaders: Partial<Record<BackendName, (opts: BackendOptions) => Backend>> = {
  ref: () => new RefBackend(),
  wasm: (opts) => new WasmBackend(opts),
};
const asyncLoaders: Record<BackendName, (opts: BackendOptions) => Promise<Backend>> = {
  ref: async () => new RefBackend(),
  wasm: (opts) => createWasmBackend(opts),
  webgpu: async () => (await import("./webgpu/backend.js")).createWebGpuBackend(),
};

const overrides = new Map<BackendName, Factory>();
const instances = new Map<BackendName, Backend>();
let current: Backend | null = null;

/** Replaces the loader of `name` (a custom build, fixed options); applies to instances not yet started. */
export function registerBackend(name: BackendName, factory: Factory): void {
  overrides.set(name, factory);
}

/** Returns a started backend, creating it on first use (or anew when `opts` are given). */
export async function getBackendAsync(name: BackendName, opts?: BackendOptions): Promise<Backend> {
  const have = instances.get(name);
  if (have && !opts) return have;
  const make = overrides.get(name) ?? asyncLoaders[name];
  if (!make) throw new BackendUnavailableError(`backend '${name}' is unknown; known: ${Object.keys(asyncLoaders).join(", ")}`);
  const b = await make(opts ?? {});
  instances.set(name, b);
  return b;
}

/** Synchronous lookup; works for backends already started, and for ref and (in Node) wasm. */
export function getBackend(name: BackendName, opts?: BackendOptions): Backend {
  const have = instances.get(name);
  if (have && !opts) return have;
  const make = overrides.get(name) ?? syncLoaders[name];
  if (!make) throw new ConfigError(`backend '${name}' starts asynchronously: use 'await setBackend("${name}")' first`);
  const b = make(opts ?? {});
  if (b instanceof Promise) {
    throw new ConfigError(`backend '${name}' starts asynchronously: use 'await setBackend("${name}")' first`);
  }
  instances.set(name, b);
  return b;
}

/** Selects the default backend for new tensors; `opts` start a fresh instance with them. */
export async function setBackend(name: BackendName, opts?: BackendOptions): Promise<Backend> {
  current = await getBackendAsync(name, opts);
  return current;
}

/** Synchronous variant for CPU backends. */
export function setBackendSync(name: BackendName, opts?: BackendOptions): Backend {
  current = getBackend(name, opts);
  return current;
}

/** The default backend: the one set, else wasm (loaded now where the host allows it: Node). */
export function currentBackend(): Backend {
  if (current) return current;
  current = getBackend("wasm");
  return current;
}

const viewFallbacks = new WeakMap<Backend, Partial<Kernels>>();

// Check mode (EXODUS_CHECK=1): after every kernel on a CPU backend, scan its buffers for NaN/Inf and name
// the first kernel where one appears — a wrong training run becomes a named kernel.
const checkEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.EXODUS_CHECK;
const checkMode = !!checkEnv && checkEnv !== "0";

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
