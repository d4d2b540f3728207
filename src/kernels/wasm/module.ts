/**
 * Loading the kernel module: reads build/<variant>[-mt].wasm through the host (platform/), prefers the
 * relaxed-SIMD build (FMA) when this runtime validates it. Synchronous where the host allows it (Node, a
 * browser worker that already has the bytes), asynchronous everywhere.
 */
import { platform } from "#platform";
import { ConfigError } from "../../errors.js";
import { WA, type WasmModule } from "./abi.js";

export type WasmVariant = "relaxed" | "simd";

const fileName = (v: WasmVariant, threaded: boolean): string => `${v}${threaded ? "-mt" : ""}.wasm`;

/** Whether the relaxed build validates here (turning on the runtime's flag for it once if needed). */
function relaxedValidates(bytes: Uint8Array): boolean {
  if (WA.validate(bytes)) return true;
  return platform.enableRelaxedSimd() && WA.validate(bytes);
}

function notFound(e: unknown): ConfigError {
  return new ConfigError(
    `wasm backend: kernel module not found (${(e as Error).message}); run 'npm run build:wasm' (in a browser: serve ` +
      `the .wasm files next to exodus-snn.js or pass wasmBase) or use setBackend("ref")`,
  );
}

/** The bytes of the chosen variant (the relaxed one when preferred and valid here). */
function choose(prefer: WasmVariant | "auto", simd: Uint8Array, relaxed: Uint8Array | null): { bytes: Uint8Array; variant: WasmVariant } {
  if (prefer !== "simd") {
    if (relaxed && relaxedValidates(relaxed)) return { bytes: relaxed, variant: "relaxed" };
    if (prefer === "relaxed") throw new ConfigError("wasm backend: relaxed SIMD is not supported by this runtime; use variant 'simd' or 'auto'");
  }
  return { bytes: simd, variant: "simd" };
}

/** Reads and compiles the kernel module now; a ConfigError where this host cannot (use loadWasmModuleAsync). */
export function loadWasmModule(prefer: WasmVariant | "auto" = "auto", threaded = false): { module: WasmModule; variant: WasmVariant } {
  let simd: Uint8Array | null;
  try {
    simd = platform.readKernelFileSync(fileName("simd", threaded));
  } catch (e) {
    throw notFound(e);
  }
  if (!simd) throw syncUnavailable();
  let relaxed: Uint8Array | null = null;
  if (prefer !== "simd") try { relaxed = platform.readKernelFileSync(fileName("relaxed", threaded)); } catch { /* plain SIMD only */ }
  const { bytes, variant } = choose(prefer, simd, relaxed);
  const module = platform.compileSync(bytes);
  if (!module) throw syncUnavailable();
  return { module, variant };
}

function syncUnavailable(): ConfigError {
  return new ConfigError(
    `wasm backend: this ${platform.name} thread cannot load the kernel module synchronously; ` +
      `use 'await setBackend("wasm")' (or createWasmBackend()) before the first tensor`,
  );
}

/** Reads and compiles the kernel module without blocking; `base`: where the .wasm files are (browser). */
export async function loadWasmModuleAsync(prefer: WasmVariant | "auto" = "auto", threaded = false, base?: string | URL):
  Promise<{ module: WasmModule; variant: WasmVariant }> {
  const [simd, relaxed] = await Promise.all([
    platform.readKernelFile(fileName("simd", threaded), base).catch((e: unknown) => { throw notFound(e); }),
    prefer === "simd" ? null : platform.readKernelFile(fileName("relaxed", threaded), base).catch(() => null),
  ]);
  const { bytes, variant } = choose(prefer, simd, relaxed);
  return { module: await platform.compile(bytes), variant };
}
