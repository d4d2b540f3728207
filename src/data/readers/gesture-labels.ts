/**
 * DVS Gesture side files: `userNN_<light>_labels.csv` (class,startTime_usec,endTime_usec; class 1..11)
 * and `trials_to_{train,test}.txt` (one .aedat name per line), plus cutting a recording into
 * labelled samples with spikingjelly's rule: start ≤ t < end, times shifted by −start.
 */
import { FormatError } from "../../errors.js";
import { sliceEvents, type Events } from "../events.js";
import { searchLeft } from "../transforms/to-frame.js";

export const GESTURE_CLASSES = [
  "hand_clapping", "right_hand_wave", "left_hand_wave", "right_arm_clockwise", "right_arm_counter_clockwise",
  "left_arm_clockwise", "left_arm_counter_clockwise", "arm_roll", "air_drums", "air_guitar", "other_gestures",
] as const;

export interface GestureSegment {
  /** 0-based label (CSV class − 1). */
  label: number;
  startUs: number;
  endUs: number;
}

const CSV_HEADER = "class,startTime_usec,endTime_usec";
const INT = /^\s*-?\d+\s*$/;

export function parseGestureLabels(text: string, file = "<labels>", numClasses = 11): GestureSegment[] {
  const lines = text.split(/\r?\n/);
  if ((lines[0] ?? "").trim() !== CSV_HEADER) {
    throw new FormatError(file, "line 1", `the header '${CSV_HEADER}'`, `found '${(lines[0] ?? "").slice(0, 60)}'`);
  }
  const out: GestureSegment[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const cols = line.split(",");
    if (cols.length !== 3 || !cols.every((c) => INT.test(c))) {
      throw new FormatError(file, `line ${i + 1}`, "three integers: class,startTime_usec,endTime_usec", `found '${line.slice(0, 60)}'`);
    }
    const [c, s, e] = cols.map((v) => Number(v)) as [number, number, number];
    if (c < 1 || c > numClasses) throw new FormatError(file, `line ${i + 1}`, `class in 1..${numClasses}`, `found ${c}: label out of range`);
    if (!(s >= 0 && e > s)) throw new FormatError(file, `line ${i + 1}`, "0 ≤ startTime_usec < endTime_usec", `start=${s}, end=${e}`);
    out.push({ label: c - 1, startUs: s, endUs: e });
  }
  return out;
}

export function formatGestureLabels(segs: readonly GestureSegment[]): string {
  return [CSV_HEADER, ...segs.map((s) => `${s.label + 1},${s.startUs},${s.endUs}`)].join("\r\n") + "\r\n";
}

/** `trials_to_train.txt`: non-empty lines, each an .aedat file name. */
export function parseTrials(text: string, file = "<trials>"): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const name = lines[i]!.trim();
    if (name === "") continue;
    if (!name.endsWith(".aedat") || /[/\\]/.test(name)) throw new FormatError(file, `line ${i + 1}`, "a bare '.aedat' file name", `found '${name.slice(0, 60)}'`);
    out.push(name);
  }
  return out;
}

export function formatTrials(names: readonly string[]): string {
  return names.map((n) => n + "\r\n").join("");
}


/** Cut a time-sorted recording into labelled samples (copies, times shifted to start at 0). */
export function cutSegments(ev: Events, segs: readonly GestureSegment[]): { events: Events; label: number }[] {
  return segs.map((s) => {
    const a = searchLeft(ev.t, s.startUs);
    const b = searchLeft(ev.t, s.endUs);
    const v = sliceEvents(ev, a, b);
    const t = new Float64Array(v.t.length);
    for (let i = 0; i < t.length; i++) t[i] = v.t[i]! - s.startUs;
    return { events: { x: v.x.slice(), y: v.y.slice(), t, p: v.p.slice() }, label: s.label };
  });
}
