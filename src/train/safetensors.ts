/**
 * safetensors files: the codec (safetensors-codec.ts) plus atomic writes (temp file + rename) and reads.
 */
import { readFileSync, renameSync, writeFileSync, unlinkSync } from "node:fs";
import { decodeSafetensors, encodeSafetensors, type StTensor } from "./safetensors-codec.js";

export { decodeSafetensors, encodeSafetensors, type StDType, type StTensor } from "./safetensors-codec.js";

/** Writes bytes to `path` atomically: a temp file in the same directory, then rename over the target. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw e;
  }
}

export function saveSafetensors(path: string, tensors: ReadonlyMap<string, StTensor> | Record<string, StTensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export function loadSafetensors(path: string): { tensors: Map<string, StTensor>; metadata: Record<string, string> } {
  return decodeSafetensors(new Uint8Array(readFileSync(path)), path);
}
