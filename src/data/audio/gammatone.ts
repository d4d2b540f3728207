/**
 * The basilar-membrane stage: centre frequencies spaced evenly on the ERB-number scale and the
 * coefficients of a 4th-order gammatone filter per channel (Glasberg & Moore 1990; Patterson et al.
 * 1992), realised as the complex-baseband cascade of Holdsworth et al. (1988). Equations in
 * docs/auditory-model.md §1. The per-sample loop lives in cochlea.ts, fused with the later stages.
 */
import { ConfigError } from "../../errors.js";

/** Equivalent rectangular bandwidth (Hz) of the auditory filter at f Hz (Glasberg & Moore 1990). */
export function erb(f: number): number {
  return 24.7 * (4.37e-3 * f + 1);
}

/** ERB-number (Cams) of f Hz: the number of ERBs below f. */
export function erbNumber(f: number): number {
  return 21.4 * Math.log10(4.37e-3 * f + 1);
}

export function erbNumberToHz(e: number): number {
  return (10 ** (e / 21.4) - 1) / 4.37e-3;
}

/** `n` centre frequencies from fMin to fMax (inclusive), equally spaced in ERB-number, ascending. */
export function erbSpace(fMin: number, fMax: number, n: number): Float64Array {
  if (!(n >= 1 && Number.isInteger(n))) throw new ConfigError(`channels must be an integer ≥ 1, got ${n}`);
  if (!(fMin > 0 && fMax > fMin)) throw new ConfigError(`need 0 < fMin < fMax, got fMin ${fMin} Hz, fMax ${fMax} Hz`);
  const a = erbNumber(fMin);
  const b = erbNumber(fMax);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = erbNumberToHz(n === 1 ? a : a + ((b - a) * i) / (n - 1));
  return out;
}

export interface GammatoneChannel {
  cf: number;
  /** Pole radius of each one-pole stage: exp(−2π·1.019·ERB(cf)/fs). */
  a: number;
  /** Phase step of the demodulating oscillator: 2π·cf/fs. */
  omega: number;
}

/** Coefficients for every channel; each CF must stay below 0.45·fs so the band fits under Nyquist. */
export function designGammatone(cfs: ArrayLike<number>, fs: number): GammatoneChannel[] {
  const out: GammatoneChannel[] = [];
  for (let i = 0; i < cfs.length; i++) {
    const cf = cfs[i]!;
    if (cf >= 0.45 * fs) throw new ConfigError(`channel ${i}: centre frequency ${cf.toFixed(0)} Hz is too close to Nyquist at ${fs} Hz; lower fMax below ${(0.45 * fs).toFixed(0)} Hz or raise the sample rate`);
    out.push({ cf, a: Math.exp((-2 * Math.PI * 1.019 * erb(cf)) / fs), omega: (2 * Math.PI * cf) / fs });
  }
  return out;
}
