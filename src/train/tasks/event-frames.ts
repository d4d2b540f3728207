/**
 * An event dataset held in memory as frames, for the synchronous loops (fitSteps, the count baseline) and
 * for experiments that train many runs on the same data: the EventTask's frames (from the frame cache, so
 * binning happens once) are loaded into a FrameTask with train / val / test splits. The validation split is
 * cut from the training file: speaker-disjoint when the file records speakers (SHD's test split holds out
 * speakers, so model selection should too), else a fixed random subset.
 */
import { ConfigError } from "../../errors.js";
import { Rng } from "../../util/rng.js";
import type { EventTask } from "./event-task.js";
import { FrameTask, type Frames, type SimSplit } from "./frames.js";

export interface ValSplit {
  /** "speaker": whole speakers held out; "random": a random subset (the file records no speakers, or one). */
  by: "speaker" | "random";
  fraction: number;
  /** Speaker ids of each part (empty for a random split). */
  valSpeakers: number[];
  trainSpeakers: number[];
  testSpeakers: number[];
}

/** Fixed, so every seed and every machine selects on the same validation samples. */
const VAL_SEED = 0x5a1d;

/**
 * Indices of the training samples that go to validation: whole speakers, in a fixed random order, until at
 * least `fraction` of the samples are held out (at least one speaker stays for training).
 */
export function pickValidation(n: number, speakers: Int32Array | null, fraction: number): { val: Int32Array; by: ValSplit["by"]; valSpeakers: number[] } {
  if (!(fraction > 0 && fraction < 1)) throw new ConfigError(`validation fraction must be in (0, 1), got ${fraction}`);
  const rng = new Rng(VAL_SEED);
  const distinct = speakers ? [...new Set(speakers)].sort((a, b) => a - b) : [];
  if (speakers && distinct.length >= 2) {
    rng.shuffle(distinct);
    const count = new Map<number, number>();
    for (const s of speakers) count.set(s, (count.get(s) ?? 0) + 1);
    const held = new Set<number>();
    let k = 0;
    for (const s of distinct.slice(0, -1)) {
      if (k >= fraction * n) break;
      held.add(s);
      k += count.get(s)!;
    }
    const val = Int32Array.from({ length: n }, (_, i) => i).filter((i) => held.has(speakers[i]!));
    return { val, by: "speaker", valSpeakers: [...held].sort((a, b) => a - b) };
  }
  const order = Array.from({ length: n }, (_, i) => i);
  rng.shuffle(order);
  const k = Math.max(1, Math.round(fraction * n));
  return { val: Int32Array.from(order.slice(0, k)).sort(), by: "random", valSpeakers: [] };
}

/** Rows `idx` of sample-major frames (T·F values per sample). */
function rows(f: { x: Int16Array; labels: Int32Array }, idx: Int32Array, TF: number): Frames {
  const x = new Int16Array(idx.length * TF);
  idx.forEach((i, j) => x.set(f.x.subarray(i * TF, (i + 1) * TF), j * TF));
  return { x, labels: Int32Array.from(idx, (i) => f.labels[i]!) };
}

export class EventFrameTask extends FrameTask {
  readonly name: string;
  readonly inputShape: number[];
  readonly classes: number;
  readonly description: string;

  constructor(src: EventTask, splits: Record<SimSplit, Frames>, readonly val: ValSplit) {
    super(src.T, splits);
    this.name = src.name;
    this.inputShape = src.inputShape;
    this.classes = src.classes;
    const n = (s: SimSplit) => splits[s].labels.length;
    const how = val.by === "speaker" ? `speakers ${val.valSpeakers.join(", ")} held out of the training file` : "a fixed random subset of the training file";
    this.description = `${src.description}; validation ${n("val")} samples (${how}), training ${n("train")}, test ${n("test")}`;
  }
}

/** Loads `task`'s frames once into memory and cuts the validation split (see the file comment). */
export async function loadEventFrames(task: EventTask, o: { valFraction: number; log?: (s: string) => void }): Promise<EventFrameTask> {
  const progress = (split: string) => (done: number, total: number) => o.log?.(`  ${task.name} ${split}: ${done}/${total} samples framed`);
  const train = await task.loadSplit("train", progress("train"));
  const test = await task.loadSplit("test", progress("test"));
  const n = train.labels.length;
  const pick = pickValidation(n, train.speakers, o.valFraction);
  if (pick.val.length >= n) throw new ConfigError(`${task.name}: ${n} training samples leave none for training after the validation split; use more samples or a smaller validation fraction`);
  const isVal = new Uint8Array(n);
  pick.val.forEach((i) => (isVal[i] = 1));
  const trainIdx = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !isVal[i]);
  const TF = task.T * task.inputShape.reduce((a, b) => a * b, 1);
  const speakersOf = (ids: Int32Array | null, idx?: Int32Array) => (ids ? [...new Set(idx ? Array.from(idx, (i) => ids[i]!) : ids)].sort((a, b) => a - b) : []);
  return new EventFrameTask(
    task,
    { train: rows(train, trainIdx, TF), val: rows(train, pick.val, TF), test: { x: test.x, labels: test.labels } },
    {
      by: pick.by, fraction: o.valFraction, valSpeakers: pick.valSpeakers,
      trainSpeakers: speakersOf(train.speakers, trainIdx), testSpeakers: speakersOf(test.speakers),
    },
  );
}
