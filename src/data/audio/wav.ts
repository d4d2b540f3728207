/**
 * WAV in, mono float samples out, through the `wavefile` package (RIFF/RIFX/RF64 parsing, sample
 * decoding, band-limited resampling). This file only adds what the converter needs on top: the
 * encodings we accept, a truncation check wavefile does not make, down-mixing, and FormatErrors that
 * name the file. Not a general audio I/O layer.
 */
import wavefile from "wavefile";
import { FormatError } from "../../errors.js";

export interface Audio {
  /** Mono samples, full scale ±1. */
  samples: Float32Array;
  sampleRate: number;
}

interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  validBitsPerSample?: number;
  subformat?: number[];
}

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;
// Streaming writers (espeak-ng --stdout, sox to a pipe) cannot know the length and put a sentinel here.
const STREAMING_SIZES = [0xffffffff, 0x7ffff000, 0x7fffffff];
const HOWTO = "convert it to 16-bit PCM or 32-bit float WAV, e.g. `sox in.wav -b 16 -e signed-integer out.wav`";

/** Decode a WAV file's bytes: 8/16/24/32-bit PCM or 32/64-bit float, any channel count (averaged to mono). */
export function decodeWav(bytes: Uint8Array, file: string): Audio {
  const w = new wavefile.WaveFile();
  try {
    w.fromBuffer(bytes);
  } catch (e) {
    throw new FormatError(file, "RIFF header", "a RIFF/WAVE file with 'fmt ' and 'data' chunks", (e as Error).message);
  }
  const fmt = w.fmt as FmtChunk;
  let code = fmt.audioFormat;
  if (code === EXTENSIBLE && Array.isArray(fmt.subformat) && fmt.subformat.length > 0) code = fmt.subformat[0]! & 0xffff;
  const bits = fmt.bitsPerSample;
  const okPcm = code === PCM && [8, 16, 24, 32].includes(bits);
  const okFloat = code === IEEE_FLOAT && (bits === 32 || bits === 64);
  if (!okPcm && !okFloat) {
    throw new FormatError(file, "'fmt ' chunk", "PCM (8/16/24/32-bit) or IEEE float (32/64-bit) samples", `unsupported encoding: format code ${code}, ${bits} bits; ${HOWTO}`);
  }
  if (!(fmt.numChannels >= 1) || !(fmt.sampleRate > 0)) {
    throw new FormatError(file, "'fmt ' chunk", "≥ 1 channel and a positive sample rate", `${fmt.numChannels} channels at ${fmt.sampleRate} Hz`);
  }
  const data = w.data as { chunkSize: number; samples: Uint8Array };
  if (!data || !(data.samples instanceof Uint8Array) || data.samples.length === 0) {
    throw new FormatError(file, "'data' chunk", "audio samples", "no data chunk or an empty one");
  }
  const frameBytes = (bits / 8) * fmt.numChannels;
  const have = data.samples.length;
  const streaming = STREAMING_SIZES.includes(data.chunkSize);
  if ((!streaming && have < data.chunkSize) || have % frameBytes !== 0) {
    throw new FormatError(file, "'data' chunk", `${streaming ? "whole frames" : `${data.chunkSize} bytes of samples`} (${frameBytes} bytes per frame)`, `file truncated: ${have} bytes present; re-export or re-download it`);
  }
  const inter = w.getSamples(true, Float64Array) as unknown as Float64Array;
  const ch = fmt.numChannels;
  const n = inter.length / ch;
  // wavefile returns integer codes for PCM; scale to ±1 (8-bit WAV is unsigned, centred on 128).
  const scale = code === IEEE_FLOAT ? 1 : bits === 8 ? 1 / 128 : 1 / 2 ** (bits - 1);
  const offset = code === PCM && bits === 8 ? 128 : 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < ch; c++) s += inter[i * ch + c]! - offset;
    out[i] = (s / ch) * scale;
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i]!)) throw new FormatError(file, `sample ${i}`, "finite sample values", `found ${out[i]}`);
  }
  return { samples: out, sampleRate: fmt.sampleRate };
}

/** Band-limited resampling (wavefile's windowed-sinc with its anti-alias low-pass). */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return samples;
  const w = new wavefile.WaveFile();
  w.fromScratch(1, from, "32f", samples);
  w.toSampleRate(Math.round(to), { method: "sinc", LPF: true });
  return Float32Array.from(w.getSamples(false, Float64Array) as unknown as Float64Array);
}

/** 16-bit PCM mono WAV bytes (tests and the spoken-digits cache write these). */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const q = new Int16Array(samples.length);
  for (let i = 0; i < q.length; i++) q[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32767)));
  const w = new wavefile.WaveFile();
  w.fromScratch(1, sampleRate, "16", q);
  return w.toBuffer();
}
