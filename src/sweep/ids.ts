/**
 * Stable trial ids: the plan name plus a hash of the trial's complete settings in canonical JSON (keys
 * sorted), so the same trial gets the same BullMQ job id on every submission and machine. BullMQ reserves
 * ':' in custom ids and refuses integer-looking ones; "<name>-<12 hex>" is neither.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../util/canonical-json.js";
import type { TrialSpec } from "./spec.js";

export { canonicalJson };

export function trialId(planName: string, spec: TrialSpec): string {
  return `${planName}-${createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 12)}`;
}
