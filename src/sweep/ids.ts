/**
 * Stable trial ids: the plan name plus a hash of the trial's complete settings in canonical JSON (keys
 * sorted), so the same trial gets the same BullMQ job id on every submission and machine. BullMQ reserves
 * ':' in custom ids and refuses integer-looking ones; "<name>-<12 hex>" is neither.
 */
import { createHash } from "node:crypto";
import type { TrialSpec } from "./spec.js";

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export function trialId(planName: string, spec: TrialSpec): string {
  return `${planName}-${createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 12)}`;
}
