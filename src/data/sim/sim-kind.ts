/**
 * The contract of one `exodus-snn data sim <kind>`: its flags and a run function, free of any CLI
 * library so a simulator file can define its own kind. The CLI (src/cli/commands/data.ts) keeps
 * the table of kinds; adding a kind is one entry there. Flag values arrive as strings.
 */
import { UsageError } from "../../errors.js";

export interface SimFlag {
  /** commander syntax: "--out <dir>" takes a value, "--force" is a switch. */
  flags: string;
  description: string;
  default?: string;
}

export interface SimKind {
  name: string;
  summary: string;
  flags: readonly SimFlag[];
  /** Validates its flags (UsageError), writes the data, returns the summary printed as JSON. */
  run(flags: Readonly<Record<string, string | boolean | undefined>>, log: (msg: string) => void): Promise<Record<string, unknown>>;
}

/** An integer flag in [min, max]; anything else is a UsageError naming the flag and the range. */
export function intFlag(name: string, value: string | boolean | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(Number.isInteger(n) && n >= min && n <= max)) throw new UsageError(`--${name} must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? "∞" : max}, got '${String(value)}'`);
  return n;
}

/** A string flag that must be present. */
export function requiredFlag(kind: string, name: string, value: string | boolean | undefined): string {
  if (typeof value !== "string" || value.trim() === "") throw new UsageError(`data sim ${kind}: --${name} <dir> is required (the folder to create)`);
  return value;
}
