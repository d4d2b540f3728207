/**
 * webgpu conformance, neuron kernels: lifForward (spec §1.1) must give the same spikes as ref exactly and
 * the same membrane potentials bit for bit (the WGSL scan rounds after every op like ref); lifBackward
 * (spec §3.2 EXODUS, §3.3 SLAYER) for all five surrogates with and without minV, gV and dα; the leaky
 * integrator; the BPTT-path spikeFn / surrogateGrad; the zero reset and the threshold gradient
 * (docs/gradients.md §5, §6).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { SurrogateSpec } from "../../src/kernels/contract.js";
import { refArrayKernels } from "../../src/kernels/ref/index.js";
import { backend, both, EXACT, need, randn, rng, type Tol, uniform } from "./helpers.js";

const SURROGATES: SurrogateSpec[] = [
  { type: "SingleExponential", gradWidth: 0.5, gradScale: 1 },
  { type: "PeriodicExponential", gradWidth: 0.5, gradScale: 1 },
  { type: "Heaviside", window: 0.5 },
  { type: "Gaussian", mu: 0, sigma: 0.5, gradScale: 1 },
  { type: "MultiGaussian", mu: 0, sigma: 0.5, h: 0.15, s: 6, gradScale: 0.5 },
];
/** Reverse scans accumulate over T in float32 (ref: float64). */
const SCAN: Tol = { rtol: 1e-4, atolRel: 1e-5 };
/** (N, T, P) with P | N. */
const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 17, 1], [17, 3, 17], [1023, 40, 3], [1023, 1, 1023], [17, 257, 17]];

after(async () => (await backend())?.dispose());

function lifInputs(N: number, T: number, P: number, salt: number) {
  const r = rng(salt);
  const theta = uniform(r, P, 0.5, 1.5);
  return {
    x: randn(r, T * N, 0.6, 0.25),
    v0: randn(r, N, 0.3),
    alpha: uniform(r, P, 0.8, 0.99),
    theta,
    sub: theta.map((t, i) => (i % 2 ? t : 1)),
    minV: theta.map((t) => -0.5 * t),
  };
}

test("lifForward: spikes exact, v bit-equal; MultiSpike / SingleSpike / MaxSpike(3), with and without minV", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  let spikes = 0;
  for (const [N, T, P] of SHAPES) {
    for (const maxSpikes of [0, 1, 3]) {
      for (const hasMinV of [false, true]) {
        const inp = lifInputs(N, T, P, N * 7 + T + maxSpikes);
        const { minV, ...rest } = inp;
        const io = { ...rest, ...(hasMinV ? { minV } : {}), spikes: new Float32Array(T * N).fill(9), v: new Float32Array(T * N).fill(9) };
        const at = { T, N, P, maxSpikes, hasMinV };
        const r = await both(b, "lifForward", io, at, { spikes: EXACT, v: EXACT });
        spikes += r.ref.spikes!.reduce((s, v) => s + v, 0);
        errors.push(...r.errors.map((e) => `${JSON.stringify(at)}: ${e}`));
      }
    }
  }
  assert.ok(spikes > 1000, `inputs should make the neurons spike (got ${spikes} spikes)`);
  assert.deepEqual(errors, []);
});

/** Inputs and a consistent (spikes, v) from the ref forward (uncapped, with minV), for the backward tests. */
function refForward(N: number, T: number, P: number, salt: number) {
  const inp = lifInputs(N, T, P, salt);
  const fw = { spikes: new Float32Array(T * N), v: new Float32Array(T * N) };
  refArrayKernels.lifForward({ ...inp, ...fw }, { T, N, P, maxSpikes: 0, hasMinV: true });
  return { inp, fw };
}

test("lifBackward: exodus and slayer, all surrogates, minV gating, gV, dAlpha", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  for (const [N, T, P] of SHAPES) {
    const { inp, fw } = refForward(N, T, P, N * 13 + T);
    const r = rng(N + T);
    const gS = randn(r, T * N);
    const gV = randn(r, T * N, 0.5);
    for (const surrogate of SURROGATES) {
      for (const mode of ["exodus", "slayer"] as const) {
        for (const [hasMinV, withGV, withDAlpha] of [[true, true, true], [false, false, false], [true, false, true], [false, true, false]] as const) {
          const io = {
            gS, v: fw.v, alpha: inp.alpha, theta: inp.theta, sub: inp.sub,
            ...(hasMinV ? { minV: inp.minV } : {}),
            ...(withGV ? { gV } : {}),
            ...(withDAlpha ? { spikes: fw.spikes, v0: inp.v0, dAlpha: new Float32Array(P).fill(9) } : {}),
            dx: new Float32Array(T * N).fill(9), dv0: new Float32Array(N).fill(9),
          };
          const at = { T, N, P, maxSpikes: 0, hasMinV, surrogate, mode };
          // dα sums N/P·T terms of both signs: its error is relative to the terms, not the (cancelling) sum.
          const res = await both(b, "lifBackward", io, at, {
            dx: SCAN, dv0: SCAN, ...(withDAlpha ? { dAlpha: { rtol: 1e-4, atolRel: 1e-4 } } : {}),
          });
          errors.push(...res.errors.map((e) => `${surrogate.type} ${mode} N=${N} T=${T} P=${P} minV=${hasMinV} gV=${withGV}: ${e}`));
        }
      }
    }
  }
  assert.deepEqual(errors, []);
});

test("lifBackward with a spike gradient that is the same at every step (gSP = 1, a divisor of N, N)", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  for (const [N, T, P] of SHAPES) {
    const { inp, fw } = refForward(N, T, P, N * 7 + T);
    for (const gSP of [...new Set([1, [3, 17, 1023].find((d) => N % d === 0 && d < N) ?? 1, N])]) {
      const gS = randn(rng(gSP + N), gSP);
      const io = {
        gS, v: fw.v, alpha: inp.alpha, theta: inp.theta, sub: inp.sub, minV: inp.minV,
        spikes: fw.spikes, v0: inp.v0, dAlpha: new Float32Array(P).fill(9),
        dx: new Float32Array(T * N).fill(9), dv0: new Float32Array(N).fill(9),
      };
      const at = { T, N, P, maxSpikes: 0, hasMinV: true, surrogate: SURROGATES[0]!, mode: "exodus" as const, gSP };
      const res = await both(b, "lifBackward", io, at, { dx: SCAN, dv0: SCAN, dAlpha: { rtol: 1e-4, atolRel: 1e-4 } });
      errors.push(...res.errors.map((e) => `N=${N} T=${T} P=${P} gSP=${gSP}: ${e}`));
    }
  }
  assert.deepEqual(errors, []);
});

test("zero reset (docs/gradients.md §5): lifForward bit-equal to ref; lifBackward with dθ (§6), both modes, all surrogates", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  let resets = 0;
  for (const [N, T, P] of SHAPES) {
    const inp = lifInputs(N, T, P, N * 11 + T);
    const fwd = { spikes: new Float32Array(T * N).fill(9), v: new Float32Array(T * N).fill(9) };
    const fat = { T, N, P, maxSpikes: 1, hasMinV: true, reset: "zero" as const };
    const f = await both(b, "lifForward", { ...inp, ...fwd }, fat, { spikes: EXACT, v: EXACT });
    errors.push(...f.errors.map((e) => `forward N=${N} T=${T} P=${P}: ${e}`));
    resets += f.ref.spikes!.slice(0, (T - 1) * N).reduce((s, v) => s + v, 0);
    const r = rng(N * 5 + T);
    const gS = randn(r, T * N);
    const gV = randn(r, T * N, 0.5);
    for (const surrogate of SURROGATES) {
      for (const mode of ["exodus", "slayer"] as const) {
        const io = {
          gS, gV, v: f.ref.v!, alpha: inp.alpha, theta: inp.theta, sub: inp.sub, minV: inp.minV, spikes: f.ref.spikes!, v0: inp.v0,
          dAlpha: new Float32Array(P).fill(9), dTheta: new Float32Array(P).fill(9),
          dx: new Float32Array(T * N).fill(9), dv0: new Float32Array(N).fill(9),
        };
        const at = { T, N, P, maxSpikes: 1, hasMinV: true, surrogate, mode, reset: "zero" as const };
        const res = await both(b, "lifBackward", io, at, {
          dx: SCAN, dv0: SCAN, dAlpha: { rtol: 1e-4, atolRel: 1e-4 }, dTheta: { rtol: 1e-4, atolRel: 1e-4 },
        });
        errors.push(...res.errors.map((e) => `${surrogate.type} ${mode} N=${N} T=${T} P=${P}: ${e}`));
      }
    }
  }
  assert.ok(resets > 100, `inputs should make the neurons reset (got ${resets})`);
  assert.deepEqual(errors, []);
});

test("subtractive reset with dθ (docs/gradients.md §6), m = θ tied and not, MultiSpike", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  for (const [N, T, P] of SHAPES) {
    const { inp, fw } = refForward(N, T, P, N * 3 + T);
    const r = rng(N * 9 + T);
    const gS = randn(r, T * N);
    for (const surrogate of [SURROGATES[0]!, SURROGATES[4]!]) {
      for (const mode of ["exodus", "slayer"] as const) {
        for (const thetaInReset of [false, true]) {
          const io = {
            gS, v: fw.v, alpha: inp.alpha, theta: inp.theta, sub: thetaInReset ? inp.theta : inp.sub, minV: inp.minV,
            spikes: fw.spikes, v0: inp.v0, dAlpha: new Float32Array(P).fill(9), dTheta: new Float32Array(P).fill(9),
            dx: new Float32Array(T * N).fill(9), dv0: new Float32Array(N).fill(9),
          };
          const at = { T, N, P, maxSpikes: 0, hasMinV: true, surrogate, mode, ...(thetaInReset ? { thetaInReset } : {}) };
          const res = await both(b, "lifBackward", io, at, {
            dx: SCAN, dv0: SCAN, dAlpha: { rtol: 1e-4, atolRel: 1e-4 }, dTheta: { rtol: 1e-4, atolRel: 1e-4 },
          });
          errors.push(...res.errors.map((e) => `${surrogate.type} ${mode} tied=${thetaInReset} N=${N} T=${T} P=${P}: ${e}`));
        }
      }
    }
  }
  assert.deepEqual(errors, []);
});

test("leakyForward (bit-equal) and leakyBackward (with and without dAlpha)", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  for (const [N, T, P] of SHAPES) {
    const inp = lifInputs(N, T, P, N + 3 * T);
    const at = { T, N, P };
    const f = await both(b, "leakyForward", { x: inp.x, v0: inp.v0, alpha: inp.alpha, y: new Float32Array(T * N) }, at, { y: EXACT });
    errors.push(...f.errors);
    const gY = randn(rng(T), T * N);
    for (const withDAlpha of [false, true]) {
      const io = {
        gY, alpha: inp.alpha, dx: new Float32Array(T * N), dv0: new Float32Array(N),
        ...(withDAlpha ? { y: f.ref.y!, v0: inp.v0, dAlpha: new Float32Array(P).fill(9) } : {}),
      };
      const res = await both(b, "leakyBackward", io, at, { dx: SCAN, dv0: SCAN, ...(withDAlpha ? { dAlpha: { rtol: 1e-4, atolRel: 1e-4 } } : {}) });
      errors.push(...res.errors.map((e) => `N=${N} T=${T} P=${P}: ${e}`));
    }
  }
  assert.deepEqual(errors, []);
});

test("spikeFn and surrogateGrad (BPTT path)", async (t) => {
  const b = await need(t);
  if (!b) return;
  const errors: string[] = [];
  for (const n of [1, 3, 17, 1023]) {
    for (const P of [1, n]) {
      const r = rng(n * 3 + P);
      const theta = uniform(r, P, 0.5, 1.5);
      const v = randn(r, n, 1.5, 0.5);
      v[0] = theta[0]!; // exactly at threshold: one spike
      for (const maxSpikes of [0, 1, 2]) {
        errors.push(...(await both(b, "spikeFn", { v, theta, s: new Float32Array(n) }, { n, P, maxSpikes }, { s: EXACT })).errors);
      }
      for (const surrogate of SURROGATES) {
        const res = await both(b, "surrogateGrad", { v, theta, g: randn(r, n), dv: new Float32Array(n) }, { n, P, surrogate }, { dv: { rtol: 1e-5, atolRel: 1e-6 } });
        errors.push(...res.errors.map((e) => `${surrogate.type}: ${e}`));
      }
    }
  }
  assert.deepEqual(errors, []);
});
