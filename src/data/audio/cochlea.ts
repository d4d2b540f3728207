/**
 * Audio → spikes: gammatone filterbank (gammatone.ts) → inner-hair-cell stage (half-wave
 * rectification, 1 kHz membrane low-pass, Dau-style divisive adaptation loops) → one leaky
 * integrate-and-fire unit with a refractory period per channel. The three stages run fused in one loop
 * per channel so no [channels × samples] buffer is ever held. Equations and references:
 * docs/auditory-model.md. Pure and synchronous; the CLI and the spoken-digits workers call it.
 */
import { ConfigError } from "../../errors.js";
import { designGammatone, erbSpace } from "./gammatone.js";
import { resample } from "./wav.js";

export interface CochleaOptions {
  /** Number of channels (SHD: 700). */
  channels?: number;
  /** Lowest and highest centre frequency, Hz. */
  fMin?: number;
  fMax?: number;
  /** Rate the model runs at; input is resampled to it. */
  sampleRate?: number;
  /** Cut-off of the hair-cell membrane low-pass, Hz (removes phase locking above it). */
  ihcCutoff?: number;
  /** Time constants of the two adaptation loops, seconds. */
  adaptTaus?: [number, number];
  /** Smallest hair-cell output the adaptation loops see (sets their resting state). */
  floor?: number;
  /** Input gain of the spiking unit, 1/s (drive = gain · adapted hair-cell output). */
  gain?: number;
  /** Membrane time constant of the spiking unit, seconds. */
  tauMem?: number;
  /** Absolute refractory period, seconds. */
  refractory?: number;
}

export type CochleaParams = Required<CochleaOptions>;

export const COCHLEA_DEFAULTS: CochleaParams = {
  channels: 700,
  fMin: 50,
  fMax: 7000,
  sampleRate: 16000,
  ihcCutoff: 1000,
  adaptTaus: [0.005, 0.05],
  floor: 1e-5,
  gain: 200,
  tauMem: 0.05,
  refractory: 0.001,
};

export function resolveCochlea(opts: CochleaOptions = {}): CochleaParams {
  // Only the model's own keys: callers pass wider option objects (CLI flags, generator settings).
  const p: CochleaParams = { ...COCHLEA_DEFAULTS };
  for (const k of Object.keys(COCHLEA_DEFAULTS) as (keyof CochleaParams)[]) {
    if (opts[k] !== undefined) (p as Record<string, unknown>)[k] = opts[k];
  }
  const pos = (k: keyof CochleaParams): void => {
    const v = p[k];
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) throw new ConfigError(`cochlea: ${k} must be a positive number, got ${String(v)}`);
  };
  for (const k of ["fMin", "fMax", "sampleRate", "ihcCutoff", "floor", "gain", "tauMem"] as const) pos(k);
  if (!(p.refractory >= 0)) throw new ConfigError(`cochlea: refractory must be ≥ 0 s, got ${p.refractory}`);
  if (!(Number.isInteger(p.channels) && p.channels >= 1 && p.channels <= 65536)) throw new ConfigError(`cochlea: channels must be an integer in 1..65536 (units are uint16), got ${p.channels}`);
  if (p.adaptTaus.length !== 2 || p.adaptTaus.some((t) => !(t > 0))) throw new ConfigError(`cochlea: adaptTaus must be two positive time constants in seconds, got ${p.adaptTaus.join(", ")}`);
  if (p.fMax >= 0.45 * p.sampleRate) throw new ConfigError(`cochlea: fMax ${p.fMax} Hz must be below 0.45 × sampleRate (${0.45 * p.sampleRate} Hz); lower fMax or raise sampleRate`);
  return p;
}

export interface Spikes {
  /** Seconds from the start of the audio, non-decreasing. */
  times: Float32Array;
  /** Channel of each spike, 0 = lowest centre frequency. */
  units: Uint16Array;
}

/** Centre frequencies (Hz) of the channels, channel 0 lowest. */
export function channelFrequencies(p: CochleaParams): Float64Array {
  return erbSpace(p.fMin, p.fMax, p.channels);
}

/** Spike sample indices of one channel; `out` grows as needed and is returned with its fill count. */
function runChannel(x: Float32Array, fs: number, a: number, omega: number, p: CochleaParams, buf: Int32Array): { buf: Int32Array; n: number } {
  const b = 1 - a;
  const cw = Math.cos(omega);
  const sw = Math.sin(omega);
  const kIhc = 1 - Math.exp((-2 * Math.PI * p.ihcCutoff) / fs);
  const k1 = 1 - Math.exp(-1 / (p.adaptTaus[0] * fs));
  const k2 = 1 - Math.exp(-1 / (p.adaptTaus[1] * fs));
  // Each loop's steady state is the square root of its input, so at rest the loops hold floor^(1/2), floor^(1/4).
  let s1 = Math.sqrt(p.floor);
  let s2 = Math.sqrt(s1);
  const rest = s2;
  const dt = 1 / fs;
  const beta = Math.exp(-dt / p.tauMem);
  const drive = p.gain * dt;
  const refN = Math.round(p.refractory * fs);
  let r1 = 0, r2 = 0, r3 = 0, r4 = 0, i1 = 0, i2 = 0, i3 = 0, i4 = 0;
  let cr = 1, ci = 0;
  let h = 0, v = 0, ref = 0, count = 0;
  let out = buf;
  const floor = p.floor;
  const n = x.length;
  for (let t = 0; t < n; t++) {
    const xt = x[t]!;
    // Shift the channel's band to 0 Hz (multiply by e^{−iωt}), low-pass it with four one-pole stages,
    // shift back: a 4th-order gammatone (Holdsworth et al. 1988).
    const zr = xt * cr;
    const zi = xt * ci;
    r1 = b * zr + a * r1; i1 = b * zi + a * i1;
    r2 = b * r1 + a * r2; i2 = b * i1 + a * i2;
    r3 = b * r2 + a * r3; i3 = b * i2 + a * i3;
    r4 = b * r3 + a * r4; i4 = b * i3 + a * i4;
    const y = 2 * (r4 * cr + i4 * ci);
    const ncr = cr * cw + ci * sw;
    ci = ci * cw - cr * sw;
    cr = ncr;
    if ((t & 1023) === 1023) {
      const g = 1 / Math.sqrt(cr * cr + ci * ci);
      cr *= g;
      ci *= g;
    }
    h += kIhc * ((y > 0 ? y : 0) - h);
    const o1 = (h > floor ? h : floor) / s1;
    s1 += k1 * (o1 - s1);
    const o2 = o1 / s2;
    s2 += k2 * (o2 - s2);
    const o = o2 - rest;
    if (ref > 0) {
      ref--;
      continue;
    }
    v = v * beta + (o > 0 ? o * drive : 0);
    if (v >= 1) {
      if (count === out.length) {
        const grown = new Int32Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[count++] = t;
      v = 0;
      ref = refN;
    }
  }
  return { buf: out, n: count };
}

/** Run the model on mono samples (any rate; resampled to params.sampleRate first). */
export function cochleaSpikes(samples: Float32Array, sampleRate: number, params: CochleaParams): Spikes {
  const fs = params.sampleRate;
  const x = sampleRate === fs ? samples : resample(samples, sampleRate, fs);
  const chans = designGammatone(channelFrequencies(params), fs);
  const perChan: Int32Array[] = [];
  let total = 0;
  let buf: Int32Array = new Int32Array(256);
  for (const c of chans) {
    const r = runChannel(x, fs, c.a, c.omega, params, buf);
    buf = r.buf;
    perChan.push(r.buf.slice(0, r.n));
    total += r.n;
  }
  // Sort all spikes by (sample, channel): key = sample · channels + channel is exact in float64.
  const C = params.channels;
  const keys = new Float64Array(total);
  let o = 0;
  for (let c = 0; c < C; c++) {
    const s = perChan[c]!;
    for (let j = 0; j < s.length; j++) keys[o++] = s[j]! * C + c;
  }
  keys.sort();
  const times = new Float32Array(total);
  const units = new Uint16Array(total);
  for (let j = 0; j < total; j++) {
    const key = keys[j]!;
    const t = Math.floor(key / C);
    units[j] = key - t * C;
    times[j] = t / fs;
  }
  return { times, units };
}
