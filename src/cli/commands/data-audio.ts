/**
 * The audio commands under `exodus-snn data`: `audio-to-spikes --in DIR --labels FILE.csv --out FILE.h5`
 * (WAVs → cochlea model → SHD layout) and the handler of `data sim spoken-digits --out FILE.h5`
 * (synthetic SHD stand-in). data.ts calls `registerAudio` once and lists `spokenDigitsSimKind` in its table of
 * simulators; everything else about them lives here.
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { COCHLEA_DEFAULTS, type CochleaOptions } from "../../data/audio/cochlea.js";
import { convertAudioFolder } from "../../data/audio/convert.js";
import { closeH5Reader } from "../../data/readers/hdf5.js";
import type { SimKind } from "../../data/sim/sim-kind.js";
import { generateSpokenDigits } from "../../data/sim/spoken-digits.js";
import { intFlag, posFloatFlag } from "../args.js";

function out(line: string): void {
  process.stdout.write(line + "\n");
}

function err(line: string): void {
  process.stderr.write(line + "\n");
}

function cochleaFlags(o: Record<string, unknown>): CochleaOptions {
  return {
    channels: intFlag("--channels", o["channels"], 1),
    fMin: posFloatFlag("--f-min", o["fMin"]),
    fMax: posFloatFlag("--f-max", o["fMax"]),
    sampleRate: posFloatFlag("--sample-rate", o["sampleRate"]),
  };
}

const COCHLEA_FLAGS: [string, string][] = [
  ["--channels <n>", `cochlea channels (default ${COCHLEA_DEFAULTS.channels}, as SHD)`],
  ["--f-min <hz>", `lowest centre frequency (default ${COCHLEA_DEFAULTS.fMin})`],
  ["--f-max <hz>", `highest centre frequency (default ${COCHLEA_DEFAULTS.fMax})`],
  ["--sample-rate <hz>", `rate the model runs at (default ${COCHLEA_DEFAULTS.sampleRate})`],
];

const SIM_FLAGS: [string, string][] = [
  ["--out <file>", "output FILE.h5 → FILE_train.h5 + FILE_test.h5"],
  ["--train <n>", "train samples (default 8156, as SHD)"],
  ["--test <n>", "test samples (default 2264, as SHD)"],
  ["--seed <n>", "seed of voices split and augmentations (default 0)"],
  ["--jobs <n>", "worker threads (default: all cores)"],
  ["--force", "remake even when cached"],
  ...COCHLEA_FLAGS,
];

export function registerAudio(data: Command): void {
  const cmd = data
    .command("audio-to-spikes")
    .description("WAV files + a file,label[,speaker] CSV → one SHD-layout HDF5 file via a cochlea model (docs/auditory-model.md)")
    .requiredOption("--in <dir>", "folder the CSV's file names are relative to")
    .requiredOption("--labels <csv>", "CSV of file,label[,speaker]; names as labels are numbered in sorted order")
    .requiredOption("--out <file>", "output .h5 (written atomically)");
  for (const [f, d] of COCHLEA_FLAGS) cmd.option(f, d);
  cmd.action(async (o: Record<string, unknown>) => {
    try {
      const r = await convertAudioFolder(String(o["in"]), String(o["labels"]), String(o["out"]), { ...cochleaFlags(o), log: err });
      out(`wrote ${r.out}: ${r.samples} samples, ${r.spikes} spikes, ${r.audioSeconds.toFixed(1)} s of audio in ${r.seconds.toFixed(1)} s (real-time factor ${(r.seconds / r.audioSeconds).toFixed(3)})`);
      out(JSON.stringify(r));
    } finally {
      closeH5Reader();
    }
  });
}

/** `data sim spoken-digits`: the digits in English and German from espeak-ng voices through the cochlea model. */
export const spokenDigitsSimKind: SimKind = {
  name: "spoken-digits",
  summary: "SHD-like spoken digits (English 0–9, German 10–19) from espeak-ng voices through the cochlea model; voice-disjoint splits",
  flags: SIM_FLAGS.map(([flags, description]) => ({ flags, description })),
  async run(o, log) {
    if (typeof o["out"] !== "string") throw new UsageError("data sim spoken-digits: --out FILE.h5 is required (FILE_train.h5 and FILE_test.h5 are written)");
    const r = await generateSpokenDigits({
      out: o["out"],
      train: intFlag("--train", o["train"], 1),
      test: intFlag("--test", o["test"], 1),
      seed: intFlag("--seed", o["seed"], 0),
      jobs: intFlag("--jobs", o["jobs"], 1),
      force: o["force"] === true,
      ...cochleaFlags(o),
      log,
    });
    log(`${r.cached ? "cached" : "wrote"} ${r.train} (${r.counts.train}) and ${r.test} (${r.counts.test}); voices ${r.voices.train.length} train / ${r.voices.test.length} test; ${r.seconds.toFixed(1)} s, ${r.samplesPerSecond.toFixed(2)} samples/s on ${r.jobs} workers`);
    return { ...r, voices: { train: r.voices.train, test: r.voices.test } };
  },
};
