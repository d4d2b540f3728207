/**
 * Test helper: a tiny SHD-format file pair (FILE_train.h5 / FILE_test.h5, 700 channels, 20 classes, with
 * `extra/speaker`) written with the project's SHD writer. Class c fires a band of channels around 35·c at a
 * class-dependent time, so a network can learn something in one epoch; speakers are disjoint between the files.
 */
import { join } from "node:path";
import { writeShd } from "../../src/data/readers/shd.js";
import { Rng } from "../../src/util/rng.js";

function split(n: number, speakers: number[], seed: number) {
  const rng = new Rng(seed);
  const times: Float32Array[] = [], units: Uint16Array[] = [], labels: number[] = [], speaker: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 20;
    const k = 150 + rng.int(0, 100);
    const ev = Array.from({ length: k }, () => ({ t: Math.min(0.99, Math.max(0, 0.1 + 0.03 * c + 0.1 * rng.normal())), u: Math.min(699, Math.max(0, Math.round(35 * c + 17 + 12 * rng.normal()))) }));
    ev.sort((a, b) => a.t - b.t);
    times.push(Float32Array.from(ev, (e) => e.t));
    units.push(Uint16Array.from(ev, (e) => e.u));
    labels.push(c);
    speaker.push(speakers[i % speakers.length]!);
  }
  return { times, units, labels, speaker };
}

/** Writes `<dir>/tiny_{train,test}.h5` and returns `<dir>/tiny.h5` (the name that stands for the pair). */
export async function writeTinyShd(dir: string, o: { train?: number; test?: number } = {}): Promise<string> {
  await writeShd(join(dir, "tiny_train.h5"), split(o.train ?? 120, [0, 1, 2, 3, 4, 5, 6, 7], 1));
  await writeShd(join(dir, "tiny_test.h5"), split(o.test ?? 40, [8, 9], 2));
  return join(dir, "tiny.h5");
}
