/**
 * ToFrame golden vectors from data-formats.md §1.4 (produced by running tonic's own functions):
 * 6 events at t = [0,100,150,299,300,450] µs on sensor (3,2,2), events per frame for each mode, the
 * audio case, and the empty-input shape quirk.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeEvents } from "../../src/data/events.js";
import { toFrame, type ToFrameOptions, type ToFrameMode } from "../../src/data/transforms/to-frame.js";
import { ConfigError } from "../../src/errors.js";

const T = [0, 100, 150, 299, 300, 450];
const ev = makeEvents([0, 1, 2, 0, 1, 2], [0, 1, 0, 1, 0, 1], T, [0, 1, 0, 1, 0, 1]);
const sensorSize = [3, 2, 2] as const;

function perFrame(o: ToFrameMode): number[] {
  const fr = toFrame(ev, { sensorSize, ...o } as ToFrameOptions);
  const per = fr.shape.slice(1).reduce((a, b) => a * b, 1);
  assert.deepEqual(fr.shape.slice(1), [2, 2, 3]);
  return Array.from({ length: fr.shape[0]! }, (_, i) => fr.data.subarray(i * per, (i + 1) * per).reduce((a, b) => a + b, 0));
}

const GOLDEN: Array<[string, ToFrameMode, number[]]> = [
  ["time_window=100", { timeWindow: 100 }, [1, 2, 1, 1]],
  ["time_window=100 incl", { timeWindow: 100, includeIncomplete: true }, [1, 2, 1, 1, 1]],
  ["time_window=200 overlap=100", { timeWindow: 200, overlap: 100 }, [3, 3, 2]],
  ["time_window=100 start 0 end 500", { timeWindow: 100, startTime: 0, endTime: 500 }, [1, 2, 1, 1, 1]],
  ["event_count=2", { eventCount: 2 }, [2, 2, 2]],
  ["event_count=4", { eventCount: 4 }, [4]],
  ["event_count=4 incl", { eventCount: 4, includeIncomplete: true }, [4, 2]],
  ["n_time_bins=3", { nTimeBins: 3 }, [2, 2, 1]],
  ["n_time_bins=4", { nTimeBins: 4 }, [2, 1, 2, 0]],
  ["n_time_bins=3 overlap=0.5", { nTimeBins: 3, overlap: 0.5 }, [3, 3, 2]],
  ["n_event_bins=4", { nEventBins: 4 }, [1, 1, 1, 1]],
];

for (const [name, o, want] of GOLDEN) {
  test(`golden: ${name} → [${want.join(",")}]`, () => assert.deepEqual(perFrame(o), want));
}

test("each event lands at [frame, p, y, x]", () => {
  const fr = toFrame(ev, { sensorSize, timeWindow: 100 });
  // frame 1 holds events 1 (x1,y1,p1) and 2 (x2,y0,p0); layout [T,P,H,W] = [4,2,2,3]
  const at = (f: number, p: number, y: number, x: number): number => fr.data[((f * 2 + p) * 2 + y) * 3 + x]!;
  assert.equal(at(1, 1, 1, 1), 1);
  assert.equal(at(1, 0, 0, 2), 1);
  assert.equal(at(0, 0, 0, 0), 1);
});

test("audio: (t,x) = (0,5),(999,5),(1000,699),(2500,0), sensor (700,1,1), time_window=1000", () => {
  const a = makeEvents([5, 5, 699, 0], [0, 0, 0, 0], [0, 999, 1000, 2500], [1, 1, 1, 1]);
  const fr = toFrame(a, { sensorSize: [700, 1, 1], timeWindow: 1000 });
  assert.deepEqual(fr.shape, [2, 1, 700]);
  const nz: Array<[number, number]> = [];
  fr.data.forEach((v, i) => v && nz.push([i, v]));
  assert.deepEqual(nz, [[5, 2], [700 + 699, 1]]);
});

test("empty input: zeros shaped (n, P, W, H) — tonic's quirk", () => {
  const e = makeEvents([], [], [], []);
  assert.deepEqual(toFrame(e, { sensorSize, timeWindow: 10 }).shape, [1, 2, 3, 2]);
  assert.deepEqual(toFrame(e, { sensorSize, nTimeBins: 5 }).shape, [5, 2, 3, 2]);
  assert.ok(toFrame(e, { sensorSize, nEventBins: 2 }).data.every((v) => v === 0));
});

test("one polarity sensor: p forced to 0; two polarities rejected", () => {
  const one = makeEvents([0, 1], [0, 0], [0, 10], [1, 1]);
  const fr = toFrame(one, { sensorSize: [2, 2, 1], eventCount: 2 });
  assert.deepEqual(Array.from(fr.data), [1, 1, 0, 0]);
  assert.throws(() => toFrame(ev, { sensorSize: [3, 2, 1], eventCount: 2 }), ConfigError);
});

test("option errors: zero or two modes, stride ≤ 0, event outside sensor", () => {
  assert.throws(() => toFrame(ev, { sensorSize } as ToFrameOptions), ConfigError);
  assert.throws(() => toFrame(ev, { sensorSize, timeWindow: 10, eventCount: 3 } as unknown as ToFrameOptions), ConfigError);
  assert.throws(() => toFrame(ev, { sensorSize, timeWindow: 10, overlap: 10 }), ConfigError);
  assert.throws(() => toFrame(ev, { sensorSize: [2, 2, 2], eventCount: 6 }), ConfigError);
});
