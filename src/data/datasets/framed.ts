/**
 * Turns an event dataset into a loader source: optional event transform, ToFrame, optional disk
 * cache, then float32 [T, P, (H,) W] samples. Caching is only used when the event transform is
 * deterministic and named (`transformKey`), because a cached random augmentation would freeze it.
 */
import { FrameCache } from "../cache.js";
import type { Events } from "../events.js";
import type { Sample, SampleSource } from "../loader.js";
import { toFrame, type Frames, type ToFrameMode, type ToFrameOptions } from "../transforms/to-frame.js";
import type { EventDataset } from "./types.js";

export type FrameMode = ToFrameMode & { sensorSize?: ToFrameOptions["sensorSize"] };

export interface FramedOptions {
  transform?: (ev: Events, index: number) => Events;
  /** Names the transform for cache keys; without it a transformed dataset is not cached. */
  transformKey?: string;
  cache?: FrameCache | string;
}

export class FramedDataset implements SampleSource {
  readonly cache: FrameCache | null;
  constructor(
    readonly ds: EventDataset,
    readonly frame: FrameMode,
    readonly opts: FramedOptions = {},
  ) {
    const c = opts.cache;
    this.cache = c === undefined || (opts.transform && !opts.transformKey) ? null : typeof c === "string" ? new FrameCache(c) : c;
  }

  get length(): number {
    return this.ds.length;
  }

  async frames(i: number): Promise<{ frames: Frames; label: number }> {
    const key = this.cache ? FrameCache.key([this.ds.id, i, this.frame, this.opts.transformKey ?? null]) : "";
    // A hit needs no events at all when the dataset knows labels without decoding (N-MNIST, DVS Gesture, SHD):
    // reading the recording only for its label made warm epochs as slow as decoding.
    if (this.cache && this.ds.label) {
      const hit = this.cache.get(key);
      if (hit) return { frames: hit, label: this.ds.label(i) };
    }
    const { events, label } = await this.ds.events(i);
    const make = (): Frames => {
      const ev = this.opts.transform ? this.opts.transform(events, i) : events;
      return toFrame(ev, { sensorSize: this.ds.sensorSize, ...this.frame } as ToFrameOptions);
    };
    return { frames: this.cache ? this.cache.getOrCompute(key, make) : make(), label };
  }

  async get(i: number): Promise<Sample> {
    const { frames, label } = await this.frames(i);
    return { x: Float32Array.from(frames.data), shape: frames.shape, label };
  }
}
