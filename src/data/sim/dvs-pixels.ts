/**
 * A DVS pixel array driven by a scene of soft capsules (hands, forearms) on a uniform background.
 * Each pixel keeps a reference log intensity; whenever the rendered log intensity has moved by its
 * own contrast threshold (ON and OFF thresholds differ per pixel: fixed-pattern mismatch) it emits
 * an event at the linearly interpolated crossing time, unless it fired less than a refractory period
 * ago. Only pixels under a shape at the start or end of a step are visited, because everything else
 * sees the constant background and cannot change. Used by the DVS Gesture simulator.
 */
import { ConfigError } from "../../errors.js";
import { Rng } from "../../util/rng.js";
import { allocEvents, sliceEvents, type Events } from "../events.js";

/** A segment (ax,ay)-(bx,by) thickened to radius r, brightness `amp` above the background, 1.5 px soft edge. */
export interface Capsule {
  ax: number;
  ay: number;
  bx: number;
  by: number;
  r: number;
  amp: number;
}

export interface PixelModelOptions {
  width?: number;
  height?: number;
  /** Mean contrast threshold in log intensity (real DVS128: ≈ 0.15–0.3). */
  threshold?: number;
  /** Relative per-pixel spread of the threshold (fixed-pattern mismatch). */
  mismatch?: number;
  /** µs a pixel stays silent after an event. */
  refractoryUs?: number;
  /** Seed of the fixed-pattern mismatch (one sensor for a whole dataset). */
  sensorSeed?: number;
  /** Visit every pixel on every step (slow; the tests' reference for the visited-region shortcut). */
  visitAll?: boolean;
}

const EDGE = 1.5;

/** Growable event buffer; the simulator does not know counts in advance. */
export class EventBuffer {
  private ev: Events = allocEvents(1 << 14);
  n = 0;
  push(x: number, y: number, t: number, p: number): void {
    if (this.n === this.ev.t.length) {
      const bigger = allocEvents(this.n * 2);
      bigger.x.set(this.ev.x);
      bigger.y.set(this.ev.y);
      bigger.t.set(this.ev.t);
      bigger.p.set(this.ev.p);
      this.ev = bigger;
    }
    const i = this.n++;
    this.ev.x[i] = x;
    this.ev.y[i] = y;
    this.ev.t[i] = t;
    this.ev.p[i] = p;
  }
  events(): Events {
    return sliceEvents(this.ev, 0, this.n);
  }
}

export class DvsPixelArray {
  readonly width: number;
  readonly height: number;
  readonly refractoryUs: number;
  private readonly visitAll: boolean;
  private readonly cOn: Float32Array;
  private readonly cOff: Float32Array;
  private readonly ref: Float64Array;
  private readonly logI: Float64Array;
  private readonly lastEv: Float64Array;
  private readonly stamp: Int32Array;
  private step = 0;
  private bgLog = 0;
  private bg = 1;

  constructor(o: PixelModelOptions = {}) {
    this.width = o.width ?? 128;
    this.height = o.height ?? 128;
    const c = o.threshold ?? 0.25;
    const m = o.mismatch ?? 0.05;
    this.refractoryUs = o.refractoryUs ?? 1000;
    this.visitAll = o.visitAll ?? false;
    if (!(c > 0 && m >= 0 && m < 0.5 && this.refractoryUs >= 0 && this.width > 0 && this.height > 0)) {
      throw new ConfigError(`DVS pixel model: need threshold > 0, 0 ≤ mismatch < 0.5, refractoryUs ≥ 0, got ${c}, ${m}, ${this.refractoryUs}`);
    }
    const P = this.width * this.height;
    const rng = new Rng(o.sensorSeed ?? 128128);
    this.cOn = new Float32Array(P);
    this.cOff = new Float32Array(P);
    // Clamped so a far-tail pixel cannot fire on every step.
    for (let i = 0; i < P; i++) {
      this.cOn[i] = c * Math.max(0.5, 1 + m * rng.normal());
      this.cOff[i] = c * Math.max(0.5, 1 + m * rng.normal());
    }
    this.ref = new Float64Array(P);
    this.logI = new Float64Array(P);
    this.lastEv = new Float64Array(P);
    this.stamp = new Int32Array(P);
  }

  /** Start a recording: every pixel adapted to the uniform background `bg` (> 0). */
  reset(bg: number): void {
    if (!(bg > 0)) throw new ConfigError(`DVS pixel model: background intensity must be > 0, got ${bg}`);
    this.bg = bg;
    this.bgLog = Math.log(bg);
    this.ref.fill(this.bgLog);
    this.logI.fill(this.bgLog);
    this.lastEv.fill(-Infinity);
    this.stamp.fill(0);
    this.step = 0;
  }

  /**
   * Advance from t0 to t1 (µs) where the scene at t1 is `next` and was `prev` at t0; events go to
   * `out`. The scene is piecewise linear in log intensity between steps, hence the interpolation.
   */
  advance(prev: readonly Capsule[], next: readonly Capsule[], t0: number, t1: number, out: EventBuffer): void {
    const step = ++this.step;
    if (this.visitAll) {
      for (let i = 0; i < this.width * this.height; i++) this.update(i, i % this.width, Math.floor(i / this.width), next, t0, t1, out);
      return;
    }
    const span: [number, number] = [0, 0];
    for (const s of [...prev, ...next]) {
      const pad = s.r + EDGE;
      const y0 = Math.max(0, Math.floor(Math.min(s.ay, s.by) - pad));
      const y1 = Math.min(this.height - 1, Math.ceil(Math.max(s.ay, s.by) + pad));
      for (let y = y0; y <= y1; y++) {
        if (!rowSpan(s, y, span)) continue;
        const x0 = Math.max(0, Math.floor(span[0]));
        const x1 = Math.min(this.width - 1, Math.ceil(span[1]));
        for (let x = x0; x <= x1; x++) {
          const i = y * this.width + x;
          if (this.stamp[i] === step) continue;
          this.stamp[i] = step;
          this.update(i, x, y, next, t0, t1, out);
        }
      }
    }
  }

  private update(i: number, x: number, y: number, scene: readonly Capsule[], t0: number, t1: number, out: EventBuffer): void {
    let I = this.bg;
    for (const s of scene) I += s.amp * coverage(s, x, y);
    const L1 = I === this.bg ? this.bgLog : Math.log(I);
    const L0 = this.logI[i]!;
    this.logI[i] = L1;
    let r = this.ref[i]!;
    const cOn = this.cOn[i]!;
    const cOff = this.cOff[i]!;
    const span = L1 - L0;
    for (;;) {
      let on: boolean;
      if (L1 - r >= cOn) on = true;
      else if (r - L1 >= cOff) on = false;
      else break;
      r += on ? cOn : -cOff;
      // Crossing time of level r on the straight log-intensity path from L0 to L1.
      const f = span === 0 ? 1 : Math.min(1, Math.max(0, (r - L0) / span));
      const t = Math.floor(t0 + f * (t1 - t0));
      if (t - this.lastEv[i]! >= this.refractoryUs) {
        out.push(x, y, t, on ? 1 : 0);
        this.lastEv[i] = t;
      }
    }
    this.ref[i] = r;
  }
}

/** Fraction of pixel (x, y) covered by capsule s: 1 inside, a linear ramp over the soft edge. */
export function coverage(s: Capsule, x: number, y: number): number {
  const pad = s.r + EDGE;
  if (x < Math.min(s.ax, s.bx) - pad || x > Math.max(s.ax, s.bx) + pad || y < Math.min(s.ay, s.by) - pad || y > Math.max(s.ay, s.by) + pad) return 0;
  const dx = s.bx - s.ax;
  const dy = s.by - s.ay;
  const len2 = dx * dx + dy * dy;
  const u = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((x - s.ax) * dx + (y - s.ay) * dy) / len2));
  const ex = x - (s.ax + u * dx);
  const ey = y - (s.ay + u * dy);
  const d2 = ex * ex + ey * ey;
  // Most visited pixels lie in a bounding-box corner, outside the capsule: decide those without a sqrt.
  if (d2 >= pad * pad) return 0;
  if (d2 <= s.r * s.r) return 1;
  return (pad - Math.sqrt(d2)) / EDGE;
}

/**
 * The x range of row y that lies within r + EDGE of capsule s (a convex set, so one interval):
 * the hull of the row's cuts through the two end discs and the body rectangle. False if none.
 */
export function rowSpan(s: Capsule, y: number, out: [number, number]): boolean {
  const pad = s.r + EDGE;
  let lo = Infinity;
  let hi = -Infinity;
  let d = y - s.ay;
  if (Math.abs(d) <= pad) {
    const h = Math.sqrt(pad * pad - d * d);
    lo = s.ax - h;
    hi = s.ax + h;
  }
  d = y - s.by;
  if (Math.abs(d) <= pad) {
    const h = Math.sqrt(pad * pad - d * d);
    lo = Math.min(lo, s.bx - h);
    hi = Math.max(hi, s.bx + h);
  }
  const dx = s.bx - s.ax;
  const dy = s.by - s.ay;
  const len = Math.sqrt(dx * dx + dy * dy);
  if (len > 0) {
    const nx = (-dy / len) * pad;
    const ny = (dx / len) * pad;
    // The body rectangle's four edges: the two long sides and the two end caps' diameters.
    const cut = (x1: number, y1: number, x2: number, y2: number): void => {
      if ((y1 - y) * (y2 - y) > 0) return;
      const x = y1 === y2 ? x1 : x1 + ((y - y1) / (y2 - y1)) * (x2 - x1);
      const xb = y1 === y2 ? x2 : x;
      lo = Math.min(lo, x, xb);
      hi = Math.max(hi, x, xb);
    };
    cut(s.ax + nx, s.ay + ny, s.bx + nx, s.by + ny);
    cut(s.bx + nx, s.by + ny, s.bx - nx, s.by - ny);
    cut(s.bx - nx, s.by - ny, s.ax - nx, s.ay - ny);
    cut(s.ax - nx, s.ay - ny, s.ax + nx, s.ay + ny);
  }
  if (lo > hi) return false;
  out[0] = lo;
  out[1] = hi;
  return true;
}
