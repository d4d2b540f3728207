/**
 * EXODUS and BPTT gradients against central finite differences in float64, for both resets and the
 * threshold (docs/gradients.md §2, §5, §6). The reference is independent of the library: a plain-JS
 * forward of one neuron in which each spike is replaced by its linearisation at the base point,
 *   s_t = s̄_t + σ̄_t·((v_t − v̄_t) − (θ − θ̄)),
 * (value and slope of the surrogate model; σ̄ held constant, as every surrogate method holds it), so the loss
 * is differentiable and its exact derivative is what a surrogate gradient means. Everything else —
 * decay, clip, the reset as the forward writes it, m = θ tied when no membraneSubtract is given — is the
 * forward of spec §1.1 written out again here.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCase, type GradCase } from "../../src/experiments/gradcheck.js";
import { relDiff, Rng, testSeed } from "../helpers.js";

type Sur = { type: "SingleExponential"; gradWidth: number; gradScale: number } | { type: "Gaussian"; mu: number; sigma: number; gradScale: number };

/** σ(v, θ) written from the spec §1.4 table. */
function sigma(s: Sur, v: number, th: number): number {
  if (s.type === "SingleExponential") {
    const w = th * s.gradWidth;
    return (s.gradScale / w) * Math.exp(-Math.abs(v - th) / w);
  }
  const z = v - th - s.mu;
  return (s.gradScale / (s.sigma * Math.sqrt(2 * Math.PI))) * Math.exp(-(z * z) / (2 * s.sigma * s.sigma));
}

interface Neuron {
  x: number[];
  v0: number;
  alpha: number;
  theta: number;
  /** null: m = θ (tied) */
  m: number | null;
  lo: number;
  cap: number; // 0 = unlimited
  zero: boolean;
  gS: number[];
  gV: number[];
}

interface Base { v: number[]; s: number[]; sig: number[]; theta: number }

function forward(n: Neuron, sur: Sur, base: Base | null): { L: number; v: number[]; s: number[] } {
  let post = n.v0;
  let L = 0;
  const vs: number[] = [];
  const ss: number[] = [];
  for (let t = 0; t < n.x.length; t++) {
    const v = Math.max(n.alpha * post + n.x[t]!, n.lo);
    let s: number;
    if (base) {
      s = base.s[t]! + base.sig[t]! * ((v - base.v[t]!) - (n.theta - base.theta));
    } else {
      s = v >= n.theta ? Math.trunc(v / n.theta) : 0;
      if (n.cap > 0) s = Math.min(s, n.cap);
    }
    post = n.zero ? v * (1 - s) : v - (n.m ?? n.theta) * s;
    L += n.gS[t]! * s + n.gV[t]! * v;
    vs.push(v);
    ss.push(s);
  }
  return { L, v: vs, s: ss };
}

/** Central differences of the linearised loss w.r.t. x_t, v0, α, θ. */
function fdGrads(n: Neuron, sur: Sur): { dx: number[]; dv0: number; dalpha: number; dtheta: number } {
  const b = forward(n, sur, null);
  const base: Base = { v: b.v, s: b.s, sig: b.v.map((v) => sigma(sur, v, n.theta)), theta: n.theta };
  const h = 1e-6;
  const d = (edit: (m: Neuron, e: number) => Neuron): number =>
    (forward(edit(n, h), sur, base).L - forward(edit(n, -h), sur, base).L) / (2 * h);
  return {
    dx: n.x.map((_, t) => d((m, e) => ({ ...m, x: m.x.map((xv, k) => (k === t ? xv + e : xv)) }))),
    dv0: d((m, e) => ({ ...m, v0: m.v0 + e })),
    dalpha: d((m, e) => ({ ...m, alpha: m.alpha + e })),
    dtheta: d((m, e) => ({ ...m, theta: m.theta + e })),
  };
}

const sers: Sur[] = [
  { type: "SingleExponential", gradWidth: 0.5, gradScale: 0.6 },
  { type: "Gaussian", mu: 0, sigma: 0.4, gradScale: 0.8 },
];

const configs = [
  { name: "subtract, m = θ (θ in the reset)", zero: false, m: null, cap: 0 },
  { name: "subtract, m ≠ θ, MaxSpike(2)", zero: false, m: 0.7, cap: 2 },
  { name: "zero reset (SingleSpike)", zero: true, m: null, cap: 1 },
] as const;

const seed = testSeed("neurons-fd");

for (const cfg of configs) {
  for (const sur of sers) {
    test(`finite differences (float64) = EXODUS = BPTT: ${cfg.name}, ${sur.type}`, () => {
      const rng = new Rng(seed + configs.indexOf(cfg) * 7 + sers.indexOf(sur));
      const N = 3;
      const T = 20;
      const alphas = Array.from({ length: N }, () => rng.uniform(0.75, 0.95));
      const thetas = Array.from({ length: N }, () => rng.uniform(0.8, 1.2));
      const v0s = Array.from({ length: N }, () => rng.uniform(-0.2, 0.6));
      const lo = -0.4;
      const xs = Array.from({ length: N }, () => Array.from({ length: T }, (_, t) => (t < 4 ? rng.uniform(-1.5, 0) : rng.uniform(-0.3, 1.1))));
      const gS = Array.from({ length: N }, () => Array.from({ length: T }, () => rng.normal()));
      const gV = Array.from({ length: N }, () => Array.from({ length: T }, () => 0.3 * rng.normal()));
      const c: GradCase = {
        dtype: "float64", alpha: alphas, threshold: thetas, vInit: v0s, minVMem: lo, maxSpikes: cfg.cap || null,
        ...(cfg.m !== null ? { membraneSubtract: cfg.m } : {}), ...(cfg.zero ? { reset: "zero" as const } : {}),
        surrogate: sur, x: xs, gradSpikes: gS, gradV: gV,
      };
      const r = runCase(c);
      let resets = 0;
      let clips = 0;
      for (let i = 0; i < N; i++) {
        const n: Neuron = {
          x: xs[i]!, v0: v0s[i]!, alpha: alphas[i]!, theta: thetas[i]!, m: cfg.m, lo, cap: cfg.cap, zero: cfg.zero, gS: gS[i]!, gV: gV[i]!,
        };
        const fd = fdGrads(n, sur);
        const plain = forward(n, sur, null);
        assert.deepEqual(r.exodus.spikes[i], plain.s, "the library's forward is spec §1.1");
        resets += plain.s.slice(0, -1).filter((s) => s > 0).length;
        clips += plain.v.filter((v) => v === lo).length;
        for (const eng of ["exodus", "bptt"] as const) {
          const g = r[eng];
          const want = [...fd.dx, fd.dv0, fd.dalpha, fd.dtheta];
          const got = [...g.dx[i]!, g.dv0[i]!, g.dalpha[i]!, g.dthreshold[i]!];
          const d = relDiff(got, want);
          assert.ok(d <= 1e-6, `${eng} neuron ${i}: relative difference to finite differences ${d.toExponential(3)}\n got ${got.map((v) => v.toPrecision(6))}\nwant ${want.map((v) => v.toPrecision(6))}`);
          assert.ok(Math.abs(fd.dtheta) > 1e-6 || i > 0, "θ's gradient should not vanish");
        }
      }
      assert.ok(resets > 0, "the case must reset inside the sequence");
      assert.ok(clips > 0, "the case must clip at minVMem");
    });
  }
}
