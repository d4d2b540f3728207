/**
 * SHD file helpers for the converter and the spoken-digits simulator. Both write SHD's own ragged
 * layout with float32 times through data/shd-writer.ts, which writes atomically: the file appears
 * complete or not at all, so an interrupted or failed conversion never leaves a half-written .h5.
 */
import { writeShd, type ShdWriteInput } from "../shd-writer.js";

/** SHD's class names (extra/keys): English digits 0–9, German digits 10–19 (ASCII "fuenf", as SHD). */
export const SHD_KEYS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "null", "eins", "zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun"];

export function writeShdAtomic(path: string, data: ShdWriteInput): Promise<void> {
  return writeShd(path, data, { timeDtype: "f32", layout: "ragged" });
}
