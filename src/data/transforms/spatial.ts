/**
 * Spatial and temporal event transforms, tonic-compatible: Downsample (x,y,t scaled, coordinates
 * floored as tonic's integer fields do), RandomCrop, left-right / up-down / polarity flips.
 * Each returns a new stream and never mutates its input. Random ones take an Rng so runs repeat.
 */
import { ConfigError } from "../../errors.js";
import type { Rng } from "../../util/rng.js";
import { copyEvents, filterEvents, type Events, type SensorSize } from "../events.js";

export interface DownsampleOptions {
  /** Multiply x and y (e.g. 0.5 halves the resolution); floor afterwards. */
  spatialFactor?: number | readonly [number, number];
  /** Multiply t (e.g. 1e-3 turns µs into ms). */
  timeFactor?: number;
}

export function downsample(ev: Events, o: DownsampleOptions): Events {
  const out = copyEvents(ev);
  const sf = o.spatialFactor ?? 1;
  const [fx, fy] = typeof sf === "number" ? [sf, sf] : sf;
  const tf = o.timeFactor ?? 1;
  if (!(fx > 0 && fy > 0 && tf > 0)) throw new ConfigError(`downsample: factors must be > 0 (spatial ${fx}, ${fy}; time ${tf})`);
  for (let i = 0; i < out.t.length; i++) {
    out.x[i] = Math.floor(out.x[i]! * fx);
    out.y[i] = Math.floor(out.y[i]! * fy);
    out.t[i] = out.t[i]! * tf;
  }
  return out;
}

/** Keep a random target-sized window of the sensor and shift it to the origin. */
export function randomCrop(ev: Events, sensor: SensorSize, target: readonly [number, number], rng: Rng): Events {
  const [W, H] = sensor;
  const [tw, th] = target;
  if (!(tw >= 1 && th >= 1 && tw <= W && th <= H)) throw new ConfigError(`randomCrop: target [${tw}, ${th}] must fit sensor [${W}, ${H}]`);
  const x0 = rng.int(0, W - tw + 1);
  const y0 = rng.int(0, H - th + 1);
  const keep = new Uint8Array(ev.t.length);
  for (let i = 0; i < keep.length; i++) {
    const x = ev.x[i]!;
    const y = ev.y[i]!;
    keep[i] = x >= x0 && x < x0 + tw && y >= y0 && y < y0 + th ? 1 : 0;
  }
  const out = filterEvents(ev, keep);
  for (let i = 0; i < out.t.length; i++) {
    out.x[i] = out.x[i]! - x0;
    out.y[i] = out.y[i]! - y0;
  }
  return out;
}

/** x → W−1−x. `randomFlipLR` applies it with probability p. */
export function flipLR(ev: Events, sensor: SensorSize): Events {
  const out = copyEvents(ev);
  for (let i = 0; i < out.x.length; i++) out.x[i] = sensor[0] - 1 - out.x[i]!;
  return out;
}

export function flipUD(ev: Events, sensor: SensorSize): Events {
  const out = copyEvents(ev);
  for (let i = 0; i < out.y.length; i++) out.y[i] = sensor[1] - 1 - out.y[i]!;
  return out;
}

export function flipPolarity(ev: Events): Events {
  const out = copyEvents(ev);
  for (let i = 0; i < out.p.length; i++) out.p[i] = out.p[i] ? 0 : 1;
  return out;
}

export function randomFlipLR(ev: Events, sensor: SensorSize, rng: Rng, p = 0.5): Events {
  return rng.random() < p ? flipLR(ev, sensor) : ev;
}

export function randomFlipUD(ev: Events, sensor: SensorSize, rng: Rng, p = 0.5): Events {
  return rng.random() < p ? flipUD(ev, sensor) : ev;
}

export function randomFlipPolarity(ev: Events, rng: Rng, p = 0.5): Events {
  return rng.random() < p ? flipPolarity(ev) : ev;
}
