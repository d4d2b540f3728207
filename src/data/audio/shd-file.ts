/**
 * Writes an SHD-layout HDF5 file atomically: the file appears complete or not at all (temp file in
 * the same folder, then rename), so an interrupted or failed conversion never leaves a half-written
 * .h5 where a reader would take it for data. The layout itself is readers/shd.ts's `writeShd` (the
 * flat layout, as h5wasm cannot write VLEN numeric rows; our reader reads both).
 */
import { renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeShd, type ShdWriteInput } from "../readers/shd.js";

/** SHD's class names (extra/keys): English digits 0–9, German digits 10–19 (ASCII "fuenf", as SHD). */
export const SHD_KEYS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "null", "eins", "zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun"];

export async function writeShdAtomic(path: string, data: ShdWriteInput): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeShd(tmp, data, "f32");
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
