/**
 * N-MNIST `.bin` (Orchard et al. 2015): 5-byte big-endian records, no header (docs/datasets.md "Readers and writers").
 * Decoder, encoder and the `Train/<digit>/*.bin` tree walker. Decoding is strict: a truncated
 * record, a coordinate off the 34×34 sensor or a time going backwards is a FormatError with the
 * byte offset, because silently accepting them hides a corrupt download.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, FormatError } from "../../errors.js";
import { allocEvents, sliceEvents, type Events, type SensorSize } from "../events.js";

export const NMNIST_SENSOR: SensorSize = [34, 34, 2];
/** A record with this y is a timestamp-overflow marker, not an event (tonic / Orchard's reader). */
const OVERFLOW_Y = 240;
const OVERFLOW_STEP = 1 << 13;
const T_LIMIT = 1 << 23;

export interface NmnistDecodeOptions {
  /** Reject x/y outside [0, W) × [0, H). Default the N-MNIST sensor. */
  sensor?: SensorSize;
}

export function decodeNmnist(buf: Uint8Array, file = "<buffer>", opts: NmnistDecodeOptions = {}): Events {
  const [W, H] = opts.sensor ?? NMNIST_SENSOR;
  if (buf.length % 5 !== 0) {
    const off = buf.length - (buf.length % 5);
    throw new FormatError(file, `byte ${off}`, "a whole 5-byte N-MNIST record", `file is ${buf.length} B, ${buf.length % 5} B left over: truncated record`);
  }
  const n = buf.length / 5;
  const ev = allocEvents(n);
  let k = 0;
  let bump = 0;
  let last = -1;
  for (let i = 0, o = 0; i < n; i++, o += 5) {
    const x = buf[o]!;
    const y = buf[o + 1]!;
    const b2 = buf[o + 2]!;
    if (y === OVERFLOW_Y) {
      bump += OVERFLOW_STEP;
      continue;
    }
    if (x >= W || y >= H) {
      throw new FormatError(file, `byte ${o}`, `x < ${W} and y < ${H} (N-MNIST sensor)`, `record has x=${x}, y=${y}`);
    }
    const t = (((b2 & 0x7f) << 16) | (buf[o + 3]! << 8) | buf[o + 4]!) + bump;
    if (t < last) {
      throw new FormatError(file, `byte ${o}`, "non-decreasing timestamps", `t=${t} µs after t=${last} µs`);
    }
    last = t;
    ev.x[k] = x;
    ev.y[k] = y;
    ev.p[k] = b2 >> 7;
    ev.t[k] = t;
    k++;
  }
  return k === n ? ev : sliceEvents(ev, 0, k);
}

/** Encode events as N-MNIST records. Never emits overflow records (real files have none). */
export function encodeNmnist(ev: Events): Uint8Array {
  const n = ev.t.length;
  const out = new Uint8Array(5 * n);
  for (let i = 0, o = 0; i < n; i++, o += 5) {
    const t = ev.t[i]!;
    const x = ev.x[i]!;
    const y = ev.y[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= T_LIMIT) throw new ConfigError(`event ${i}: N-MNIST needs integer t in [0, 2^23) µs, got ${t}`);
    if (x > 255 || y > 255 || y === OVERFLOW_Y) throw new ConfigError(`event ${i}: x=${x}, y=${y} do not fit an N-MNIST record`);
    out[o] = x;
    out[o + 1] = y;
    out[o + 2] = ((ev.p[i] ? 1 : 0) << 7) | ((t >> 16) & 0x7f);
    out[o + 3] = (t >> 8) & 0xff;
    out[o + 4] = t & 0xff;
  }
  return out;
}

export function readNmnistFile(path: string, opts?: NmnistDecodeOptions): Events {
  return decodeNmnist(readFileSync(path), path, opts);
}

export interface LabelledFile {
  path: string;
  label: number;
}

/**
 * List `<split>/<digit>/*.bin` under `dir` (dir = the Train or Test folder), sorted by digit then name
 * so sample order is the same on every machine.
 */
export function listNmnistTree(dir: string): LabelledFile[] {
  const out: LabelledFile[] = [];
  for (let d = 0; d <= 9; d++) {
    const sub = join(dir, String(d));
    let names: string[];
    try {
      if (!statSync(sub).isDirectory()) continue;
      names = readdirSync(sub);
    } catch {
      continue;
    }
    names.sort();
    for (const name of names) if (name.endsWith(".bin")) out.push({ path: join(sub, name), label: d });
  }
  return out;
}
