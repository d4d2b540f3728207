/**
 * AEDAT 3.1 + DVS Gesture side files: a hand-built file (two polarity packets, one invalid event,
 * one IMU packet to skip, overflow epoch) decoded field by field; encoder round trips; the real
 * user01_natural_labels.csv; cutting segments; trials lists; malformed inputs → FormatError.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { makeEvents } from "../../src/data/events.js";
import { decodeAedat31, encodeAedat31 } from "../../src/data/readers/aedat.js";
import { cutSegments, formatGestureLabels, formatTrials, parseGestureLabels, parseTrials } from "../../src/data/readers/gesture-labels.js";
import { concat, HEADER, packet, polEvents } from "./aedat-fixtures.js";
import { lcg, fixture, throwsFormat } from "./helpers.js";

test("hand-built AEDAT 3.1: valid polarity events decoded, invalid and IMU skipped, overflow applied", () => {
  const file = concat(
    Buffer.from(HEADER, "latin1"),
    packet(1, 8, 0, polEvents([[5, 6, 1, 100], [127, 0, 0, 150, false], [0, 127, 0, 200]]), 3, 2),
    packet(3, 36, 0, new Uint8Array(2 * 36).fill(0xab), 2),
    packet(1, 8, 1, polEvents([[64, 65, 1, 7]]), 1),
  );
  const r = decodeAedat31(file, "hand.aedat");
  assert.equal(r.header[0], "#!AER-DAT3.1");
  assert.equal(r.header.at(-1), "#!END-HEADER");
  assert.deepEqual(Array.from(r.events.x), [5, 0, 64]);
  assert.deepEqual(Array.from(r.events.y), [6, 127, 65]);
  assert.deepEqual(Array.from(r.events.p), [1, 0, 1]);
  assert.deepEqual(Array.from(r.events.t), [100, 200, 2 ** 31 + 7]);
  assert.equal(r.packets.get(1), 2);
  assert.equal(r.packets.get(3), 1);
});

test("a header with \\n line ends is accepted", () => {
  const file = concat(Buffer.from(HEADER.replace(/\r\n/g, "\n"), "latin1"), packet(1, 8, 0, polEvents([[1, 2, 1, 3]]), 1));
  assert.deepEqual(Array.from(decodeAedat31(file).events.t), [3]);
});

test("encode → decode round trip, across packet and overflow boundaries", () => {
  const r = lcg(3);
  for (let rep = 0; rep < 20; rep++) {
    const n = Math.floor(r() * 500);
    const t: number[] = [];
    let cur = rep === 0 ? 2 ** 31 - 1000 : 0;
    for (let i = 0; i < n; i++) t.push((cur += Math.floor(r() * (rep === 0 ? 20 : 5000))));
    const ev = makeEvents(t.map(() => Math.floor(r() * 128)), t.map(() => Math.floor(r() * 128)), t, t.map(() => (r() < 0.5 ? 1 : 0)));
    const back = decodeAedat31(encodeAedat31(ev, { packetSize: 1 + Math.floor(r() * 100) })).events;
    assert.deepEqual(Array.from(back.x), Array.from(ev.x));
    assert.deepEqual(Array.from(back.y), Array.from(ev.y));
    assert.deepEqual(Array.from(back.p), Array.from(ev.p));
    assert.deepEqual(Array.from(back.t), Array.from(ev.t));
  }
});

test("real user01_natural_labels.csv: 12 segments, class 8 twice, labels 0-based", () => {
  const path = fixture("user01_natural_labels.csv");
  const segs = parseGestureLabels(readFileSync(path, "utf8"), path);
  assert.equal(segs.length, 12);
  assert.deepEqual(segs[0], { label: 0, startUs: 53036986, endUs: 59508469 });
  assert.deepEqual(segs[1], { label: 1, startUs: 64889467, endUs: 73697045 });
  assert.equal(segs.filter((s) => s.label === 7).length, 2);
  assert.deepEqual(parseGestureLabels(formatGestureLabels(segs)), segs);
});

test("cutting: start ≤ t < end, shifted by −start", () => {
  const ev = makeEvents([1, 2, 3, 4, 5], [0, 0, 0, 0, 0], [10, 20, 30, 40, 50], [1, 0, 1, 0, 1]);
  const cuts = cutSegments(ev, [{ label: 4, startUs: 20, endUs: 40 }, { label: 0, startUs: 45, endUs: 100 }]);
  assert.deepEqual(Array.from(cuts[0]!.events.t), [0, 10]);
  assert.deepEqual(Array.from(cuts[0]!.events.x), [2, 3]);
  assert.equal(cuts[0]!.label, 4);
  assert.deepEqual(Array.from(cuts[1]!.events.t), [5]);
});

test("trials list parsing", () => {
  assert.deepEqual(parseTrials("user01_fluorescent.aedat\r\nuser01_natural.aedat\r\n\r\n"), ["user01_fluorescent.aedat", "user01_natural.aedat"]);
  const names = ["user24_led.aedat", "user29_lab.aedat"];
  assert.deepEqual(parseTrials(formatTrials(names)), names);
  throwsFormat(() => parseTrials("user01.aedat\n../x.aedat\n", "t.txt"), { file: "t.txt", where: /^line 2$/ });
});

test("malformed AEDAT and CSV raise FormatError naming file, offset and expectation", () => {
  const head = Buffer.from(HEADER, "latin1");
  const good = concat(head, packet(1, 8, 0, polEvents([[1, 2, 1, 3], [1, 2, 1, 5]]), 2));
  throwsFormat(() => decodeAedat31(Buffer.from("#!AER-DAT2.0\r\n"), "v2.aedat"), { file: "v2.aedat", where: /^byte 0$/, expected: /AER-DAT3\.1/ });
  throwsFormat(() => decodeAedat31(good.subarray(0, head.length + 20), "t.aedat"), { file: "t.aedat", where: new RegExp(`^byte ${head.length}$`), expected: /28-byte packet header/ });
  throwsFormat(() => decodeAedat31(good.subarray(0, good.length - 3), "t2.aedat"), { file: "t2.aedat", where: new RegExp(`^byte ${head.length + 28}$`), expected: /payload/ });
  const back = concat(head, packet(1, 8, 0, polEvents([[1, 2, 1, 30], [1, 2, 1, 5]]), 2));
  throwsFormat(() => decodeAedat31(back, "b.aedat"), { file: "b.aedat", where: new RegExp(`^byte ${head.length + 28 + 12}$`), expected: /non-decreasing/ });
  const big = concat(head, packet(1, 8, 0, polEvents([[200, 2, 1, 30]]), 1));
  throwsFormat(() => decodeAedat31(big, "x.aedat"), { file: "x.aedat", expected: /x < 128/ });
  throwsFormat(() => decodeAedat31(Buffer.from("#!AER-DAT3.1\r\n#no end"), "e.aedat"), { file: "e.aedat", expected: /\\n|END-HEADER/ });
  throwsFormat(() => parseGestureLabels("class,startTime_usec,endTime_usec\n12,1,2\n", "l.csv"), { file: "l.csv", where: /^line 2$/, expected: /class in 1\.\.11/ });
  throwsFormat(() => parseGestureLabels("class,startTime_usec,endTime_usec\n0,1,2\n", "l.csv"), { file: "l.csv", where: /^line 2$/, expected: /1\.\.11/ });
  throwsFormat(() => parseGestureLabels("class,startTime_usec,endTime_usec\n3,5,2\n", "l.csv"), { file: "l.csv", where: /^line 2$/, expected: /start.*end/ });
  throwsFormat(() => parseGestureLabels("label,start,end\n", "h.csv"), { file: "h.csv", where: /^line 1$/ });
});
