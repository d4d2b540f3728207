/**
 * `data audio-to-spikes`: a folder of WAV files plus a `file,label[,speaker]` CSV become one SHD-layout
 * HDF5 file. Labels may be integers (written as they are) or names (numbered in sorted order and
 * stored in extra/keys). Every file is decoded and converted before anything is written, and the
 * write is atomic, so a bad WAV leaves no output behind.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, FormatError } from "../../errors.js";
import { cochleaSpikes, resolveCochlea, type CochleaOptions } from "./cochlea.js";
import { writeShdAtomic } from "./shd-file.js";
import { decodeWav } from "./wav.js";

export interface LabelRow {
  file: string;
  label: string;
  speaker?: number;
}

/** Parse `file,label[,speaker]` lines; a first line whose label column is literally "label" is a header. */
export function parseLabelsCsv(text: string, csvPath: string): LabelRow[] {
  const rows: LabelRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const cols = line.split(",").map((c) => c.trim());
    if (rows.length === 0 && cols[1]?.toLowerCase() === "label") continue;
    if (cols.length < 2 || cols.length > 3 || cols[0] === "" || cols[1] === "") {
      throw new FormatError(csvPath, `line ${i + 1}`, "`file,label` or `file,label,speaker`", `found '${line}'`);
    }
    const row: LabelRow = { file: cols[0]!, label: cols[1]! };
    if (cols.length === 3 && cols[2] !== "") {
      const sp = Number(cols[2]);
      if (!(Number.isInteger(sp) && sp >= 0 && sp < 65536)) throw new FormatError(csvPath, `line ${i + 1}`, "a speaker id in 0..65535", `found '${cols[2]}'`);
      row.speaker = sp;
    }
    rows.push(row);
  }
  if (rows.length === 0) throw new FormatError(csvPath, "line 1", "at least one `file,label` row", "no rows");
  return rows;
}

/** Integer labels stay as they are; otherwise names are numbered in sorted order and become the keys. */
function labelIds(rows: LabelRow[]): { ids: Uint16Array; keys?: string[] } {
  const allInt = rows.every((r) => /^\d+$/.test(r.label) && Number(r.label) < 65536);
  if (allInt) return { ids: Uint16Array.from(rows, (r) => Number(r.label)) };
  const keys = [...new Set(rows.map((r) => r.label))].sort();
  const idx = new Map(keys.map((k, i) => [k, i]));
  return { ids: Uint16Array.from(rows, (r) => idx.get(r.label)!), keys };
}

export interface ConvertOptions extends CochleaOptions {
  log?: (msg: string) => void;
}

export interface ConvertResult {
  out: string;
  samples: number;
  spikes: number;
  audioSeconds: number;
  seconds: number;
}

export async function convertAudioFolder(dir: string, labelsCsv: string, out: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
  const params = resolveCochlea(opts);
  let text: string;
  try {
    text = readFileSync(labelsCsv, "utf8");
  } catch (e) {
    throw new ConfigError(`--labels ${labelsCsv}: cannot read it (${(e as Error).message}); pass a CSV of file,label[,speaker] rows`);
  }
  const rows = parseLabelsCsv(text, labelsCsv);
  const { ids, keys } = labelIds(rows);
  const anySpeaker = rows.some((r) => r.speaker !== undefined);
  const times: Float32Array[] = [];
  const units: Uint16Array[] = [];
  const t0 = performance.now();
  let audioSeconds = 0;
  let spikes = 0;
  for (let i = 0; i < rows.length; i++) {
    const path = join(dir, rows[i]!.file);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new ConfigError(`${labelsCsv} row ${i + 1} names ${path}, which cannot be read (${(e as Error).message}); fix the CSV or --in`);
    }
    const audio = decodeWav(bytes, path);
    audioSeconds += audio.samples.length / audio.sampleRate;
    const s = cochleaSpikes(audio.samples, audio.sampleRate, params);
    times.push(s.times);
    units.push(s.units);
    spikes += s.times.length;
    if (opts.log && (i + 1) % 100 === 0) opts.log(`audio-to-spikes: ${i + 1}/${rows.length} files`);
  }
  await writeShdAtomic(out, {
    times,
    units,
    labels: ids,
    ...(anySpeaker ? { speaker: Uint16Array.from(rows, (r) => r.speaker ?? 0) } : {}),
    ...(keys ? { keys } : {}),
  });
  return { out, samples: rows.length, spikes, audioSeconds, seconds: (performance.now() - t0) / 1000 };
}
