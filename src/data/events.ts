/**
 * The in-memory event stream every reader returns and every transform takes: structure-of-arrays
 * typed arrays (x, y, t in µs, p). Plain data, no methods, so samples can cross worker and cache
 * boundaries without copying logic. Helpers here only build, slice and check streams.
 */
import { ConfigError } from "../errors.js";

/** Events in structure-of-arrays form. `t` is in microseconds (float64 so ragged sources keep sub-µs times). */
export interface Events {
  x: Uint16Array;
  y: Uint16Array;
  t: Float64Array;
  /** Polarity: 1 = ON, 0 = OFF. */
  p: Uint8Array;
}

/** Sensor size as tonic writes it: [W, H, P]. Audio sensors are [channels, 1, 1]. */
export type SensorSize = readonly [number, number, number];

export function allocEvents(n: number): Events {
  return { x: new Uint16Array(n), y: new Uint16Array(n), t: new Float64Array(n), p: new Uint8Array(n) };
}

export function makeEvents(x: ArrayLike<number>, y: ArrayLike<number>, t: ArrayLike<number>, p: ArrayLike<number>): Events {
  const n = t.length;
  if (x.length !== n || y.length !== n || p.length !== n) {
    throw new ConfigError(`event columns differ in length: x ${x.length}, y ${y.length}, t ${n}, p ${p.length}`);
  }
  return { x: Uint16Array.from(x), y: Uint16Array.from(y), t: Float64Array.from(t), p: Uint8Array.from(p) };
}

export function eventCount(ev: Events): number {
  return ev.t.length;
}

/** Events [start, end) as views (no copy). */
export function sliceEvents(ev: Events, start: number, end: number): Events {
  return { x: ev.x.subarray(start, end), y: ev.y.subarray(start, end), t: ev.t.subarray(start, end), p: ev.p.subarray(start, end) };
}

/** A new stream holding the events whose index has keep[i] != 0. */
export function filterEvents(ev: Events, keep: Uint8Array): Events {
  let n = 0;
  for (let i = 0; i < keep.length; i++) if (keep[i]) n++;
  const out = allocEvents(n);
  let j = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    out.x[j] = ev.x[i]!;
    out.y[j] = ev.y[i]!;
    out.t[j] = ev.t[i]!;
    out.p[j] = ev.p[i]!;
    j++;
  }
  return out;
}

export function copyEvents(ev: Events): Events {
  return { x: ev.x.slice(), y: ev.y.slice(), t: ev.t.slice(), p: ev.p.slice() };
}

/** Stable sort by time (returns a new stream); used after jitter and by simulators. */
export function sortByTime(ev: Events): Events {
  const n = ev.t.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  // Uint32Array.sort with a comparator is stable in V8 (TimSort), so equal times keep their order.
  idx.sort((a, b) => ev.t[a]! - ev.t[b]! || a - b);
  const out = allocEvents(n);
  for (let i = 0; i < n; i++) {
    const k = idx[i]!;
    out.x[i] = ev.x[k]!;
    out.y[i] = ev.y[k]!;
    out.t[i] = ev.t[k]!;
    out.p[i] = ev.p[k]!;
  }
  return out;
}

/** Index of the first event that goes back in time, or -1 when t is non-decreasing. */
export function firstNonMonotonic(t: ArrayLike<number>): number {
  for (let i = 1; i < t.length; i++) if (t[i]! < t[i - 1]!) return i;
  return -1;
}

/** Counts used by `inspect` and tests. */
export function polarityCounts(ev: Events): { on: number; off: number } {
  let on = 0;
  for (let i = 0; i < ev.p.length; i++) on += ev.p[i] ? 1 : 0;
  return { on, off: ev.p.length - on };
}
