/**
 * DVS Gesture over a local root holding the extracted `DvsGesture/` folder (or its contents):
 * `trials_to_train.txt` / `trials_to_test.txt`, `userNN_<light>.aedat`, `userNN_<light>_labels.csv`.
 * Each labelled segment of each listed recording is one sample; the last decoded recording is kept
 * in memory because samples of one recording are read together.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../errors.js";
import type { Events } from "../events.js";
import { DVS128_SENSOR, readAedat31 } from "../readers/aedat.js";
import { cutSegments, GESTURE_CLASSES, parseGestureLabels, parseTrials, type GestureSegment } from "../readers/gesture-labels.js";
import type { EventDataset, EventSample } from "./types.js";

export interface DvsGestureOptions {
  train?: boolean;
}

interface Entry {
  aedat: string;
  seg: GestureSegment;
}

export class DVSGesture implements EventDataset {
  readonly name = "dvsgesture";
  readonly sensorSize = DVS128_SENSOR;
  readonly classes = GESTURE_CLASSES;
  readonly dir: string;
  readonly entries: Entry[] = [];
  readonly id: string;
  private lastFile = "";
  private lastEvents: Events | null = null;

  constructor(
    readonly root: string,
    opts: DvsGestureOptions = {},
  ) {
    const listName = opts.train === false ? "trials_to_test.txt" : "trials_to_train.txt";
    this.dir = existsSync(join(root, "DvsGesture", listName)) ? join(root, "DvsGesture") : root;
    const layout = `${join(root, "DvsGesture")}/{trials_to_train.txt, trials_to_test.txt, userNN_<lighting>.aedat, userNN_<lighting>_labels.csv} (extract DvsGesture.tar.gz into ${root})`;
    const list = join(this.dir, listName);
    if (!existsSync(list)) throw new ConfigError(`DVSGesture: ${list} not found; expected ${layout}`);
    const trials = parseTrials(readFileSync(list, "utf8"), list);
    for (const name of trials) {
      const aedat = join(this.dir, name);
      const csv = join(this.dir, name.replace(/\.aedat$/, "_labels.csv"));
      if (!existsSync(aedat)) throw new ConfigError(`DVSGesture: ${aedat} (listed in ${listName}) not found; expected ${layout}`);
      if (!existsSync(csv)) throw new ConfigError(`DVSGesture: labels file ${csv} not found; expected ${layout}`);
      for (const seg of parseGestureLabels(readFileSync(csv, "utf8"), csv)) this.entries.push({ aedat, seg });
    }
    this.id = `dvsgesture:${list}:${statSync(list).mtimeMs}:${this.entries.length}`;
  }

  get length(): number {
    return this.entries.length;
  }

  label(i: number): number {
    const e = this.entries[i];
    if (!e) throw new ConfigError(`DVSGesture: index ${i} outside 0..${this.entries.length - 1}`);
    return e.seg.label;
  }

  events(i: number): EventSample {
    const e = this.entries[i];
    if (!e) throw new ConfigError(`DVSGesture: index ${i} outside 0..${this.entries.length - 1}`);
    if (e.aedat !== this.lastFile || !this.lastEvents) {
      this.lastEvents = readAedat31(e.aedat).events;
      this.lastFile = e.aedat;
    }
    return cutSegments(this.lastEvents, [e.seg])[0]!;
  }
}
