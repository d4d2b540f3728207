/**
 * Disk cache for framed samples: one file per (dataset identity, index, transform) key, holding a
 * small header and the int16 frames. Writes are atomic (temp file + rename) so a killed run never
 * leaves a half-written entry; an unreadable entry is treated as a miss and rewritten.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Frames } from "./transforms/to-frame.js";

const MAGIC = 0x52465845; // "EXFR" little-endian

export class FrameCache {
  hits = 0;
  misses = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Key from anything JSON-serialisable that identifies the sample and its transform. */
  static key(parts: unknown): string {
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
  }

  get(key: string): Frames | null {
    let buf: Buffer;
    try {
      buf = readFileSync(join(this.dir, key + ".frm"));
    } catch {
      return null;
    }
    const fr = decodeFrames(buf);
    if (fr) this.hits++;
    return fr;
  }

  put(key: string, fr: Frames): void {
    const file = join(this.dir, key + ".frm");
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, encodeFrames(fr));
    renameSync(tmp, file);
  }

  getOrCompute(key: string, make: () => Frames): Frames {
    const hit = this.get(key);
    if (hit) return hit;
    this.misses++;
    const fr = make();
    this.put(key, fr);
    return fr;
  }
}

export function encodeFrames(fr: Frames): Uint8Array {
  const head = 8 + 4 * fr.shape.length;
  const out = new Uint8Array(head + fr.data.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, fr.shape.length, true);
  fr.shape.forEach((d, i) => dv.setUint32(8 + 4 * i, d, true));
  out.set(new Uint8Array(fr.data.buffer, fr.data.byteOffset, fr.data.byteLength), head);
  return out;
}

/** null when the bytes are not a complete cache entry. */
export function decodeFrames(buf: Uint8Array): Frames | null {
  if (buf.length < 8) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) return null;
  const nd = dv.getUint32(4, true);
  if (nd > 8 || buf.length < 8 + 4 * nd) return null;
  const shape: number[] = [];
  for (let i = 0; i < nd; i++) shape.push(dv.getUint32(8 + 4 * i, true));
  const n = shape.reduce((a, b) => a * b, 1);
  const head = 8 + 4 * nd;
  if (buf.length !== head + 2 * n) return null;
  const data = new Int16Array(n);
  new Uint8Array(data.buffer).set(buf.subarray(head));
  return { data, shape };
}
