/**
 * Format detection and one-object summaries for `exodus-snn data inspect`: N-MNIST .bin, AEDAT 3.1
 * (with its sibling `_labels.csv` when present), SHD/SSC HDF5, IDX (gz or raw) and DVS Gesture
 * label CSVs. Detection uses magic bytes first and the file extension only for N-MNIST, which has none.
 */
import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "../errors.js";
import { polarityCounts, type Events, type SensorSize } from "./events.js";
import { DVS128_SENSOR, decodeAedat31 } from "./readers/aedat.js";
import { parseGestureLabels } from "./readers/gesture-labels.js";
import { decodeIdx, isGzip } from "./readers/idx.js";
import { decodeNmnist, NMNIST_SENSOR } from "./readers/nmnist.js";
import { readShd, SHD_CHANNELS } from "./readers/shd.js";
import { gunzipSync } from "node:zlib";

export type DataFormat = "nmnist-bin" | "aedat3.1" | "hdf5-shd" | "idx" | "gesture-labels-csv";

export interface InspectSummary {
  format: DataFormat;
  file: string;
  events: number;
  sensor: SensorSize | null;
  t_first_us: number | null;
  t_last_us: number | null;
  on: number;
  off: number;
  samples?: number;
  /** Label → count, for labelled files. */
  labels?: Record<string, number>;
  dims?: number[];
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function detectFormat(buf: Uint8Array, name: string): DataFormat {
  const starts = (s: string): boolean => Buffer.from(buf.subarray(0, s.length)).toString("latin1") === s;
  if (starts("#!AER-DAT3.1")) return "aedat3.1";
  // The HDF5 superblock may sit at 0, 512, 1024, … (user block); SHD files use 0.
  for (let o = 0; o + 8 <= buf.length && o <= 4096; o = o === 0 ? 512 : o * 2) {
    if (HDF5_MAGIC.every((b, i) => buf[o + i] === b)) return "hdf5-shd";
  }
  if (starts("class,startTime_usec")) return "gesture-labels-csv";
  if (isGzip(buf) || (buf.length >= 4 && buf[0] === 0 && buf[1] === 0 && buf[2] === 0x08)) {
    if (!isGzip(buf) || /idx\d-ubyte\.gz$|\.idx\.gz$/.test(name)) return "idx";
    // gzip of unknown content: peek at the header only.
    try {
      const head = gunzipSync(buf, { maxOutputLength: 1 << 26 });
      if (head[0] === 0 && head[1] === 0 && head[2] === 0x08) return "idx";
    } catch {
      // fall through
    }
  }
  if (name.endsWith(".bin")) return "nmnist-bin";
  throw new ConfigError(`${name}: unknown format; supported: N-MNIST .bin, AEDAT 3.1, SHD/SSC .h5, IDX (.gz), DVS Gesture labels .csv`);
}

function eventSummary(format: DataFormat, file: string, ev: Events, sensor: SensorSize): InspectSummary {
  const n = ev.t.length;
  const { on, off } = polarityCounts(ev);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, ev.t[i]!);
    hi = Math.max(hi, ev.t[i]!);
  }
  return { format, file, events: n, sensor, t_first_us: n ? lo : null, t_last_us: n ? hi : null, on, off };
}

function countLabels(labels: ArrayLike<number>): Record<string, number> {
  const m: Record<string, number> = {};
  for (let i = 0; i < labels.length; i++) m[String(labels[i])] = (m[String(labels[i])] ?? 0) + 1;
  return m;
}

export async function inspectFile(file: string): Promise<InspectSummary> {
  const buf = readFileSync(file);
  const format = detectFormat(buf, file);
  switch (format) {
    case "nmnist-bin":
      return eventSummary(format, file, decodeNmnist(buf, file), NMNIST_SENSOR);
    case "aedat3.1": {
      const s = eventSummary(format, file, decodeAedat31(buf, file).events, DVS128_SENSOR);
      const csv = file.replace(/\.aedat$/, "_labels.csv");
      if (csv !== file && existsSync(csv)) s.labels = countLabels(parseGestureLabels(readFileSync(csv, "utf8"), csv).map((g) => g.label));
      return s;
    }
    case "gesture-labels-csv": {
      const segs = parseGestureLabels(buf.toString("utf8"), file);
      return {
        format, file, events: 0, sensor: DVS128_SENSOR, t_first_us: segs.length ? Math.min(...segs.map((s) => s.startUs)) : null,
        t_last_us: segs.length ? Math.max(...segs.map((s) => s.endUs)) : null, on: 0, off: 0, samples: segs.length, labels: countLabels(segs.map((s) => s.label)),
      };
    }
    case "hdf5-shd": {
      const d = await readShd(file);
      let n = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (const row of d.times) {
        n += row.length;
        if (row.length) {
          lo = Math.min(lo, row[0]! * 1e6);
          hi = Math.max(hi, row[row.length - 1]! * 1e6);
        }
      }
      return {
        format, file, events: n, sensor: [SHD_CHANNELS, 1, 1], t_first_us: n ? lo : null, t_last_us: n ? hi : null, on: n, off: 0,
        samples: d.labels.length, labels: countLabels(d.labels),
      };
    }
    case "idx": {
      const a = decodeIdx(buf, file);
      const s: InspectSummary = { format, file, events: 0, sensor: a.dims.length === 3 ? [a.dims[2]!, a.dims[1]!, 1] : null, t_first_us: null, t_last_us: null, on: 0, off: 0, samples: a.dims[0]!, dims: a.dims };
      if (a.dims.length === 1) s.labels = countLabels(a.data);
      return s;
    }
  }
}

export function formatSummary(s: InspectSummary): string {
  const lines = [
    `file       ${s.file}`,
    `format     ${s.format}`,
    `sensor     ${s.sensor ? `${s.sensor[0]}×${s.sensor[1]}×${s.sensor[2]}` : "-"}`,
    `events     ${s.events} (on ${s.on}, off ${s.off})`,
    `time       ${s.t_first_us ?? "-"} .. ${s.t_last_us ?? "-"} µs`,
  ];
  if (s.samples !== undefined) lines.push(`samples    ${s.samples}`);
  if (s.dims) lines.push(`dims       [${s.dims.join(", ")}]`);
  if (s.labels) lines.push(`labels     ${Object.entries(s.labels).map(([k, v]) => `${k}:${v}`).join(" ")}`);
  return lines.join("\n");
}
