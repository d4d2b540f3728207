/**
 * AEDAT 3.1 (iniVation / libcaer) as used by DVS Gesture: an ASCII `#` header, then packets with a
 * 28-byte little-endian header (docs/datasets.md "Readers and writers"). Only POLARITY packets become events; other
 * packet types are skipped by `eventCapacity × eventSize`. Invalid events (valid bit 0) are dropped.
 * Every length is checked against the bytes actually present before anything is allocated.
 */
import { readFileSync } from "node:fs";
import { ConfigError, FormatError } from "../../errors.js";
import { allocEvents, sliceEvents, type Events, type SensorSize } from "../events.js";

export const DVS128_SENSOR: SensorSize = [128, 128, 2];
const MAGIC = "#!AER-DAT3.1";
const END = "#!END-HEADER";
const MAX_HEADER = 1 << 20;
const PACKET_HEADER = 28;
const POLARITY = 1;

export interface AedatFile {
  /** Header lines without `#` stripping and without line ends. */
  header: string[];
  events: Events;
  /** Packets seen, by eventType (for inspect). */
  packets: Map<number, number>;
}

export interface AedatDecodeOptions {
  sensor?: SensorSize;
  /** Accept timestamps that go backwards (some multi-source recordings); default false. */
  allowUnordered?: boolean;
}

function parseHeader(buf: Uint8Array, file: string): { header: string[]; dataStart: number } {
  const header: string[] = [];
  let o = 0;
  const limit = Math.min(buf.length, MAX_HEADER);
  for (;;) {
    if (o >= limit) throw new FormatError(file, `byte ${o}`, `a header line '${END}'`, "header never ends");
    if (buf[o] !== 0x23) throw new FormatError(file, `byte ${o}`, "a header line starting with '#'", `found byte 0x${buf[o]!.toString(16)}`);
    let e = o;
    while (e < limit && buf[e] !== 0x0a) e++;
    if (e >= limit) throw new FormatError(file, `byte ${o}`, "a header line ending in \\n", "header line runs past the header limit or the file end");
    let lineEnd = e;
    if (lineEnd > o && buf[lineEnd - 1] === 0x0d) lineEnd--;
    const line = Buffer.from(buf.buffer, buf.byteOffset + o, lineEnd - o).toString("latin1");
    if (header.length === 0 && line !== MAGIC) throw new FormatError(file, "byte 0", `'${MAGIC}' as the first line`, `found '${line.slice(0, 40)}'`);
    header.push(line);
    o = e + 1;
    if (line === END) return { header, dataStart: o };
  }
}

export function decodeAedat31(buf: Uint8Array, file = "<buffer>", opts: AedatDecodeOptions = {}): AedatFile {
  const [W, H] = opts.sensor ?? DVS128_SENSOR;
  const { header, dataStart } = parseHeader(buf, file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // Upper bound: every remaining 8 bytes could be one event, so allocation is bounded by file size.
  const ev = allocEvents(Math.floor((buf.length - dataStart) / 8));
  const packets = new Map<number, number>();
  let k = 0;
  let last = -Infinity;
  let o = dataStart;
  while (o < buf.length) {
    if (buf.length - o < PACKET_HEADER) {
      throw new FormatError(file, `byte ${o}`, `a ${PACKET_HEADER}-byte packet header`, `only ${buf.length - o} B left: truncated packet`);
    }
    const type = dv.getInt16(o, true);
    const size = dv.getInt32(o + 4, true);
    const tsOff = dv.getInt32(o + 8, true);
    const ovf = dv.getInt32(o + 12, true);
    const cap = dv.getInt32(o + 16, true);
    const num = dv.getInt32(o + 20, true);
    const valid = dv.getInt32(o + 24, true);
    if (size <= 0 || cap < 0 || ovf < 0) {
      throw new FormatError(file, `byte ${o}`, "eventSize > 0, eventCapacity ≥ 0, eventTSOverflow ≥ 0", `size=${size}, capacity=${cap}, overflow=${ovf}`);
    }
    if (num < 0 || num > cap || valid < 0 || valid > num) {
      throw new FormatError(file, `byte ${o + 20}`, "0 ≤ eventValid ≤ eventNumber ≤ eventCapacity", `valid=${valid}, number=${num}, capacity=${cap}`);
    }
    const payload = o + PACKET_HEADER;
    const bytes = size * cap;
    if (bytes > buf.length - payload) {
      throw new FormatError(file, `byte ${payload}`, `${bytes} B of packet payload (${cap} × ${size})`, `only ${buf.length - payload} B left: truncated packet`);
    }
    packets.set(type, (packets.get(type) ?? 0) + 1);
    if (type === POLARITY) {
      if (size !== 8 || tsOff !== 4) throw new FormatError(file, `byte ${o + 4}`, "polarity events of 8 bytes with the timestamp at offset 4", `size=${size}, tsOffset=${tsOff}`);
      const base = ovf * 2 ** 31;
      for (let i = 0, q = payload; i < cap; i++, q += 8) {
        const d = dv.getUint32(q, true);
        if ((d & 1) === 0) continue; // invalid (filtered) event
        const ts = dv.getInt32(q + 4, true);
        const x = (d >>> 17) & 0x7fff;
        const y = (d >>> 2) & 0x7fff;
        if (ts < 0) throw new FormatError(file, `byte ${q + 4}`, "a timestamp ≥ 0", `ts=${ts}`);
        if (x >= W || y >= H) throw new FormatError(file, `byte ${q}`, `x < ${W} and y < ${H} (DVS128 sensor)`, `x=${x}, y=${y}`);
        const t = base + ts;
        if (t < last && !opts.allowUnordered) throw new FormatError(file, `byte ${q + 4}`, "non-decreasing timestamps", `t=${t} µs after ${last} µs`);
        last = t;
        ev.x[k] = x;
        ev.y[k] = y;
        ev.p[k] = (d >>> 1) & 1;
        ev.t[k] = t;
        k++;
      }
    }
    o = payload + bytes;
  }
  return { header, events: sliceEvents(ev, 0, k), packets };
}

export function readAedat31(path: string, opts?: AedatDecodeOptions): AedatFile {
  return decodeAedat31(readFileSync(path), path, opts);
}

export interface AedatEncodeOptions {
  /** Events per polarity packet (libcaer writes a few thousand). */
  packetSize?: number;
  /** Extra header lines (with the leading '#'), written before `#!END-HEADER`. */
  headerLines?: string[];
}

/** Write events as AEDAT 3.1 polarity packets (all valid). Packets are split where t crosses 2^31 µs. */
export function encodeAedat31(ev: Events, opts: AedatEncodeOptions = {}): Uint8Array {
  const per = opts.packetSize ?? 4096;
  if (!(per >= 1)) throw new ConfigError(`packetSize must be ≥ 1, got ${per}`);
  const lines = [MAGIC, "#Format: RAW", "#Source 1: DVS128", ...(opts.headerLines ?? ["#Start-Time: 2017-01-01 00:00:00 (TZ+0000)"]), END];
  const head = Buffer.from(lines.map((l) => l + "\r\n").join(""), "latin1");
  const n = ev.t.length;
  // Cut into packets: at most `per` events, one overflow epoch each.
  const cuts: number[] = [0];
  for (let i = 0; i < n; i++) {
    const t = ev.t[i]!;
    if (!Number.isInteger(t) || t < 0) throw new ConfigError(`event ${i}: AEDAT needs integer t ≥ 0 µs, got ${t}`);
    const start = cuts[cuts.length - 1]!;
    if (i > start && (i - start >= per || Math.floor(t / 2 ** 31) !== Math.floor(ev.t[start]! / 2 ** 31))) cuts.push(i);
  }
  if (n > 0) cuts.push(n);
  const packets = Math.max(0, cuts.length - 1);
  const out = new Uint8Array(head.length + packets * PACKET_HEADER + n * 8);
  out.set(head, 0);
  const dv = new DataView(out.buffer);
  let o = head.length;
  for (let c = 0; c < packets; c++) {
    const a = cuts[c]!;
    const b = cuts[c + 1]!;
    const ovf = Math.floor(ev.t[a]! / 2 ** 31);
    dv.setInt16(o, POLARITY, true);
    dv.setInt16(o + 2, 1, true);
    dv.setInt32(o + 4, 8, true);
    dv.setInt32(o + 8, 4, true);
    dv.setInt32(o + 12, ovf, true);
    dv.setInt32(o + 16, b - a, true);
    dv.setInt32(o + 20, b - a, true);
    dv.setInt32(o + 24, b - a, true);
    o += PACKET_HEADER;
    for (let i = a; i < b; i++, o += 8) {
      const x = ev.x[i]!;
      const y = ev.y[i]!;
      if (x > 0x7fff || y > 0x7fff) throw new ConfigError(`event ${i}: x=${x}, y=${y} exceed 15 bits`);
      dv.setUint32(o, ((x << 17) | (y << 2) | ((ev.p[i] ? 1 : 0) << 1) | 1) >>> 0, true);
      dv.setInt32(o + 4, ev.t[i]! - ovf * 2 ** 31, true);
    }
  }
  return out;
}
