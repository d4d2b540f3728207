/**
 * safetensors, written and read by hand (https://github.com/huggingface/safetensors, "Format"):
 *   8 bytes: N, little-endian u64 — the header size;
 *   N bytes: UTF-8 JSON {name: {"dtype": "F32"|"F64", "shape": [...], "data_offsets": [begin, end]}, …,
 *            "__metadata__": {string: string}}, padded with spaces (0x20) so the data starts 8-byte aligned;
 *   the data: each tensor little-endian, row-major, offsets relative to the byte after the header, no gaps.
 * Python loads these with `safetensors.torch.load_file`. Bytes only, no files: this part runs in a browser too
 * (safetensors.ts adds the atomic file writes).
 */
import { FormatError } from "../errors.js";

export type StDType = "F32" | "F64";

export interface StTensor {
  dtype: StDType;
  shape: number[];
  data: Float32Array | Float64Array;
}

const BYTES: Record<StDType, number> = { F32: 4, F64: 8 };

/** Serialises tensors (in name order) and string metadata to safetensors bytes. */
export function encodeSafetensors(tensors: ReadonlyMap<string, StTensor> | Record<string, StTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const list: [string, StTensor][] = tensors instanceof Map ? [...(tensors as ReadonlyMap<string, StTensor>).entries()] : Object.entries(tensors as Record<string, StTensor>);
  const entries = list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header["__metadata__"] = metadata;
  let off = 0;
  for (const [name, t] of entries) {
    if (name === "__metadata__") throw new FormatError("<safetensors>", "header", "a tensor name other than __metadata__");
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new FormatError("<safetensors>", name, `${n} values for shape [${t.shape}]`, `got ${t.data.length}`);
    const len = n * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + len] };
    off += len;
  }
  let json = JSON.stringify(header);
  // TextEncoder/TextDecoder, not Buffer: the codec runs in browsers too
  let hb = new TextEncoder().encode(json);
  const pad = (8 - ((8 + hb.length) % 8)) % 8;
  if (pad) {
    json += " ".repeat(pad);
    hb = new TextEncoder().encode(json);
  }
  const out = new Uint8Array(8 + hb.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const [, t] of entries) {
    if (t.dtype === "F32") {
      const src = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
      for (let i = 0; i < src.length; i++, p += 4) dv.setFloat32(p, src[i]!, true);
    } else {
      for (let i = 0; i < t.data.length; i++, p += 8) dv.setFloat64(p, t.data[i]!, true);
    }
  }
  return out;
}

/** Parses safetensors bytes; `file` names the source in errors. */
export function decodeSafetensors(bytes: Uint8Array, file = "<safetensors>"): { tensors: Map<string, StTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new FormatError(file, "byte 0", "an 8-byte header length", `file has ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > bytes.length - 8) throw new FormatError(file, "byte 0", `a header length ≤ ${bytes.length - 8}`, `got ${n}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  } catch (e) {
    throw new FormatError(file, "byte 8", "a JSON header", (e as Error).message);
  }
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata = (header["__metadata__"] ?? {}) as Record<string, string>;
  const tensors = new Map<string, StTensor>();
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const e = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (e.dtype !== "F32" && e.dtype !== "F64") throw new FormatError(file, `header["${name}"].dtype`, "F32 or F64", `got ${e.dtype}`);
    if (!Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
      throw new FormatError(file, `header["${name}"]`, "shape and data_offsets arrays");
    }
    const [b, en] = e.data_offsets;
    const count = e.shape.reduce((a, d) => a * d, 1);
    if (!(b >= 0 && en <= dataLen && en - b === count * BYTES[e.dtype])) {
      throw new FormatError(file, `header["${name}"].data_offsets`, `${count * BYTES[e.dtype]} bytes inside the ${dataLen}-byte data section`, `got [${b}, ${en}]`);
    }
    const data = e.dtype === "F32" ? new Float32Array(count) : new Float64Array(count);
    const sz = BYTES[e.dtype];
    for (let i = 0; i < count; i++) {
      const p = dataStart + b + i * sz;
      data[i] = sz === 4 ? dv.getFloat32(p, true) : dv.getFloat64(p, true);
    }
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data });
    spans.push([b, en, name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let cur = 0;
  for (const [b, en, name] of spans) {
    if (b !== cur) throw new FormatError(file, `header["${name}"].data_offsets`, `to start at ${cur} (no gaps or overlaps)`, `starts at ${b}`);
    cur = en;
  }
  if (cur !== dataLen) throw new FormatError(file, `byte ${dataStart + cur}`, "the end of the file after the last tensor", `${dataLen - cur} extra bytes`);
  return { tensors, metadata };
}
