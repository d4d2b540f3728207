/**
 * The wasm backend's host in a browser: the kernel module fetched from next to the bundle, compiled
 * asynchronously (a page's main thread may not compile a module this size synchronously), kernel threads
 * as Blob-URL Web Workers. See api.ts.
 */
import type { Platform, ThreadData, ThreadHandle, WasmModuleHandle } from "./api.js";

interface WasmCompile {
  Module: new (bytes: Uint8Array) => WasmModuleHandle;
  compile(bytes: Uint8Array): Promise<WasmModuleHandle>;
}
interface WorkerLike {
  postMessage(data: unknown): void;
  terminate(): void;
  addEventListener(type: "error", fn: () => void): void;
}
interface BrowserGlobals {
  WebAssembly: WasmCompile;
  document?: unknown;
  navigator?: { hardwareConcurrency?: number };
  fetch(url: URL): Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
  Blob: new (parts: string[], opts: { type: string }) => object;
  URL: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  Worker: new (url: string) => WorkerLike;
}
const g = globalThis as unknown as BrowserGlobals;

/** A window has a document; a dedicated worker does not. Only the window's main thread may not block. */
const onMainThread = (): boolean => typeof g.document !== "undefined";

// The body waits for its data in the first message; a worker started from a worker only comes up once the
// parent returns to its event loop, which is why the backend awaits the handshake (threads.ts ready()).
const browserWrapper = (body: string): string => `self.onmessage = (e) => { self.onmessage = null; (${body})(e.data); };`;

export const platform: Platform = {
  name: "browser",
  readKernelFileSync: () => null,
  async readKernelFile(file: string, base?: string | URL): Promise<Uint8Array> {
    const url = new URL(file, base ?? import.meta.url);
    const res = await g.fetch(url);
    if (!res.ok) throw new Error(`GET ${url.href}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  },
  compileSync: (bytes) => (onMainThread() ? null : new g.WebAssembly.Module(bytes)),
  compile: (bytes) => g.WebAssembly.compile(bytes),
  enableRelaxedSimd: () => false,
  defaultThreads: () => (onMainThread() ? 1 : Math.max(1, Math.min(8, g.navigator?.hardwareConcurrency ?? 1))),
  canBlock: () => !onMainThread(),
  env: () => undefined,
  startThread(body: string, data: ThreadData, onError: () => void): ThreadHandle {
    const url = g.URL.createObjectURL(new g.Blob([browserWrapper(body)], { type: "text/javascript" }));
    const worker = new g.Worker(url);
    worker.addEventListener("error", onError);
    worker.postMessage(data);
    return {
      terminate(): void {
        worker.terminate();
        g.URL.revokeObjectURL(url);
      },
    };
  },
  warn: (message) => console.warn(message),
};
