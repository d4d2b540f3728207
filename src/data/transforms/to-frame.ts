/**
 * ToFrame: bin a time-sorted event stream into count frames, with tonic's four slicing modes and
 * its exact window arithmetic (docs/datasets.md "Transforms (tonic-compatible)"; reimplemented from a
 * description, not from tonic's GPL code). Output int16 counts shaped [T, P, H, W], or [T, P, W] for audio sensors
 * (H = 1, as tonic does for events without y). Counts saturate at 32767 instead of wrapping.
 */
import { ConfigError } from "../../errors.js";
import type { Events, SensorSize } from "../events.js";

export type ToFrameOptions = {
  sensorSize: SensorSize;
  /** Treat as audio (output [T, P, W], y ignored). Default: sensor height is 1. */
  audio?: boolean;
} & (
  | { timeWindow: number; overlap?: number; includeIncomplete?: boolean; startTime?: number; endTime?: number }
  | { eventCount: number; overlap?: number; includeIncomplete?: boolean }
  | { nTimeBins: number; overlap?: number }
  | { nEventBins: number; overlap?: number }
);

/** ToFrameOptions without the sensor size (Omit distributed over the four modes, so each keeps its keys). */
export type ToFrameMode = ToFrameOptions extends infer O ? (O extends unknown ? Omit<O, "sensorSize"> : never) : never;

export interface Frames {
  data: Int16Array;
  /** [T, P, H, W] or [T, P, W] (audio); empty input gives tonic's [n, P, W, H]. */
  shape: number[];
}

/** First index with t[i] >= v (numpy searchsorted 'left'). */
export function searchLeft(t: Float64Array, v: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (t[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** The [start, end) event index ranges of every frame, per the selected mode. */
export function frameSlices(t: Float64Array, o: ToFrameOptions): Array<[number, number]> {
  const modes = ["timeWindow", "eventCount", "nTimeBins", "nEventBins"].filter((k) => (o as Record<string, unknown>)[k] !== undefined);
  if (modes.length !== 1) throw new ConfigError(`ToFrame needs exactly one of timeWindow, eventCount, nTimeBins, nEventBins; got ${modes.length ? modes.join(", ") : "none"}`);
  const N = t.length;
  const out: Array<[number, number]> = [];
  if ("timeWindow" in o && o.timeWindow !== undefined) {
    const w = o.timeWindow;
    const ov = o.overlap ?? 0;
    const s = w - ov;
    if (!(w > 0) || !(s > 0)) throw new ConfigError(`ToFrame: timeWindow must be > 0 and > overlap (window ${w}, overlap ${ov})`);
    const t0 = o.startTime ?? t[0]!;
    const t1 = o.endTime ?? t[N - 1]!;
    const r = (t1 - t0 - w) / s;
    const n = Math.max(o.includeIncomplete ? Math.ceil(r) + 1 : Math.floor(r) + 1, 1);
    for (let i = 0; i < n; i++) out.push([searchLeft(t, t0 + i * s), searchLeft(t, t0 + i * s + w)]);
  } else if ("eventCount" in o && o.eventCount !== undefined) {
    const c = o.eventCount;
    const ov = o.overlap ?? 0;
    const stride = c - ov;
    if (!(Number.isInteger(c) && c > 0) || !(stride > 0)) throw new ConfigError(`ToFrame: eventCount must be a positive integer > overlap (count ${c}, overlap ${ov})`);
    const cc = Math.min(c, N);
    const r = (N - cc) / stride;
    const n = o.includeIncomplete ? Math.ceil(r) + 1 : Math.floor(r) + 1;
    for (let i = 0; i < n; i++) out.push([Math.min(i * stride, N), Math.min(i * stride + cc, N)]);
  } else if ("nTimeBins" in o && o.nTimeBins !== undefined) {
    const B = o.nTimeBins;
    const f = o.overlap ?? 0;
    if (!(Number.isInteger(B) && B > 0) || !(f >= 0 && f < 1)) throw new ConfigError(`ToFrame: nTimeBins must be a positive integer and 0 ≤ overlap < 1 (bins ${B}, overlap ${f})`);
    // Integer (floor) division first, as tonic does: (t[-1] - t[0]) // B.
    const w = Math.floor((t[N - 1]! - t[0]!) / B) * (1 + f);
    const stride = w * (1 - f);
    for (let i = 0; i < B; i++) out.push([searchLeft(t, t[0]! + i * stride), searchLeft(t, t[0]! + i * stride + w)]);
  } else if ("nEventBins" in o && o.nEventBins !== undefined) {
    const B = o.nEventBins;
    const f = o.overlap ?? 0;
    if (!(Number.isInteger(B) && B > 0) || !(f >= 0 && f < 1)) throw new ConfigError(`ToFrame: nEventBins must be a positive integer and 0 ≤ overlap < 1 (bins ${B}, overlap ${f})`);
    const k = Math.floor(Math.floor(N / B) * (1 + f));
    const stride = Math.floor(k * (1 - f));
    for (let i = 0; i < B; i++) out.push([Math.min(i * stride, N), Math.min(i * stride + k, N)]);
  }
  return out;
}

function emptyFrames(o: ToFrameOptions): Frames {
  const [W, H, P] = o.sensorSize;
  const n = "nTimeBins" in o && o.nTimeBins !== undefined ? o.nTimeBins : "nEventBins" in o && o.nEventBins !== undefined ? o.nEventBins : 1;
  const audio = o.audio ?? H === 1;
  // tonic quirk kept on purpose: the empty case is shaped (n, P, W, H), not (n, P, H, W).
  const shape = audio ? [n, P, W] : [n, P, W, H];
  return { data: new Int16Array(shape.reduce((a, b) => a * b, 1)), shape };
}

export function toFrame(ev: Events, o: ToFrameOptions): Frames {
  const [W, H, P] = o.sensorSize;
  if (!(W >= 1 && H >= 1 && (P === 1 || P === 2))) throw new ConfigError(`ToFrame: sensorSize must be [W ≥ 1, H ≥ 1, P ∈ {1,2}], got [${o.sensorSize.join(", ")}]`);
  const N = ev.t.length;
  if (N === 0) {
    frameSlices(ev.t, o); // still validate the options
    return emptyFrames(o);
  }
  const audio = o.audio ?? H === 1;
  if (P === 1) {
    const p0 = ev.p[0]!;
    for (let i = 1; i < N; i++) if (ev.p[i] !== p0) throw new ConfigError("ToFrame: sensor has 1 polarity but the events have 2");
  }
  const slices = frameSlices(ev.t, o);
  const plane = audio ? W : W * H;
  const frame = P * plane;
  const data = new Int16Array(slices.length * frame);
  for (let f = 0; f < slices.length; f++) {
    const [a, b] = slices[f]!;
    const base = f * frame;
    for (let i = a; i < b; i++) {
      const x = ev.x[i]!;
      const y = audio ? 0 : ev.y[i]!;
      const p = P === 1 ? 0 : ev.p[i]!;
      if (x >= W || y >= H || p >= P) throw new ConfigError(`ToFrame: event ${i} (x=${x}, y=${ev.y[i]}, p=${ev.p[i]}) is outside sensor [${W}, ${H}, ${P}]`);
      const k = base + p * plane + y * W + x;
      if (data[k]! < 32767) data[k]!++;
    }
  }
  return { data, shape: audio ? [slices.length, P, W] : [slices.length, P, H, W] };
}

/** Float32 copy of frames, the form the loader and trainer take. */
export function framesToFloat32(fr: Frames): Float32Array {
  return Float32Array.from(fr.data);
}
