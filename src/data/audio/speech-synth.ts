/**
 * One spoken-digits sample, start to finish: espeak-ng says the word, then the augmentations (speed,
 * loudness, leading silence, background noise) and the cochlea model. Pure apart from the espeak-ng
 * call; runs inside the generator's worker threads and, for tests, in-process.
 */
import { execFileSync } from "node:child_process";
import { ConfigError } from "../../errors.js";
import { mulberry32 } from "../../util/rng.js";
import { cochleaSpikes, type CochleaParams, type Spikes } from "./cochlea.js";
import { decodeWav, resample } from "./wav.js";

export const WORDS_EN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
export const WORDS_DE = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"];

export interface SampleSpec {
  /** Label 0–19: English 0–9, German 10–19 (SHD's numbering). */
  label: number;
  /** espeak-ng voice, `<language>+<variant>`. */
  voice: string;
  /** Words per minute and pitch (0–99) given to espeak-ng. */
  wpm: number;
  pitch: number;
  /** Playback-speed factor: > 1 is faster and higher. */
  speed: number;
  /** Level relative to −20 dBFS RMS, dB. */
  gainDb: number;
  /** Silence before the word, seconds. */
  lead: number;
  /** Signal-to-noise ratio of added noise, dB; null = clean. */
  snrDb: number | null;
  /** White or low-passed (≈ 1/f² above 300 Hz) noise. */
  noise: "white" | "low";
  /** Seeds the noise. */
  seed: number;
}

export function espeakWav(voice: string, wpm: number, pitch: number, word: string): Uint8Array {
  try {
    return execFileSync("espeak-ng", ["-v", voice, "-s", String(wpm), "-p", String(pitch), "--stdout", word], { maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") throw new ConfigError("espeak-ng is not installed; install it (`apt-get install -y espeak-ng`, as .ci/setup-system does) to generate spoken digits");
    throw new ConfigError(`espeak-ng -v ${voice} failed on '${word}': ${err.message}`);
  }
}

/** Cut leading and trailing silence (below −60 dB re the peak), keeping 20 ms either side: espeak-ng pads generously and silence costs model time. */
export function trimSilence(x: Float32Array, rate: number): Float32Array {
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  const th = peak * 1e-3;
  let a = 0;
  while (a < x.length && Math.abs(x[a]!) <= th) a++;
  let b = x.length - 1;
  while (b > a && Math.abs(x[b]!) <= th) b--;
  const pad = Math.round(0.02 * rate);
  return x.subarray(Math.max(0, a - pad), Math.min(x.length, b + 1 + pad));
}

/** Synthesize, augment and convert one sample. */
export function synthSample(spec: SampleSpec, params: CochleaParams): Spikes & { seconds: number } {
  const word = spec.label < 10 ? WORDS_EN[spec.label]! : WORDS_DE[spec.label - 10]!;
  const audio = decodeWav(espeakWav(spec.voice, spec.wpm, spec.pitch, word), `espeak-ng -v ${spec.voice} '${word}'`);
  const fs = params.sampleRate;
  const said = trimSilence(audio.samples, audio.sampleRate);
  // Speed: play the samples as if recorded at speed·rate (tempo and pitch change together).
  const speech = resample(said, Math.round(audio.sampleRate * spec.speed), fs);
  let ss = 0;
  for (const v of speech) ss += v * v;
  const rms = Math.sqrt(ss / Math.max(1, speech.length));
  const g = rms > 0 ? 10 ** ((-20 + spec.gainDb) / 20) / rms : 0;
  const lead = Math.round(spec.lead * fs);
  const x = new Float32Array(lead + speech.length);
  for (let i = 0; i < speech.length; i++) x[lead + i] = speech[i]! * g;
  if (spec.snrDb !== null && rms > 0) {
    const rnd = mulberry32(spec.seed);
    const noise = new Float32Array(x.length);
    let lp = 0;
    const k = 1 - Math.exp((-2 * Math.PI * 300) / fs);
    for (let i = 0; i < noise.length; i++) {
      // Box–Muller normal deviate
      const w = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      lp += k * (w - lp);
      noise[i] = spec.noise === "white" ? w : lp;
    }
    let ns = 0;
    for (const v of noise) ns += v * v;
    const nRms = Math.sqrt(ns / noise.length);
    const target = 10 ** ((-20 + spec.gainDb - spec.snrDb) / 20);
    for (let i = 0; i < x.length; i++) x[i]! += (noise[i]! * target) / nRms;
  }
  const s = cochleaSpikes(x, fs, params);
  return { ...s, seconds: x.length / fs };
}
