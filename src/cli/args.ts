/**
 * What the commands share about their arguments: commander parsers for numeric flags (rejected while
 * parsing, with commander's usage message), checks for values a command reads later (a UsageError that
 * names the flag), the --device/--threads options of the commands that train or evaluate, and
 * selectCliDevice. Both kinds of rejection exit with code 2 (cli/main.ts).
 */
import { InvalidArgumentError, Option } from "commander";
import { BackendUnavailableError, UsageError } from "../errors.js";
import { selectDevice, type DeviceName } from "../train/run.js";

const INTEGER = /^\s*-?\d+\s*$/;

/** Commander parser: an integer ≥ min ("1e3", "2.0" and "" are refused: a count is written as digits). */
export function intArg(min: number): (v: string) => number {
  return (v: string): number => {
    const n = Number(v);
    if (!INTEGER.test(v) || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}, got '${v}'`);
    return n;
  };
}

/** Commander parser: a finite number > 0. */
export function posFloatArg(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}

/** Commander parser: a finite number ≥ 0. */
export function nonNegFloatArg(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got '${v}'`);
  return n;
}

/**
 * A flag's value read after parsing (a string default, or flags built from a table): an integer ≥ min
 * (any integer without min); undefined stays undefined. `flag` is written as the user types it ("--seed").
 */
export function intFlag(flag: string, v: string | number, min?: number): number;
export function intFlag(flag: string, v: unknown, min?: number): number | undefined;
export function intFlag(flag: string, v: unknown, min?: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!INTEGER.test(String(v)) || !Number.isInteger(n) || (min !== undefined && n < min)) {
    throw new UsageError(`${flag} must be an integer${min !== undefined ? ` ≥ ${min}` : ""}, got '${String(v)}'`);
  }
  return n;
}

/** A flag's value read after parsing: a finite number > 0; undefined stays undefined. */
export function posFloatFlag(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (String(v).trim() === "" || !(Number.isFinite(n) && n > 0)) throw new UsageError(`${flag} must be a positive number, got '${String(v)}'`);
  return n;
}

/** --device for the commands that train or evaluate. */
export function deviceOption(): Option {
  return new Option("--device <name>", "compute backend (auto: wasm if built, else ref; webgpu: GPU through Dawn, see docs/webgpu.md)")
    .choices(["auto", "wasm", "ref", "webgpu"])
    .default("auto");
}

/** --threads for the commands that run the wasm backend. */
export function threadsOption(): Option {
  return new Option("--threads <n>", "CPU kernel threads of the wasm backend (default: EXODUS_THREADS, else every core up to 8)").argParser(intArg(1));
}

/**
 * selectDevice for the commands: a backend that cannot start (webgpu without the package or a GPU adapter)
 * prints its BackendUnavailableError, which names what to install, and sets exit code 2; returns null then.
 */
export async function selectCliDevice(device: DeviceName, threads?: number): Promise<Awaited<ReturnType<typeof selectDevice>> | null> {
  try {
    return await selectDevice(device, { threads });
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    process.stderr.write(`exodus-snn: BackendUnavailableError: --device ${device}: ${e.message}; or train on the CPU with --device wasm\n`);
    process.exitCode = 2;
    return null;
  }
}
