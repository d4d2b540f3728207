/**
 * N-MNIST over a local root: `<root>/Train/<digit>/<id>.bin` and `<root>/Test/<digit>/<id>.bin`
 * (the layout of the unzipped official archives). Label = digit folder. Optional first saccade only
 * (t < 100 ms), as tonic offers.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../errors.js";
import { sliceEvents } from "../events.js";
import { listNmnistTree, NMNIST_SENSOR, readNmnistFile, type LabelledFile } from "../readers/nmnist.js";
import type { EventDataset, EventSample } from "./types.js";

export interface NmnistOptions {
  train?: boolean;
  /** The split's folder when it is not spelled Train/Test (e.g. "train" on a case-sensitive disk). */
  folder?: string;
  firstSaccadeOnly?: boolean;
}

export class NMNIST implements EventDataset {
  readonly name = "nmnist";
  readonly sensorSize = NMNIST_SENSOR;
  readonly classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;
  readonly files: LabelledFile[];
  readonly id: string;

  constructor(
    readonly root: string,
    readonly opts: NmnistOptions = {},
  ) {
    const folder = opts.folder ?? join(root, opts.train === false ? "Test" : "Train");
    const layout = `${join(root, "Train")}/<0-9>/<id>.bin and ${join(root, "Test")}/<0-9>/<id>.bin (unzip the N-MNIST archives into ${root}, or run: exodus-snn data fetch nmnist --root ${root})`;
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new ConfigError(`NMNIST: folder ${folder} not found; expected ${layout}`);
    this.files = listNmnistTree(folder);
    if (this.files.length === 0) throw new ConfigError(`NMNIST: no .bin files under ${folder}; expected ${layout}`);
    const st = statSync(folder);
    this.id = `nmnist:${folder}:${this.files.length}:${st.mtimeMs}:${opts.firstSaccadeOnly ? 1 : 0}`;
  }

  get length(): number {
    return this.files.length;
  }

  label(i: number): number {
    const f = this.files[i];
    if (!f) throw new ConfigError(`NMNIST: index ${i} outside 0..${this.files.length - 1}`);
    return f.label;
  }

  events(i: number): EventSample {
    const f = this.files[i];
    if (!f) throw new ConfigError(`NMNIST: index ${i} outside 0..${this.files.length - 1}`);
    let ev = readNmnistFile(f.path);
    if (this.opts.firstSaccadeOnly) {
      let k = 0;
      while (k < ev.t.length && ev.t[k]! < 100_000) k++;
      ev = sliceEvents(ev, 0, k);
    }
    return { events: ev, label: f.label };
  }
}
