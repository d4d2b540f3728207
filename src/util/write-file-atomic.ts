/** Atomic file writes: readers never see a half-written file, even if the process dies mid-write. */
import { renameSync, unlinkSync, writeFileSync } from "node:fs";

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
