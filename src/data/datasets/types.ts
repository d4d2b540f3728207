/**
 * What every event dataset class offers (NMNIST, DVSGesture, SHD, SSC): a length, a sensor size,
 * class names, a stable identity for cache keys, and indexed labelled event samples.
 */
import type { Events, SensorSize } from "../events.js";

export interface EventSample {
  events: Events;
  label: number;
}

export interface EventDataset {
  readonly name: string;
  readonly sensorSize: SensorSize;
  readonly classes: readonly string[];
  readonly length: number;
  /** Changes whenever the underlying files change (path, size, mtime); used in cache keys. */
  readonly id: string;
  events(i: number): EventSample | Promise<EventSample>;
  /** Sample i's label without decoding its events (datasets whose labels live outside the event files). */
  label?(i: number): number;
  /** Sample i's speaker or subject id, where the files record one (SHD/SSC `extra/speaker`): for speaker-disjoint splits. */
  speaker?(i: number): number | undefined;
}
