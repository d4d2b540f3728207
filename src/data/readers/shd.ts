/**
 * SHD / SSC HDF5 (Cramer et al.): ragged `spikes/times` (seconds, VLEN float16/32/64) and
 * `spikes/units` (VLEN uint16), `labels`, optional `extra/*` (docs/datasets.md "SHD file layout"). Also reads the flat
 * layout (`spikes/times_flat`, `spikes/units_flat`, `spikes/offsets` N+1) that our writer produced
 * before it wrote SHD's ragged layout, so files made then still open. `validateShd` owns every check and is pure, so it can be
 * fuzzed without the HDF5 library.
 */
import { FormatError } from "../../errors.js";
import type { Events } from "../events.js";
import { halfToFloat, readH5Datasets, type H5Dataset, type H5Read, type H5ReadOptions } from "./hdf5.js";

export const SHD_CHANNELS = 700;
export const SHD_CLASSES = 20;
export const SSC_CLASSES = 35;

export interface ShdData {
  /** Spike times in seconds, one row per sample (float64 holds f16/f32/f64 exactly). */
  times: Float64Array[];
  units: Uint16Array[];
  labels: Int32Array;
  speaker?: Int32Array;
  keys?: string[];
  /** Element width of the stored times: 2, 4 or 8 bytes. */
  timeBytes: number;
  layout: "ragged" | "flat";
}

export interface ShdValidateOptions {
  /** Labels must be < numClasses (20 for SHD, 35 for SSC); default: no upper bound check beyond 65535. */
  numClasses?: number;
  /** Units must be < channels; default 700. */
  channels?: number;
}

export const SHD_PATHS = [
  "spikes",
  "spikes/times",
  "spikes/units",
  "spikes/times_flat",
  "spikes/units_flat",
  "spikes/offsets",
  "labels",
  "extra/speaker",
  "extra/keys",
] as const;

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_VLEN = 9;

type Num = ArrayLike<number>;

function isNumArray(v: unknown): v is Num {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

function toF64(raw: unknown, f16: boolean): Float64Array | null {
  if (!isNumArray(raw)) return null;
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = f16 ? halfToFloat(raw[i]!) : raw[i]!;
  return out;
}

function need(file: string, d: H5Dataset | null | "group" | undefined, path: string, what: string): H5Dataset {
  if (d === null || d === undefined) throw new FormatError(file, `/${path}`, what, "missing");
  if (d === "group") throw new FormatError(file, `/${path}`, what, "found a group, not a dataset");
  if (d.error !== undefined || d.value === null || d.value === undefined) throw new FormatError(file, `/${path}`, what, `unreadable: ${d.error ?? "no value"}`);
  return d;
}

function intColumn(file: string, d: H5Dataset, path: string, n: number | null, what: string): Int32Array {
  const v = d.value;
  if (d.type !== H5T_INTEGER || !isNumArray(v)) throw new FormatError(file, `/${path}`, what, `element type class ${d.type}, size ${d.size}`);
  if (n !== null && v.length !== n) throw new FormatError(file, `/${path}`, `${n} rows (one per sample)`, `found ${v.length}`);
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isInteger(x) || x < 0 || x > 0x7fffffff) throw new FormatError(file, `/${path}[${i}]`, "a non-negative integer", `found ${x}`);
    out[i] = x;
  }
  return out;
}

function checkRow(file: string, path: string, i: number, t: Float64Array, u: Num, channels: number): void {
  if (t.length !== u.length) throw new FormatError(file, `/spikes/units[${i}]`, `${t.length} units (as many as /spikes/times[${i}])`, `found ${u.length}`);
  let last = -Infinity;
  for (let k = 0; k < t.length; k++) {
    const v = t[k]!;
    if (!Number.isFinite(v) || v < 0) throw new FormatError(file, `/${path}[${i}][${k}]`, "a finite time ≥ 0 s", `found ${v}`);
    if (v < last) throw new FormatError(file, `/${path}[${i}][${k}]`, "non-decreasing spike times", `${v} s after ${last} s`);
    last = v;
    const c = u[k]!;
    if (!(c >= 0 && c < channels) || !Number.isInteger(c)) throw new FormatError(file, `/spikes/units[${i}][${k}]`, `a channel in 0..${channels - 1}`, `found ${c}`);
  }
}

/** Check raw datasets (as read by h5wasm) against the SHD layout and convert them. */
export function validateShd(raw: H5Read, file: string, opts: ShdValidateOptions = {}): ShdData {
  const channels = opts.channels ?? SHD_CHANNELS;
  const ds = raw.datasets;
  const lab = need(file, ds["labels"], "labels", "a 1-D integer dataset /labels with one label per sample");
  const labels = intColumn(file, lab, "labels", null, "integer labels");
  const n = labels.length;
  if (opts.numClasses !== undefined) {
    for (let i = 0; i < n; i++) {
      if (labels[i]! >= opts.numClasses) throw new FormatError(file, `/labels[${i}]`, `a label in 0..${opts.numClasses - 1}`, `found ${labels[i]}: label out of range`);
    }
  }
  if (ds["spikes"] === null || ds["spikes"] === undefined) {
    throw new FormatError(file, "/spikes", "a group /spikes holding times+units (ragged) or times_flat+units_flat+offsets (flat)", "missing");
  }
  const times: Float64Array[] = [];
  const units: Uint16Array[] = [];
  let timeBytes: number;
  let layout: "ragged" | "flat";
  if (ds["spikes/times"] !== null && ds["spikes/times"] !== undefined) {
    layout = "ragged";
    const td = need(file, ds["spikes/times"], "spikes/times", "VLEN float spike times");
    const ud = need(file, ds["spikes/units"], "spikes/units", "VLEN uint16 units beside /spikes/times");
    if (td.type !== H5T_VLEN || td.vlen?.type !== H5T_FLOAT || ![2, 4, 8].includes(td.vlen.size)) {
      throw new FormatError(file, "/spikes/times", "VLEN of float16/32/64", `type class ${td.type}, base ${JSON.stringify(td.vlen ?? null)}`);
    }
    if (ud.type !== H5T_VLEN || ud.vlen?.type !== H5T_INTEGER) throw new FormatError(file, "/spikes/units", "VLEN of unsigned integers", `type class ${ud.type}`);
    timeBytes = td.vlen.size;
    const tv = td.value;
    const uv = ud.value;
    if (!Array.isArray(tv) || tv.length !== n) throw new FormatError(file, "/spikes/times", `${n} rows (as many as /labels)`, `found ${Array.isArray(tv) ? tv.length : typeof tv}`);
    if (!Array.isArray(uv) || uv.length !== n) throw new FormatError(file, "/spikes/units", `${n} rows (as many as /labels)`, `found ${Array.isArray(uv) ? uv.length : typeof uv}`);
    for (let i = 0; i < n; i++) {
      const t = toF64(tv[i], td.f16 === true);
      if (!t) throw new FormatError(file, `/spikes/times[${i}]`, "a numeric row", "unreadable row");
      const u = uv[i];
      if (!isNumArray(u)) throw new FormatError(file, `/spikes/units[${i}]`, "a numeric row", "unreadable row");
      checkRow(file, "spikes/times", i, t, u, channels);
      times.push(t);
      units.push(Uint16Array.from(u));
    }
  } else if (ds["spikes/times_flat"] !== null && ds["spikes/times_flat"] !== undefined) {
    layout = "flat";
    const td = need(file, ds["spikes/times_flat"], "spikes/times_flat", "1-D float spike times");
    const ud = need(file, ds["spikes/units_flat"], "spikes/units_flat", "1-D uint16 units beside /spikes/times_flat");
    const od = need(file, ds["spikes/offsets"], "spikes/offsets", `${n + 1} int64 row offsets`);
    if (td.type !== H5T_FLOAT || ![2, 4, 8].includes(td.size)) throw new FormatError(file, "/spikes/times_flat", "float16/32/64 times", `type class ${td.type}, size ${td.size}`);
    timeBytes = td.size;
    const t = toF64(td.value, td.f16 === true);
    const u = ud.value;
    if (!t) throw new FormatError(file, "/spikes/times_flat", "a 1-D numeric dataset", "unreadable");
    if (ud.type !== H5T_INTEGER || !isNumArray(u)) throw new FormatError(file, "/spikes/units_flat", "a 1-D integer dataset", `type class ${ud.type}`);
    if (u.length !== t.length) throw new FormatError(file, "/spikes/units_flat", `${t.length} units (as many as times_flat)`, `found ${u.length}`);
    const ov = od.value;
    const off: number[] = [];
    if (ov instanceof BigInt64Array || ov instanceof BigUint64Array) for (const b of ov) off.push(Number(b));
    else if (isNumArray(ov)) for (let i = 0; i < ov.length; i++) off.push(ov[i]!);
    else throw new FormatError(file, "/spikes/offsets", "integer offsets", "unreadable");
    if (off.length !== n + 1) throw new FormatError(file, "/spikes/offsets", `${n + 1} offsets (samples + 1)`, `found ${off.length}`);
    if (off[0] !== 0 || off[n] !== t.length) throw new FormatError(file, "/spikes/offsets", `offsets from 0 to ${t.length}`, `found ${off[0]}..${off[n]}`);
    for (let i = 0; i < n; i++) {
      const a = off[i]!;
      const b = off[i + 1]!;
      if (!(Number.isInteger(a) && b >= a)) throw new FormatError(file, `/spikes/offsets[${i + 1}]`, "non-decreasing integer offsets", `${a} then ${b}`);
      const row = t.subarray(a, b);
      const ur = (u as Uint16Array).subarray(a, b); // isNumArray above: a non-BigInt typed array
      checkRow(file, "spikes/times_flat", i, row, ur, channels);
      times.push(row.slice());
      units.push(Uint16Array.from(ur));
    }
  } else {
    throw new FormatError(file, "/spikes/times", "ragged /spikes/times + /spikes/units, or flat /spikes/times_flat + units_flat + offsets", "neither layout present");
  }
  const out: ShdData = { times, units, labels, timeBytes, layout };
  const sp = ds["extra/speaker"];
  if (sp !== null && sp !== undefined) out.speaker = intColumn(file, need(file, sp, "extra/speaker", "integer speaker ids"), "extra/speaker", n, "integer speaker ids");
  const keys = ds["extra/keys"];
  if (keys !== null && keys !== undefined && keys !== "group" && Array.isArray(keys.value) && keys.value.every((k) => typeof k === "string")) {
    out.keys = keys.value as string[];
  }
  return out;
}

export async function readShd(path: string, opts: ShdValidateOptions & H5ReadOptions = {}): Promise<ShdData> {
  const raw = await readH5Datasets(path, SHD_PATHS, opts);
  return validateShd(raw, path, opts);
}

/** tonic's view of one sample: t = times·1e6 µs, x = unit, y = 0, p = 1; sensor [700, 1, 1]. */
export function shdSampleToEvents(times: Float64Array, units: Uint16Array): Events {
  const n = times.length;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = times[i]! * 1e6;
  return { x: Uint16Array.from(units), y: new Uint16Array(n), t, p: new Uint8Array(n).fill(1) };
}

// The writer lives in data/shd-writer.ts; re-exported here, where callers of the reader look for it.
export { writeShd, type ShdLayout, type ShdTimeDtype, type ShdWriteInput, type ShdWriteOptions } from "../shd-writer.js";
