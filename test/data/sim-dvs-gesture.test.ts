/**
 * `data sim dvs-gesture`: the DVS pixel model against hand-computed threshold crossings; a tiny set
 * laid out as IBM's archive and read back through the AEDAT reader and the DVSGesture class with
 * the right names, counts and labels; class signal from trivial features (direction of circling,
 * image side, a nearest-centroid classifier across users); atomic writes; UsageErrors.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, after, test } from "node:test";
import { buildProgram } from "../../src/cli/main.js";
import { DVSGesture } from "../../src/data/datasets/dvs-gesture.js";
import type { Events } from "../../src/data/events.js";
import { readAedat31 } from "../../src/data/readers/aedat.js";
import { parseGestureLabels, parseTrials } from "../../src/data/readers/gesture-labels.js";
import { simulateGestureRecording, writeGestureTree } from "../../src/data/sim/dvs-gesture-sim.js";
import { DvsPixelArray, EventBuffer, type Capsule } from "../../src/data/sim/dvs-pixels.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { tempDir } from "./helpers.js";

const OPTS = { users: 3, lightings: ["natural", "lab"] as const, gestureMs: 600, seed: 7 };
let tmp: { dir: string; done: () => void };
let root = "";

before(async () => {
  tmp = tempDir();
  root = join(tmp.dir, "gesture");
  await writeGestureTree(root, { ...OPTS, lightings: [...OPTS.lightings] });
});
after(() => tmp.done());

test("pixel model: ON/OFF counts and crossing times follow floor(Δ ln I / C) and linear interpolation", () => {
  const C = 0.2;
  const bg = 0.5;
  const amp = 0.8;
  const dL = Math.log((bg + amp) / bg);
  const n = Math.floor(dL / C);
  const hand = [{ ax: 10, ay: 10, bx: 10, by: 10, r: 3, amp }];
  const at = (ev: Events): number[] => Array.from(ev.t).filter((_, i) => ev.x[i] === 10 && ev.y[i] === 10);
  for (const refr of [0, 1000]) {
    const px = new DvsPixelArray({ threshold: C, mismatch: 0, refractoryUs: refr });
    px.reset(bg);
    const on = new EventBuffer();
    px.advance([], hand, 0, 4000, on);
    px.advance(hand, hand, 4000, 8000, on); // a still scene adds nothing
    const off = new EventBuffer();
    px.advance(hand, [], 100_000, 104_000, off);
    // Level k is crossed at fraction k·C/ΔL of the step (ON), and at (ΔL − (n−k)·C … ) going back down.
    const wantOn = Array.from({ length: n }, (_, i) => Math.floor((4000 * (i + 1) * C) / dL));
    // After n ON events the reference sits at ln bg + n·C; OFF levels are ln bg + (n−k)·C, k = 1..n.
    const wantOff = Array.from({ length: n }, (_, i) => Math.floor(100_000 + (4000 * (dL - (n - 1 - i) * C)) / dL));
    assert.deepEqual(at(on.events()), refractory(wantOn, refr));
    assert.ok(on.events().p.every((p) => p === 1));
    assert.deepEqual(at(off.events()), refractory(wantOff, refr));
    assert.ok(off.events().p.every((p) => p === 0));
  }
  assert.throws(() => new DvsPixelArray({ threshold: 0 }), ConfigError);
});

test("pixel model: visiting only pixels under a shape gives exactly the events of visiting every pixel", () => {
  // visit order differs, so compare the sets of events
  const run = (visitAll: boolean): string[] => {
    const px = new DvsPixelArray({ width: 96, height: 80, threshold: 0.15, visitAll });
    px.reset(0.3);
    const buf = new EventBuffer();
    let prev: Capsule[] = [];
    for (let k = 1; k <= 60; k++) {
      const a = k * 0.11;
      // a diagonal arm swinging round a shoulder, a hand at its end, a horizontal bar, one leaving the sensor
      const hx = 40 + 25 * Math.cos(a);
      const hy = 40 + 25 * Math.sin(a);
      const next: Capsule[] = [
        { ax: 40, ay: 40, bx: hx, by: hy, r: 2.5, amp: 0.4 },
        { ax: hx, ay: hy, bx: hx, by: hy, r: 5, amp: 0.7 },
        { ax: 10 + k * 0.7, ay: 70, bx: 30 + k * 0.7, by: 70, r: 1.2, amp: 0.5 },
        { ax: 90 + k * 0.3, ay: 5, bx: 90 + k * 0.3, by: 5, r: 6, amp: 0.6 },
      ];
      px.advance(prev, next, (k - 1) * 4000, k * 4000, buf);
      prev = next;
    }
    const ev = buf.events();
    return Array.from(ev.t, (t, i) => `${t}:${ev.x[i]}:${ev.y[i]}:${ev.p[i]}`).sort();
  };
  const fast = run(false);
  assert.ok(fast.length > 2000, `${fast.length} events`);
  assert.deepEqual(fast, run(true));
});

/** The crossings a pixel reports: each at least `refr` µs after the last one reported. */
function refractory(ts: number[], refr: number): number[] {
  const out: number[] = [];
  for (const t of ts) if (out.length === 0 || t - out[out.length - 1]! >= refr) out.push(t);
  return out;
}

test("layout: DvsGesture/userNN_<lighting>.aedat + _labels.csv + trials lists, as IBM's archive", () => {
  assert.deepEqual(readdirSync(root), ["DvsGesture"]);
  const dir = join(root, "DvsGesture");
  const names = (users: number[]): string[] => users.flatMap((u) => OPTS.lightings.map((l) => `user0${u}_${l}.aedat`));
  assert.deepEqual(parseTrials(readFileSync(join(dir, "trials_to_train.txt"), "utf8")), names([1, 2]));
  assert.deepEqual(parseTrials(readFileSync(join(dir, "trials_to_test.txt"), "utf8")), names([3]));
  const want = [...names([1, 2, 3]).flatMap((n) => [n, n.replace(".aedat", "_labels.csv")]), "README.txt", "trials_to_test.txt", "trials_to_train.txt"].sort();
  assert.deepEqual(readdirSync(dir).sort(), want);
  for (const n of names([1, 2, 3])) {
    const f = readAedat31(join(dir, n));
    assert.equal(f.header[0], "#!AER-DAT3.1");
    assert.ok(f.header.includes("#Source 1: DVS128"));
    const segs = parseGestureLabels(readFileSync(join(dir, n.replace(".aedat", "_labels.csv")), "utf8"));
    assert.deepEqual(segs.map((s) => s.label), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let inside = 0;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      assert.ok(s.endUs - s.startUs >= 0.85 * 600_000 - 1 && s.endUs - s.startUs <= 1.15 * 600_000 + 1);
      if (i > 0) assert.ok(s.startUs >= segs[i - 1]!.endUs + 300_000, "a pause between gestures");
      inside += s.endUs - s.startUs;
    }
    // Gestures are dense, pauses hold background noise only: at least 4× the event rate inside, even
    // in "lab", the noisiest lighting (0.2 Hz per pixel, about 3,300 events/s).
    const ev = f.events;
    let nIn = 0;
    for (let i = 0; i < ev.t.length; i++) if (segs.some((s) => ev.t[i]! >= s.startUs && ev.t[i]! < s.endUs)) nIn++;
    const span = ev.t[ev.t.length - 1]! - ev.t[0]!;
    const rateIn = nIn / inside;
    const rateOut = (ev.t.length - nIn) / (span - inside);
    assert.ok(rateOut > 0 && rateIn > 4 * rateOut, `events/µs inside ${rateIn}, outside ${rateOut}`);
  }
});

test("DVSGesture reads the set: 2 train users × 2 lightings × 11 and 1 test user × 2 × 11 samples", () => {
  const tr = new DVSGesture(root);
  const te = new DVSGesture(root, { train: false });
  assert.deepEqual([tr.length, te.length], [44, 22]);
  for (const ds of [tr, te]) {
    const counts = new Array<number>(11).fill(0);
    for (let i = 0; i < ds.length; i++) {
      const s = ds.events(i);
      counts[s.label]!++;
      const ev = s.events;
      let on = 0;
      for (let j = 0; j < ev.t.length; j++) on += ev.p[j]!;
      assert.ok(ev.t.length > 1000 && ev.t.length < 60_000, `sample ${i}: ${ev.t.length} events`);
      assert.ok(on > 0.3 * ev.t.length && on < 0.7 * ev.t.length, `sample ${i}: ${on} ON of ${ev.t.length}`);
      assert.ok(ev.t[0]! >= 0 && ev.t[ev.t.length - 1]! < 1.15 * 600_000 + 1);
    }
    assert.deepEqual(counts, new Array<number>(11).fill(ds.length / 11));
  }
});

test("the set feeds FramedDataset and the Loader: [T, B, 2, 128, 128] frames with the CSV labels", async () => {
  const { FramedDataset } = await import("../../src/data/datasets/framed.js");
  const { Loader } = await import("../../src/data/loader.js");
  const ds = new DVSGesture(root, { train: false });
  const loader = new Loader(new FramedDataset(ds, { nTimeBins: 6 }), { batchSize: 11 });
  const labels: number[] = [];
  for await (const b of loader.epoch(0)) {
    assert.deepEqual(b.shape, [6, 11, 2, 128, 128]);
    labels.push(...b.labels);
    let sum = 0;
    for (const v of b.x) sum += v;
    assert.ok(sum > 11 * 1000, `${sum} events binned`);
  }
  // user03's two recordings, classes 0..10 each
  assert.deepEqual(labels, [...Array(11).keys(), ...Array(11).keys()]);
});

/** Centroid of all events in each 20 ms bin with ≥ 30 events: the path of the moving hand(s). */
function centroidPath(ev: Events): [number, number][] {
  const pts: [number, number][] = [];
  for (let a = 0; a < ev.t.length; ) {
    const end = (Math.floor(ev.t[a]! / 20_000) + 1) * 20_000;
    let b = a;
    let sx = 0;
    let sy = 0;
    for (; b < ev.t.length && ev.t[b]! < end; b++) {
      sx += ev.x[b]!;
      sy += ev.y[b]!;
    }
    if (b - a >= 30) pts.push([sx / (b - a), sy / (b - a)]);
    a = b;
  }
  return pts;
}

/**
 * [mean x, mean y, path spread x, path spread y, circulation]: circulation is the path's signed
 * (shoelace) area over its spread; with y pointing down it is > 0 for clockwise on the image.
 */
function features(ev: Events): number[] {
  const P = centroidPath(ev);
  const mx = P.reduce((s, p) => s + p[0], 0) / P.length;
  const my = P.reduce((s, p) => s + p[1], 0) / P.length;
  let area = 0;
  let vx = 0;
  let vy = 0;
  for (let i = 0; i + 1 < P.length; i++) area += ((P[i]![0] - mx) * (P[i + 1]![1] - my) - (P[i + 1]![0] - mx) * (P[i]![1] - my)) / 2;
  for (const p of P) {
    vx += (p[0] - mx) ** 2;
    vy += (p[1] - my) ** 2;
  }
  return [mx, my, Math.sqrt(vx / P.length), Math.sqrt(vy / P.length), area / (vx + vy)];
}

test("class signal: clockwise vs counter-clockwise, right vs left side, and a nearest-centroid classifier", () => {
  const load = (train: boolean): { f: number[][]; y: number[] } => {
    const ds = new DVSGesture(root, { train });
    const f: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < ds.length; i++) {
      const s = ds.events(i);
      f.push(features(s.events));
      y.push(s.label);
    }
    return { f, y };
  };
  const tr = load(true);
  const te = load(false);
  const all = { f: [...tr.f, ...te.f], y: [...tr.y, ...te.y] };
  all.y.forEach((c, i) => {
    const [mx, , , , circ] = all.f[i]!;
    // classes 4/6 (1-based) are clockwise arm rotations, 5/7 counter-clockwise
    if (c === 3 || c === 5) assert.ok(circ! > 0, `class ${c + 1} circulation ${circ}`);
    if (c === 4 || c === 6) assert.ok(circ! < 0, `class ${c + 1} circulation ${circ}`);
    // the subject faces the sensor: right-arm gestures on the image's left half, left-arm on the right
    if (c === 1 || c === 3 || c === 4) assert.ok(mx! < 64, `class ${c + 1} mean x ${mx}`);
    if (c === 2 || c === 5 || c === 6) assert.ok(mx! > 64, `class ${c + 1} mean x ${mx}`);
  });
  // Nearest class centroid on standardised features, trained on users 1–2, tested on user 3.
  const F = tr.f[0]!.length;
  const mu = Array.from({ length: F }, (_, j) => tr.f.reduce((s, v) => s + v[j]!, 0) / tr.f.length);
  const sd = Array.from({ length: F }, (_, j) => Math.sqrt(tr.f.reduce((s, v) => s + (v[j]! - mu[j]!) ** 2, 0) / tr.f.length));
  const z = (v: number[]): number[] => v.map((a, j) => (a - mu[j]!) / sd[j]!);
  const cent = Array.from({ length: 11 }, (_, c) => {
    const rows = tr.f.filter((_, i) => tr.y[i] === c).map(z);
    return Array.from({ length: F }, (_, j) => rows.reduce((s, v) => s + v[j]!, 0) / rows.length);
  });
  let right = 0;
  te.f.forEach((v, i) => {
    const q = z(v);
    const d = cent.map((m) => m.reduce((s, a, j) => s + (a - q[j]!) ** 2, 0));
    if (d.indexOf(Math.min(...d)) === te.y[i]) right++;
  });
  // chance is 1/11 ≈ 0.09; 22 test samples
  assert.ok(right / te.f.length >= 0.5, `nearest-centroid accuracy ${right}/${te.f.length}`);
});

test("seeded: the same (seed, user, lighting) gives the same recording, another seed another", () => {
  const o = { gestureMs: 300, seed: 3 };
  const a = simulateGestureRecording(2, "led", o);
  assert.deepEqual(simulateGestureRecording(2, "led", o), a);
  assert.notDeepEqual(simulateGestureRecording(2, "led", { ...o, seed: 4 }).events.t, a.events.t);
});

test("atomic writes and UsageErrors for bad flags", async () => {
  const { dir, done } = tempDir();
  const run = (args: string[]): Promise<unknown> => buildProgram().parseAsync(["data", "sim", "dvs-gesture", ...args], { from: "user" });
  const write = process.stdout.write.bind(process.stdout);
  const lines: string[] = [];
  process.stdout.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stdout.write;
  try {
    const out = join(dir, "g");
    await assert.rejects(writeGestureTree(out, { users: 1 }), ConfigError);
    // fails inside the tree writer, after the temporary folder exists
    await assert.rejects(writeGestureTree(out, { users: 2, gestureMs: 300, pixel: { threshold: -1 } }), ConfigError);
    assert.deepEqual(readdirSync(dir), []);
    for (const bad of [
      [],
      ["--out", out, "--users", "1"],
      ["--out", out, "--users", "two"],
      ["--out", out, "--seed", "-3"],
      ["--out", out, "--lightings", "sunny"],
      ["--out", out, "--lightings", "natural,natural"],
      ["--out", out, "--gesture-ms", "10"],
    ]) {
      await assert.rejects(run(bad), UsageError, bad.join(" "));
    }
    assert.deepEqual(readdirSync(dir), []);
    await run(["--out", out, "--users", "2", "--lightings", "natural", "--gesture-ms", "300"]);
    const j = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    assert.deepEqual([j.recordings, j.train, j.test, j.testUsers], [2, 11, 11, 1]);
    assert.equal(new DVSGesture(out, { train: false }).length, 11);
    writeFileSync(join(dir, "x"), "");
    await assert.rejects(run(["--out", out]), UsageError);
  } finally {
    process.stdout.write = write;
    done();
  }
});
