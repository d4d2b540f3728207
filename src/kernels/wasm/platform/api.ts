/**
 * What the wasm backend needs from its host, and nothing else: reading the kernel module, compiling it,
 * the default thread count, an environment variable, starting a kernel thread, a warning. `#platform`
 * (package.json "imports") picks node.ts or browser.ts; both are leaves that import no project code, so a
 * bundler or tsx may load either from src/ or dist/ without two copies of a class.
 */
export type WasmModuleHandle = object;

/** What a kernel thread receives at start: the compiled module, the shared memory, its control words. */
export interface ThreadData {
  module: WasmModuleHandle;
  memory: object;
  ctrl: SharedArrayBuffer;
  args: SharedArrayBuffer;
  names: readonly string[];
}

export interface ThreadHandle {
  terminate(): void;
}

export interface Platform {
  /** "node" or "browser": for messages. */
  readonly name: string;
  /** The bytes of build/<file>, or null where files cannot be read synchronously (browsers). */
  readKernelFileSync(file: string): Uint8Array | null;
  /** The bytes of build/<file> (Node) or of <base>/<file>, base defaulting to the bundle's own URL (browser). */
  readKernelFile(file: string, base?: string | URL): Promise<Uint8Array>;
  /** Compiles now, or returns null where synchronous compilation is not allowed (a page's main thread). */
  compileSync(bytes: Uint8Array): WasmModuleHandle | null;
  compile(bytes: Uint8Array): Promise<WasmModuleHandle>;
  /** Turns on relaxed SIMD where the runtime has it behind a flag (Node 20); false when nothing changed. */
  enableRelaxedSimd(): boolean;
  /** Kernel threads when the caller names none: Node all cores (≤ 8); a page's main thread 1, a worker all cores. */
  defaultThreads(): number;
  /** Whether this thread may block in Atomics.wait (not a page's main thread). */
  canBlock(): boolean;
  env(name: string): string | undefined;
  /** Starts a thread that runs `body` (a function source taking ThreadData) on `data`. */
  startThread(body: string, data: ThreadData, onError: () => void): ThreadHandle;
  warn(message: string): void;
}
