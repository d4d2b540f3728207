/**
 * `dvs-gesture-sim`: a DVS Gesture stand-in. A seated subject (invisible: static things emit no
 * events) moves hands and forearms, drawn as bright soft capsules, in front of a 128×128 DVS pixel
 * array (dvs-pixels.ts); the motion alone defines the 11 classes of IBM's set. Several users (each
 * with own size, position, tempo) × lighting conditions (background level, hand contrast, noise
 * rate) each give one recording of all 11 gestures in order with pauses, written exactly like
 * `DvsGesture.tar.gz` unpacks: `DvsGesture/userNN_<lighting>.aedat` (AEDAT 3.1) +
 * `userNN_<lighting>_labels.csv` + `trials_to_train.txt` / `trials_to_test.txt`.
 *
 * Geometry is as the sensor sees it (x right, y down). The subject faces the sensor, so the
 * subject's right arm is on the image's left. "Clockwise" is clockwise on the image.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../errors.js";
import { Rng } from "../../util/rng.js";
import { sortByTime, type Events } from "../events.js";
import { encodeAedat31 } from "../readers/aedat.js";
import { formatGestureLabels, formatTrials, GESTURE_CLASSES, type GestureSegment } from "../readers/gesture-labels.js";
import { writeTreeAtomic } from "./atomic-tree.js";
import { DvsPixelArray, EventBuffer, type Capsule, type PixelModelOptions } from "./dvs-pixels.js";

/** IBM's five lighting conditions (file name suffixes). */
export const GESTURE_LIGHTINGS = ["fluorescent", "fluorescent_led", "lab", "led", "natural"] as const;
export type GestureLighting = (typeof GESTURE_LIGHTINGS)[number];

interface LightingModel {
  /** Background intensity (arbitrary units; only ratios matter to a DVS). */
  bg: number;
  /** Hand brightness above the background; forearms get 60 % of it. */
  hand: number;
  /** Background-activity noise, events per pixel per second. */
  noiseHz: number;
}

/** Dimmer scenes give lower contrast and more noise, as with a real DVS128. */
const LIGHTING: Record<GestureLighting, LightingModel> = {
  fluorescent: { bg: 0.3, hand: 0.45, noiseHz: 0.15 },
  fluorescent_led: { bg: 0.35, hand: 0.5, noiseHz: 0.12 },
  lab: { bg: 0.25, hand: 0.35, noiseHz: 0.2 },
  led: { bg: 0.4, hand: 0.6, noiseHz: 0.1 },
  natural: { bg: 0.5, hand: 0.8, noiseHz: 0.05 },
};

/** Per-user body and tempo, fixed across that user's lighting conditions. */
export interface GestureUser {
  cx: number;
  cy: number;
  scale: number;
  /** Gesture cycles per second. */
  hz: number;
  phase: number;
  /** Arm-roll direction (+1 / −1): the class is two hands orbiting each other, either way. */
  rollDir: number;
}

export function gestureUser(seed: number, user: number): GestureUser {
  const r = new Rng(mix(seed, user, 0x5e));
  return { cx: 64 + r.uniform(-6, 6), cy: 64 + r.uniform(-5, 5), scale: r.uniform(0.85, 1.15), hz: r.uniform(1.0, 1.6), phase: r.uniform(0, 2 * Math.PI), rollDir: r.random() < 0.5 ? 1 : -1 };
}

interface Pt {
  x: number;
  y: number;
}

/**
 * Hand positions of class `c` (0-based) at time `s` seconds into the gesture. Each arm is drawn
 * from its shoulder to its hand. `other` follows a smooth random path drawn from `rnd`.
 */
function hands(c: number, s: number, u: GestureUser, rnd: readonly number[]): { right?: Pt; left?: Pt } {
  const k = u.scale;
  const w = 2 * Math.PI * u.hz * s + u.phase;
  const R = { x: u.cx - 24 * k, y: u.cy - 14 * k }; // right shoulder, image left
  const L = { x: u.cx + 24 * k, y: u.cy - 14 * k };
  switch (c) {
    case 0: {
      // hand clap: both hands meet in the middle and part again
      const gap = 7 * k + 14 * k * (1 + Math.cos(w)) * 0.5;
      return { right: { x: u.cx - gap, y: u.cy + 6 * k }, left: { x: u.cx + gap, y: u.cy + 6 * k } };
    }
    case 1:
      return { right: { x: R.x - 6 * k + 13 * k * Math.sin(w), y: R.y - 30 * k + 3 * k * Math.abs(Math.sin(w)) } };
    case 2:
      return { left: { x: L.x + 6 * k + 13 * k * Math.sin(w), y: L.y - 30 * k + 3 * k * Math.abs(Math.sin(w)) } };
    case 3:
    case 4:
    case 5:
    case 6: {
      // arm rotations: a circle beside the shoulder; increasing angle is clockwise with y down
      const dir = c === 3 || c === 5 ? 1 : -1;
      const sh = c <= 4 ? R : L;
      const side = c <= 4 ? -1 : 1;
      const p = { x: sh.x + side * 10 * k + 20 * k * Math.cos(dir * w), y: sh.y - 8 * k + 20 * k * Math.sin(dir * w) };
      return c <= 4 ? { right: p } : { left: p };
    }
    case 7: {
      // arm roll: the two hands orbit a point in front of the chest, half a turn apart
      const a = u.rollDir * w * 1.4;
      const o = { x: u.cx, y: u.cy + 4 * k };
      return { right: { x: o.x - 10 * k * Math.cos(a), y: o.y - 7 * k * Math.sin(a) }, left: { x: o.x + 10 * k * Math.cos(a), y: o.y + 7 * k * Math.sin(a) } };
    }
    case 8: {
      // air drums: hands beat up and down alternately, low and wide
      const b = 1.5 * w;
      return { right: { x: u.cx - 20 * k, y: u.cy + 14 * k + 10 * k * Math.sin(b) }, left: { x: u.cx + 20 * k, y: u.cy + 14 * k - 10 * k * Math.sin(b) } };
    }
    case 9: {
      // air guitar: fast short strum low on the right, slow fretting hand up the neck on the left
      const strum = 2.2 * w;
      const fret = 0.5 * w;
      return {
        right: { x: u.cx - 6 * k + 2 * k * Math.sin(strum), y: u.cy + 16 * k + 9 * k * Math.sin(strum) },
        left: { x: u.cx + 30 * k + 5 * k * Math.sin(fret), y: u.cy - 2 * k - 4 * k * Math.sin(fret) },
      };
    }
    default: {
      // other: a smooth random path of the right hand (sum of three random sinusoids per axis)
      let x = u.cx - 16 * k;
      let y = u.cy;
      for (let j = 0; j < 3; j++) {
        const f = rnd[j * 4]!;
        x += 10 * k * rnd[j * 4 + 1]! * Math.sin(2 * Math.PI * f * s + 6.3 * rnd[j * 4 + 2]!);
        y += 10 * k * rnd[j * 4 + 3]! * Math.cos(2 * Math.PI * f * s + 6.3 * rnd[j * 4 + 2]!);
      }
      return { right: { x, y } };
    }
  }
}

function scene(c: number, s: number, durS: number, u: GestureUser, light: LightingModel, rnd: readonly number[]): Capsule[] {
  // Hands rise into view over the first and fall out over the last 150 ms.
  const env = Math.min(1, s / 0.15, Math.max(0, durS - s) / 0.15);
  if (env <= 0) return [];
  const h = hands(c, s, u, rnd);
  const k = u.scale;
  const out: Capsule[] = [];
  const arm = (sh: Pt, p: Pt): void => {
    out.push({ ax: sh.x, ay: sh.y, bx: p.x, by: p.y, r: 3 * k, amp: 0.6 * light.hand * env });
    out.push({ ax: p.x, ay: p.y, bx: p.x, by: p.y, r: 6 * k, amp: light.hand * env });
  };
  if (h.right) arm({ x: u.cx - 24 * k, y: u.cy - 14 * k }, h.right);
  if (h.left) arm({ x: u.cx + 24 * k, y: u.cy - 14 * k }, h.left);
  return out;
}

export interface GestureSimOptions {
  /** Subjects (user01..userNN); the last ⌈6N/29⌉ are the test users, as 24–29 of IBM's 29. */
  users?: number;
  lightings?: readonly GestureLighting[];
  seed?: number;
  /** Mean gesture length in ms (IBM's are ≈ 6 s; shorter keeps files moderate). */
  gestureMs?: number;
  /** Simulation step in µs (event times are interpolated inside it). */
  dtUs?: number;
  /** Scale of the lighting's background-noise rate (0 = none). */
  noise?: number;
  pixel?: PixelModelOptions;
}

export interface GestureRecording {
  events: Events;
  segments: GestureSegment[];
}

/** Seed mixing (integer hash) so user, lighting and class streams never overlap. */
function mix(...v: number[]): number {
  let h = 0x811c9dc5;
  for (const x of v) h = Math.imul(h ^ (x >>> 0), 0x01000193) ^ (h >>> 15);
  return h >>> 0;
}

function resolved(o: GestureSimOptions): Required<Omit<GestureSimOptions, "pixel">> & { pixel: PixelModelOptions } {
  const r = { users: o.users ?? 10, lightings: o.lightings ?? (["fluorescent", "led", "natural"] as const), seed: o.seed ?? 1, gestureMs: o.gestureMs ?? 1500, dtUs: o.dtUs ?? 4000, noise: o.noise ?? 1, pixel: o.pixel ?? {} };
  if (!(Number.isInteger(r.users) && r.users >= 2 && r.users <= 99)) throw new ConfigError(`dvs-gesture sim: users must be an integer in 2..99 (at least one train and one test user), got ${r.users}`);
  if (r.lightings.length === 0 || r.lightings.some((l) => !(GESTURE_LIGHTINGS as readonly string[]).includes(l))) throw new ConfigError(`dvs-gesture sim: lightings must be some of ${GESTURE_LIGHTINGS.join(", ")}, got ${r.lightings.join(",")}`);
  if (new Set(r.lightings).size !== r.lightings.length) throw new ConfigError(`dvs-gesture sim: a lighting is listed twice in ${r.lightings.join(",")}`);
  if (!(Number.isInteger(r.seed) && r.seed >= 0)) throw new ConfigError(`dvs-gesture sim: seed must be an integer ≥ 0, got ${r.seed}`);
  if (!(r.gestureMs >= 300 && r.gestureMs <= 20_000)) throw new ConfigError(`dvs-gesture sim: gestureMs must be in 300..20000, got ${r.gestureMs}`);
  if (!(r.dtUs >= 100 && r.dtUs <= 20_000)) throw new ConfigError(`dvs-gesture sim: dtUs must be in 100..20000, got ${r.dtUs}`);
  if (!(r.noise >= 0)) throw new ConfigError(`dvs-gesture sim: noise must be ≥ 0, got ${r.noise}`);
  return r;
}

/** Number of test users for N users: IBM's 6 of 29, at least 1. */
export function gestureTestUsers(users: number): number {
  return Math.max(1, Math.ceil((6 * users) / 29));
}

/**
 * One recording: user `user` (1-based) under `lighting`, the 11 classes in order, each after a
 * pause, starting a few seconds into the clock as IBM's do. Deterministic in (seed, user, lighting).
 */
export function simulateGestureRecording(user: number, lighting: GestureLighting, o: GestureSimOptions = {}, pixels?: DvsPixelArray): GestureRecording {
  const r = resolved(o);
  const light = LIGHTING[lighting];
  const u = gestureUser(r.seed, user);
  const rng = new Rng(mix(r.seed, user, GESTURE_LIGHTINGS.indexOf(lighting) + 1));
  const px = pixels ?? new DvsPixelArray(r.pixel);
  px.reset(light.bg);
  const buf = new EventBuffer();
  const segments: GestureSegment[] = [];
  let t = Math.floor(rng.uniform(1e6, 4e6));
  for (let c = 0; c < GESTURE_CLASSES.length; c++) {
    t += Math.floor(rng.uniform(300_000, 800_000));
    const dur = Math.floor(r.gestureMs * 1000 * rng.uniform(0.85, 1.15));
    const rnd = Array.from({ length: 12 }, (_, j) => (j % 4 === 0 ? rng.uniform(0.3, 1.5) : rng.uniform(0.3, 1)));
    const durS = dur / 1e6;
    let prev: Capsule[] = [];
    for (let a = 0; a < dur; a += r.dtUs) {
      const b = Math.min(dur, a + r.dtUs);
      const next = scene(c, b / 1e6, durS, u, light, rnd);
      px.advance(prev, next, t + a, t + b, buf);
      prev = next;
    }
    segments.push({ label: c, startUs: t, endUs: t + dur });
    t += dur;
  }
  const end = t + Math.floor(rng.uniform(300_000, 800_000));
  // Background activity: Poisson count over the whole recording, uniform in time and space.
  const W = px.width;
  const H = px.height;
  const mean = (light.noiseHz * r.noise * W * H * (end - segments[0]!.startUs + 1e6)) / 1e6;
  const n = Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const t0 = segments[0]!.startUs - 1e6;
  for (let i = 0; i < n; i++) buf.push(rng.int(0, W), rng.int(0, H), Math.floor(rng.uniform(t0, end)), rng.random() < 0.5 ? 1 : 0);
  return { events: sortByTime(buf.events()), segments };
}

export interface GestureTreeResult {
  out: string;
  recordings: number;
  trainSamples: number;
  testSamples: number;
  events: number;
  trainFiles: string[];
  testFiles: string[];
}

const README = `Simulated DVS Gesture (exodus-snn data sim dvs-gesture): not IBM's recordings.
Same layout and formats as DvsGesture.tar.gz: userNN_<lighting>.aedat (AEDAT 3.1, DVS128 polarity
events), userNN_<lighting>_labels.csv (class,startTime_usec,endTime_usec; classes 1..11) and
trials_to_train.txt / trials_to_test.txt. Hands and forearms seen by a simulated DVS pixel array.
`;

/**
 * Write the whole set under `<out>/DvsGesture/`, atomically (`out` must not exist or be empty).
 * `log` gets one line per recording.
 */
export async function writeGestureTree(out: string, o: GestureSimOptions = {}, log?: (msg: string) => void): Promise<GestureTreeResult> {
  const r = resolved(o);
  const nTest = gestureTestUsers(r.users);
  return writeTreeAtomic(out, (tmp) => {
    const dir = join(tmp, "DvsGesture");
    mkdirSync(dir, { recursive: true });
    const px = new DvsPixelArray(r.pixel);
    const res: GestureTreeResult = { out, recordings: 0, trainSamples: 0, testSamples: 0, events: 0, trainFiles: [], testFiles: [] };
    for (let user = 1; user <= r.users; user++) {
      const test = user > r.users - nTest;
      for (const light of r.lightings) {
        const name = `user${String(user).padStart(2, "0")}_${light}`;
        const rec = simulateGestureRecording(user, light, r, px);
        writeFileSync(join(dir, `${name}.aedat`), encodeAedat31(rec.events, { headerLines: ["#Start-Time: 2017-01-01 00:00:00 (TZ+0000)", `#Simulated: exodus-snn dvs-gesture-sim seed ${r.seed}`] }));
        writeFileSync(join(dir, `${name}_labels.csv`), formatGestureLabels(rec.segments));
        (test ? res.testFiles : res.trainFiles).push(`${name}.aedat`);
        if (test) res.testSamples += rec.segments.length;
        else res.trainSamples += rec.segments.length;
        res.events += rec.events.t.length;
        res.recordings++;
        log?.(`dvs-gesture: ${name}.aedat ${rec.events.t.length} events`);
      }
    }
    writeFileSync(join(dir, "trials_to_train.txt"), formatTrials(res.trainFiles));
    writeFileSync(join(dir, "trials_to_test.txt"), formatTrials(res.testFiles));
    writeFileSync(join(dir, "README.txt"), README);
    return res;
  });
}
