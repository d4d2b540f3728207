/**
 * SHD and SSC (Heidelberg spiking datasets) over a local root holding the unzipped HDF5 files:
 * `shd_{train,test}.h5` and `ssc_{train,valid,test}.h5`. The whole split is read once (SHD train is
 * ~8k samples), so `open` is async and `events` is cheap. Events follow tonic: t = s·1e6 µs, x = unit.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../errors.js";
import type { SensorSize } from "../events.js";
import { readShd, SHD_CHANNELS, SHD_CLASSES, shdSampleToEvents, SSC_CLASSES, type ShdData } from "../readers/shd.js";
import type { EventDataset, EventSample } from "./types.js";

export type HeidelbergSplit = "train" | "valid" | "test";

class Heidelberg implements EventDataset {
  readonly sensorSize: SensorSize = [SHD_CHANNELS, 1, 1];
  readonly classes: readonly string[];
  constructor(
    readonly name: "shd" | "ssc",
    readonly file: string,
    readonly data: ShdData,
    readonly id: string,
    numClasses: number,
  ) {
    this.classes = data.keys && data.keys.length === numClasses ? data.keys : Array.from({ length: numClasses }, (_, i) => String(i));
  }
  get length(): number {
    return this.data.labels.length;
  }
  label(i: number): number {
    if (!(i >= 0 && i < this.length)) throw new ConfigError(`${this.name.toUpperCase()}: index ${i} outside 0..${this.length - 1}`);
    return this.data.labels[i]!;
  }
  speaker(i: number): number | undefined {
    return this.data.speaker?.[i];
  }
  events(i: number): EventSample {
    if (!(i >= 0 && i < this.length)) throw new ConfigError(`${this.name.toUpperCase()}: index ${i} outside 0..${this.length - 1}`);
    return { events: shdSampleToEvents(this.data.times[i]!, this.data.units[i]!), label: this.data.labels[i]! };
  }
}

async function open(name: "shd" | "ssc", root: string, split: HeidelbergSplit, numClasses: number): Promise<Heidelberg> {
  const splits = name === "shd" ? ["train", "test"] : ["train", "valid", "test"];
  if (!splits.includes(split)) throw new ConfigError(`${name.toUpperCase()}: split must be one of ${splits.join(", ")}, got '${split}'`);
  const file = join(root, `${name}_${split}.h5`);
  if (!existsSync(file)) {
    throw new ConfigError(`${name.toUpperCase()}: ${file} not found; expected ${splits.map((s) => join(root, `${name}_${s}.h5`)).join(", ")} (run: exodus-snn data fetch ${name} --root ${root})`);
  }
  return openFile(name, file, numClasses);
}

/** One HDF5 file in SHD's layout, whatever its name (e.g. a converter's output). */
async function openFile(name: "shd" | "ssc", file: string, numClasses: number): Promise<Heidelberg> {
  if (!existsSync(file)) throw new ConfigError(`${name.toUpperCase()}: ${file} not found`);
  const st = statSync(file);
  const data = await readShd(file, { numClasses });
  return new Heidelberg(name, file, data, `${name}:${file}:${st.size}:${st.mtimeMs}`, numClasses);
}

export type SHD = Heidelberg;
export type SSC = Heidelberg;

export const SHD = {
  open: (root: string, opts: { train?: boolean } = {}): Promise<Heidelberg> => open("shd", root, opts.train === false ? "test" : "train", SHD_CLASSES),
  openFile: (file: string): Promise<Heidelberg> => openFile("shd", file, SHD_CLASSES),
};

export const SSC = {
  open: (root: string, opts: { split?: HeidelbergSplit } = {}): Promise<Heidelberg> => open("ssc", root, opts.split ?? "train", SSC_CLASSES),
  openFile: (file: string): Promise<Heidelberg> => openFile("ssc", file, SSC_CLASSES),
};
