/**
 * Writes SHD-layout HDF5 files (docs/datasets.md, "SHD file layout"). The default is SHD's own ragged
 * layout, so SHD's Python loaders (`f['spikes']['times'][i]` in h5py or PyTables) read our files:
 *   /spikes/times   N rows, VLEN float (seconds; float32 by default, float16 or float64 on request)
 *   /spikes/units   N rows, VLEN uint16
 *   /labels         uint16 (N);  /extra/speaker uint16 (N);  /extra/keys strings
 * h5wasm can fill a VLEN dataset (its set_dataset_data writes with the dataset's own type, which for a
 * VLEN type means an array of hvl_t {length, pointer}) but cannot create one, so the two empty VLEN
 * datasets come from a template made once with h5py (shd-template.ts); everything else is written by
 * h5wasm. The older flat layout (times_flat, units_flat, offsets) stays writable for tests of the reader.
 * The file is written next to its destination and renamed into place, so it appears complete or not at all.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { inflateSync } from "node:zlib";
import { ConfigError, ExodusError, ShapeError } from "../errors.js";
import { floatToHalf } from "./readers/hdf5.js";
import { SHD_TEMPLATES } from "./shd-template.js";

export interface ShdWriteInput {
  /** Spike times in seconds, one row per sample. */
  times: ArrayLike<number>[];
  /** Channel of each spike (0..65535), rows as long as the time rows. */
  units: ArrayLike<number>[];
  labels: ArrayLike<number>;
  speaker?: ArrayLike<number>;
  keys?: string[];
}

/** Element type of the stored times. */
export type ShdTimeDtype = "f16" | "f32" | "f64";
export type ShdLayout = "ragged" | "flat";

const TIME_BYTES: Record<ShdTimeDtype, number> = { f16: 2, f32: 4, f64: 8 };
/** Bytes of one hvl_t {size_t len; void *p} in h5wasm's 32-bit wasm memory. */
const HVL_BYTES = 8;
/** Rows per H5Dwrite call are capped so the staging copy in wasm memory stays small. */
const BATCH_BYTES = 16 << 20;

type H5Module = Awaited<typeof import("h5wasm").ready>;
type H5File = import("h5wasm").File;

function checkU16(what: string, v: ArrayLike<number>, row?: number): void {
  for (let k = 0; k < v.length; k++) {
    const x = v[k]!;
    if (!(Number.isInteger(x) && x >= 0 && x <= 0xffff)) {
      throw new ConfigError(`writeShd: ${what}${row === undefined ? "" : `[${row}]`}[${k}] = ${x} does not fit uint16 (0..65535), as SHD stores it`);
    }
  }
}

function checkInput(data: ShdWriteInput): void {
  const n = data.labels.length;
  if (data.times.length !== n || data.units.length !== n) throw new ShapeError(`writeShd: ${n} labels but ${data.times.length} time rows and ${data.units.length} unit rows; pass one row of each per label`);
  for (let i = 0; i < n; i++) {
    if (data.times[i]!.length !== data.units[i]!.length) throw new ShapeError(`writeShd: row ${i} has ${data.times[i]!.length} times but ${data.units[i]!.length} units; each spike needs both`);
    checkU16("units", data.units[i]!, i);
  }
  checkU16("labels", data.labels);
  if (data.speaker) {
    if (data.speaker.length !== n) throw new ShapeError(`writeShd: ${n} labels but ${data.speaker.length} speaker ids`);
    checkU16("speaker", data.speaker);
  }
}

export interface ShdWriteOptions {
  /** Element type of /spikes/times (default f32: exact for every time the converter makes). */
  timeDtype?: ShdTimeDtype;
  /** Default "ragged" (SHD's layout); "flat" is what this writer made before it could write VLEN rows (readShd reads both). */
  layout?: ShdLayout;
  /** Most spike bytes staged in wasm memory per HDF5 write (default 16 MB); tests lower it to cross batches. */
  batchBytes?: number;
}

/**
 * Write `data` to `path` (default: SHD's ragged layout with float32 times). A bare dtype string is
 * `{ timeDtype }`. Atomic: a temporary file beside `path` is renamed over it only once complete.
 */
export async function writeShd(path: string, data: ShdWriteInput, options: ShdWriteOptions | ShdTimeDtype = {}): Promise<void> {
  const opts = typeof options === "string" ? { timeDtype: options } : options;
  const timeDtype = opts.timeDtype ?? "f32";
  const layout = opts.layout ?? "ragged";
  const batchBytes = opts.batchBytes ?? BATCH_BYTES;
  if (!(Number.isInteger(batchBytes) && batchBytes > 0)) throw new ConfigError(`writeShd: batchBytes must be a positive integer, got ${batchBytes}`);
  checkInput(data);
  if (layout === "flat" && timeDtype === "f16") throw new ConfigError("writeShd: the flat layout holds float32 or float64 times (h5wasm writes no float16 arrays); use the ragged layout for float16");
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  try {
    const h5 = (await import("h5wasm/node")).default;
    const Module = await h5.ready;
    if (layout === "ragged") writeFileSync(tmp, inflateSync(Buffer.from(SHD_TEMPLATES[timeDtype].zlib, "base64")));
    // 1.8-era object formats: readable by every HDF5 ≥ 1.8 that SHD's loaders may run on.
    const f = new h5.File(tmp, layout === "ragged" ? "a" : "w", { libver: ["earliest", "v108"] });
    try {
      if (layout === "ragged") writeRagged(Module, f, path, data, timeDtype, batchBytes);
      else writeFlat(f, data, timeDtype === "f64" ? "f64" : "f32");
      f.create_dataset({ name: "labels", data: Uint16Array.from(data.labels) });
      if (data.speaker || data.keys) {
        const e = f.create_group("extra");
        if (data.speaker) e.create_dataset({ name: "speaker", data: Uint16Array.from(data.speaker) });
        if (data.keys) writeKeys(e, data.keys);
      }
    } finally {
      f.close();
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function writeRagged(Module: H5Module, f: H5File, file: string, data: ShdWriteInput, dt: ShdTimeDtype, batchBytes: number): void {
  const n = data.labels.length;
  for (const ds of ["spikes/times", "spikes/units"]) {
    if (Module.resize_dataset(f.file_id, ds, [BigInt(n)]) < 0) throw new ExodusError(`writeShd: ${file}: HDF5 could not extend /${ds} to ${n} rows`);
  }
  writeVlenRows(Module, f, file, "spikes/times", data.times, TIME_BYTES[dt], batchBytes, (heap, at, row) => {
    const m = row.length;
    if (dt === "f32") new Float32Array(heap, at, m).set(row);
    else if (dt === "f64") new Float64Array(heap, at, m).set(row);
    else {
      const h = new Uint16Array(heap, at, m);
      for (let k = 0; k < m; k++) h[k] = floatToHalf(row[k]!);
    }
  });
  writeVlenRows(Module, f, file, "spikes/units", data.units, 2, batchBytes, (heap, at, row) => new Uint16Array(heap, at, row.length).set(row));
}

/**
 * Fill rows of a 1-D VLEN dataset in batches: each batch stages an hvl_t array plus the row data in wasm
 * memory and writes it as one hyperslab.
 */
function writeVlenRows(Module: H5Module, f: H5File, file: string, ds: string, rows: ArrayLike<number>[], bpe: number, batchBytes: number, put: (heap: ArrayBuffer, at: number, row: ArrayLike<number>) => void): void {
  let start = 0;
  while (start < rows.length) {
    let end = start;
    let bytes = 0;
    while (end < rows.length && (end === start || bytes + rows[end]!.length * bpe <= batchBytes)) bytes += rows[end++]!.length * bpe;
    const count = end - start;
    const hv = Module._malloc(HVL_BYTES * count);
    const buf = Module._malloc(Math.max(bytes, 8));
    if (!hv || !buf) {
      Module._free(hv);
      Module._free(buf);
      throw new ExodusError(`writeShd: ${file}: out of wasm memory staging ${bytes} bytes for /${ds}`);
    }
    try {
      // Views are taken after both mallocs: a memory grow replaces the heap's ArrayBuffer.
      const heap = Module.HEAPU8.buffer as ArrayBuffer;
      const dv = new DataView(heap);
      let o = buf;
      for (let i = start; i < end; i++) {
        const row = rows[i]!;
        dv.setUint32(hv + HVL_BYTES * (i - start), row.length, true);
        dv.setUint32(hv + HVL_BYTES * (i - start) + 4, o, true);
        put(heap, o, row);
        o += row.length * bpe;
      }
      const st = Module.set_dataset_data(f.file_id, ds, [BigInt(count)], [BigInt(start)], [1n], BigInt(hv));
      if (st < 0) throw new ExodusError(`writeShd: ${file}: HDF5 failed writing /${ds} rows ${start}..${end - 1} (status ${st}); is the disk full?`);
    } finally {
      Module._free(hv);
      Module._free(buf);
    }
    start = end;
  }
}

/**
 * SHD's keys are byte strings. ASCII names go in as fixed-length C strings, which h5py and PyTables both
 * read (PyTables 3.7 cannot read variable-length strings); one byte more than the longest name keeps a
 * terminating NUL in every slot. Other names need UTF-8, which h5wasm writes fixed-length only as
 * space-padded strings, so they go in as variable-length UTF-8 strings (h5py reads them; PyTables skips them).
 */
function writeKeys(g: import("h5wasm").Group, keys: string[]): void {
  if (keys.every((k) => /^[\x01-\x7f]*$/.test(k))) {
    const len = keys.reduce((m, k) => Math.max(m, k.length), 0) + 1;
    g.create_dataset({ name: "keys", data: keys, dtype: `A${len}` });
  } else g.create_dataset({ name: "keys", data: keys });
}

function writeFlat(f: H5File, data: ShdWriteInput, dt: "f32" | "f64"): void {
  const n = data.labels.length;
  let total = 0;
  const offsets = new BigInt64Array(n + 1);
  for (let i = 0; i < n; i++) {
    total += data.times[i]!.length;
    offsets[i + 1] = BigInt(total);
  }
  const tf = dt === "f32" ? new Float32Array(total) : new Float64Array(total);
  const uf = new Uint16Array(total);
  let o = 0;
  for (let i = 0; i < n; i++) {
    tf.set(data.times[i]!, o);
    uf.set(data.units[i]!, o);
    o += data.times[i]!.length;
  }
  const g = f.create_group("spikes");
  g.create_dataset({ name: "times_flat", data: tf });
  g.create_dataset({ name: "units_flat", data: uf });
  g.create_dataset({ name: "offsets", data: offsets });
}
