/**
 * Disk cache for framed samples: one file per (dataset identity, index, transform) key, holding a
 * small header and the int16 frames, dense or (when under a third of the counts are nonzero, as event
 * frames almost always are) as index/count pairs. Writes are atomic (temp file + rename) so a killed run never
 * leaves a half-written entry; an unreadable entry is treated as a miss and rewritten.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Frames } from "./transforms/to-frame.js";

const MAGIC = 0x52465845; // "EXFR" little-endian: dense int16 counts
const MAGIC_SPARSE = 0x53465845; // "EXFS": nnz, then nnz uint32 indices, then nnz int16 counts
/** Largest frame block a sparse entry may describe (1 GiB of int16); more is a damaged header. */
const MAX_SPARSE_COUNTS = 2 ** 29;

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
  const nd = fr.shape.length;
  let nnz = 0;
  for (let i = 0; i < fr.data.length; i++) if (fr.data[i] !== 0) nnz++;
  const sparse = nnz * 6 < fr.data.byteLength;
  const head = 8 + 4 * nd + (sparse ? 4 : 0);
  const out = new Uint8Array(head + (sparse ? 6 * nnz : fr.data.byteLength));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, sparse ? MAGIC_SPARSE : MAGIC, true);
  dv.setUint32(4, nd, true);
  fr.shape.forEach((d, i) => dv.setUint32(8 + 4 * i, d, true));
  if (!sparse) {
    out.set(new Uint8Array(fr.data.buffer, fr.data.byteOffset, fr.data.byteLength), head);
    return out;
  }
  dv.setUint32(head - 4, nnz, true);
  for (let i = 0, k = 0; i < fr.data.length; i++) {
    const v = fr.data[i]!;
    if (v === 0) continue;
    dv.setUint32(head + 4 * k, i, true);
    dv.setInt16(head + 4 * nnz + 2 * k, v, true);
    k++;
  }
  return out;
}

/** null when the bytes are not a complete cache entry. */
export function decodeFrames(buf: Uint8Array): Frames | null {
  if (buf.length < 8) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, true);
  if (magic !== MAGIC && magic !== MAGIC_SPARSE) return null;
  const nd = dv.getUint32(4, true);
  if (nd > 8 || buf.length < 8 + 4 * nd) return null;
  const shape: number[] = [];
  for (let i = 0; i < nd; i++) shape.push(dv.getUint32(8 + 4 * i, true));
  const n = shape.reduce((a, b) => a * b, 1);
  let head = 8 + 4 * nd;
  if (magic === MAGIC) {
    if (buf.length !== head + 2 * n) return null;
    const data = new Int16Array(n);
    new Uint8Array(data.buffer).set(buf.subarray(head));
    return { data, shape };
  }
  // Sizes are checked before anything is allocated: a damaged header must be a miss, not a huge allocation.
  if (buf.length < head + 4 || n > MAX_SPARSE_COUNTS) return null;
  const nnz = dv.getUint32(head, true);
  head += 4;
  if (buf.length !== head + 6 * nnz || nnz > n) return null;
  const data = new Int16Array(n);
  // Typed views over a private copy (the file buffer's offset need not be aligned); x86 and ARM are little-endian
  // as written, and a big-endian host would read a miss-shaped block, which the bounds check rejects.
  const body = buf.slice(head, head + 6 * nnz);
  const idx = new Uint32Array(body.buffer, body.byteOffset, nnz);
  const val = new Int16Array(body.buffer, body.byteOffset + 4 * nnz, nnz);
  for (let k = 0; k < nnz; k++) {
    const i = idx[k]!;
    if (i >= n) return null;
    data[i] = val[k]!;
  }
  return { data, shape };
}
