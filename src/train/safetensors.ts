/**
 * safetensors files: the codec (safetensors-codec.ts) plus atomic writes (util/write-file-atomic.ts) and reads.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../util/write-file-atomic.js";
import { decodeSafetensors, encodeSafetensors, type StTensor } from "./safetensors-codec.js";

export { decodeSafetensors, encodeSafetensors, type StDType, type StTensor } from "./safetensors-codec.js";

export function saveSafetensors(path: string, tensors: ReadonlyMap<string, StTensor> | Record<string, StTensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export function loadSafetensors(path: string): { tensors: Map<string, StTensor>; metadata: Record<string, string> } {
  return decodeSafetensors(new Uint8Array(readFileSync(path)), path);
}
