/**
 * IDX (MNIST / Fashion-MNIST), optionally gzip'd: big-endian magic 0x000008NN (ubyte data, NN dims),
 * one uint32 per dim, then row-major uint8 (docs/datasets.md "Readers and writers"). Only the ubyte element type is
 * accepted because every MNIST-family file uses it. Decompression is capped so a hostile .gz
 * cannot allocate without bound.
 */
import { readFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { ConfigError, FormatError } from "../../errors.js";

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Largest decompressed IDX accepted (Fashion-MNIST train images are 47 MB). */
export const IDX_MAX_BYTES = 512 * 1024 * 1024;

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

export function decodeIdx(input: Uint8Array, file = "<buffer>", maxBytes = IDX_MAX_BYTES): IdxArray {
  let buf = input;
  if (isGzip(input)) {
    try {
      buf = gunzipSync(input, { maxOutputLength: maxBytes });
    } catch (e) {
      throw new FormatError(file, "gzip stream", `a complete gzip stream of at most ${maxBytes} B`, (e as Error).message);
    }
  }
  if (buf.length < 4) throw new FormatError(file, "byte 0", "a 4-byte IDX magic", `file has ${buf.length} B`);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) {
    throw new FormatError(file, "byte 0", "IDX magic 00 00 08 <ndims> (unsigned-byte data)", `found ${Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ")}`);
  }
  const nd = buf[3]!;
  if (nd < 1 || nd > 4) throw new FormatError(file, "byte 3", "1 to 4 dimensions", `found ${nd}`);
  const head = 4 + 4 * nd;
  if (buf.length < head) throw new FormatError(file, `byte ${buf.length}`, `${head} header bytes`, "truncated header");
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < nd; i++) {
    const d = dv.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  if (buf.length - head !== size) {
    throw new FormatError(file, `byte ${head}`, `${size} data bytes for dims [${dims.join(", ")}]`, `found ${buf.length - head}: ${buf.length - head < size ? "truncated" : "trailing bytes"}`);
  }
  // A copy as a plain Uint8Array (gunzip returns a Buffer view of a larger pool).
  return { dims, data: new Uint8Array(buf.subarray(head)) };
}

export function readIdx(path: string): IdxArray {
  return decodeIdx(readFileSync(path), path);
}

export function encodeIdx(arr: IdxArray, gzip = false): Uint8Array {
  const size = arr.dims.reduce((a, b) => a * b, 1);
  if (arr.dims.length < 1 || arr.dims.length > 4 || size !== arr.data.length) {
    throw new ConfigError(`IDX needs 1–4 dims whose product is the data length; dims [${arr.dims.join(", ")}], length ${arr.data.length}`);
  }
  const head = 4 + 4 * arr.dims.length;
  const out = new Uint8Array(head + size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x0800 | arr.dims.length, false);
  arr.dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(arr.data, head);
  return gzip ? gzipSync(out) : out;
}
