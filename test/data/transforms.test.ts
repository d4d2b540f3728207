/**
 * Event transforms and static-image encoders, each checked on small hand-worked inputs: downsample,
 * random crop, flips, crop-time, time jitter, denoise (worked through tonic's documented rule by
 * hand), rate and latency codes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { latencyEncode, rateEncode } from "../../src/data/encoders.js";
import { makeEvents } from "../../src/data/events.js";
import { downsample, flipLR, flipPolarity, flipUD, randomCrop } from "../../src/data/transforms/spatial.js";
import { cropTime, denoise, timeJitter } from "../../src/data/transforms/temporal.js";
import { Rng } from "../../src/util/rng.js";

const ev = makeEvents([0, 5, 33, 17], [1, 9, 33, 0], [0, 10, 20, 30], [1, 0, 1, 0]);

test("downsample: x,y scaled and floored, t scaled", () => {
  const d = downsample(ev, { spatialFactor: 0.25, timeFactor: 0.001 });
  assert.deepEqual(Array.from(d.x), [0, 1, 8, 4]);
  assert.deepEqual(Array.from(d.y), [0, 2, 8, 0]);
  assert.deepEqual(Array.from(d.t), [0, 0.01, 0.02, 0.03]);
  assert.deepEqual(Array.from(ev.x), [0, 5, 33, 17], "input untouched");
});

test("flips", () => {
  assert.deepEqual(Array.from(flipLR(ev, [34, 34, 2]).x), [33, 28, 0, 16]);
  assert.deepEqual(Array.from(flipUD(ev, [34, 34, 2]).y), [32, 24, 0, 33]);
  assert.deepEqual(Array.from(flipPolarity(ev).p), [0, 1, 0, 1]);
});

test("randomCrop keeps a target window and shifts it to the origin", () => {
  for (let s = 0; s < 20; s++) {
    const c = randomCrop(ev, [34, 34, 2], [20, 20], new Rng(s));
    for (let i = 0; i < c.t.length; i++) assert.ok(c.x[i]! < 20 && c.y[i]! < 20);
  }
  const full = randomCrop(ev, [34, 34, 2], [34, 34], new Rng(1));
  assert.deepEqual(full, ev);
});

test("cropTime keeps tmin ≤ t ≤ tmax", () => {
  assert.deepEqual(Array.from(cropTime(ev, 10, 20).t), [10, 20]);
  assert.deepEqual(Array.from(cropTime(ev, 15).t), [20, 30]);
});

test("timeJitter: seeded, clip and sort options", () => {
  const a = timeJitter(ev, { std: 5 }, new Rng(4));
  const b = timeJitter(ev, { std: 5 }, new Rng(4));
  assert.deepEqual(a, b);
  assert.ok(Array.from(a.t).some((t, i) => t !== ev.t[i]));
  const c = timeJitter(ev, { std: 50, clipNegative: true, sortTimestamps: true }, new Rng(9));
  for (let i = 0; i < c.t.length; i++) assert.ok(c.t[i]! >= 0 && (i === 0 || c.t[i]! >= c.t[i - 1]!));
});

test("denoise: keeps events with a 4-neighbour active within filterTime before", () => {
  // grid spans x 0..3, y 0..1 (max of the events). Memory starts at filterTime = 100.
  const e = makeEvents([1, 2, 0, 3, 3], [0, 0, 1, 1, 0], [50, 120, 300, 310, 500], [1, 1, 1, 1, 1]);
  // e0 (1,0) t=50: neighbour (0,0) memory 100 > 50 → kept (initial memory).
  // e1 (2,0) t=120: (1,0) = 150 > 120 → kept.
  // e2 (0,1) t=300: (1,1) = 100, (0,0) = 100 → dropped.
  // e3 (3,1) t=310: (2,1) = 100, (3,0) = 100 → dropped.
  // e4 (3,0) t=500: (2,0) = 220, (3,1) = 410 → dropped.
  assert.deepEqual(Array.from(denoise(e, 100).t), [50, 120]);
  const e2 = makeEvents([3, 3], [0, 1], [500, 550], [1, 1]);
  assert.deepEqual(Array.from(denoise(e2, 100).t), [550]);
});

test("latency code: t = round((1−v)(T−1)), one spike, only v > 0.1", () => {
  const x = latencyEncode([1, 0.5, 0.1, 0.11, 0], { T: 10 });
  const spikes: Array<[number, number]> = [];
  x.forEach((v, i) => v && spikes.push([Math.floor(i / 5), i % 5]));
  assert.deepEqual(spikes, [[0, 0], [4, 1], [8, 3]]);
});

test("rate code: Bernoulli with p = v·pMax, seeded, time-major", () => {
  const T = 4000;
  const x = rateEncode([0, 0.25, 1], { T, rng: new Rng(1), pMax: 0.8 });
  const rate = [0, 1, 2].map((f) => {
    let s = 0;
    for (let t = 0; t < T; t++) s += x[t * 3 + f]!;
    return s / T;
  });
  assert.equal(rate[0], 0);
  assert.ok(Math.abs(rate[1]! - 0.2) < 0.025, `rate ${rate[1]}`);
  assert.ok(Math.abs(rate[2]! - 0.8) < 0.025, `rate ${rate[2]}`);
  assert.deepEqual(rateEncode([0.3, 0.6], { T: 20, rng: new Rng(5) }), rateEncode([0.3, 0.6], { T: 20, rng: new Rng(5) }));
});
