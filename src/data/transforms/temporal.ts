/**
 * Time-domain event transforms, tonic-compatible: CropTime (tmin ≤ t ≤ tmax, both inclusive as in
 * tonic), TimeJitter (Gaussian noise on t, optional drop of negative times and re-sort) and Denoise
 * (keep an event only if a 4-neighbour pixel fired within filterTime before it; the neighbourhood
 * memory starts at filterTime and the grid spans the events' own max x/y, both as tonic does).
 */
import { ConfigError } from "../../errors.js";
import type { Rng } from "../../util/rng.js";
import { copyEvents, filterEvents, sortByTime, type Events } from "../events.js";

export function cropTime(ev: Events, tmin = 0, tmax?: number): Events {
  let hi = tmax;
  if (hi === undefined) {
    hi = -Infinity;
    for (let i = 0; i < ev.t.length; i++) hi = Math.max(hi, ev.t[i]!);
  }
  const keep = new Uint8Array(ev.t.length);
  for (let i = 0; i < keep.length; i++) keep[i] = ev.t[i]! >= tmin && ev.t[i]! <= hi ? 1 : 0;
  return filterEvents(ev, keep);
}

export interface TimeJitterOptions {
  /** Standard deviation of the added noise, in µs. */
  std: number;
  clipNegative?: boolean;
  sortTimestamps?: boolean;
}

export function timeJitter(ev: Events, o: TimeJitterOptions, rng: Rng): Events {
  if (!(o.std >= 0)) throw new ConfigError(`timeJitter: std must be ≥ 0, got ${o.std}`);
  let out = copyEvents(ev);
  for (let i = 0; i < out.t.length; i++) out.t[i] = out.t[i]! + o.std * rng.normal();
  if (o.clipNegative) {
    const keep = new Uint8Array(out.t.length);
    for (let i = 0; i < keep.length; i++) keep[i] = out.t[i]! >= 0 ? 1 : 0;
    out = filterEvents(out, keep);
  }
  return o.sortTimestamps ? sortByTime(out) : out;
}

export function denoise(ev: Events, filterTime = 10000): Events {
  const n = ev.t.length;
  if (n === 0) return copyEvents(ev);
  if (!(filterTime > 0)) throw new ConfigError(`denoise: filterTime must be > 0, got ${filterTime}`);
  let W = 0;
  let H = 0;
  for (let i = 0; i < n; i++) {
    W = Math.max(W, ev.x[i]! + 1);
    H = Math.max(H, ev.y[i]! + 1);
  }
  const mem = new Float64Array(W * H).fill(filterTime);
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = ev.x[i]!;
    const y = ev.y[i]!;
    const t = ev.t[i]!;
    mem[x * H + y] = t + filterTime;
    keep[i] =
      (x > 0 && mem[(x - 1) * H + y]! > t) ||
      (x < W - 1 && mem[(x + 1) * H + y]! > t) ||
      (y > 0 && mem[x * H + y - 1]! > t) ||
      (y < H - 1 && mem[x * H + y + 1]! > t)
        ? 1
        : 0;
  }
  return filterEvents(ev, keep);
}
