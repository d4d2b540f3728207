/**
 * A neuron defined here and nowhere else — an adaptive-threshold LIF (ALIF) written as a description plus a
 * step on the StatefulLayer base (docs/neurons.md §3) — runs on the generic `bptt` unroller with no engine
 * edits. Its gradients are checked against central finite differences in float64 of an independent plain-JS
 * forward (each spike replaced by its linearisation at the base point, as in fd.test.ts), it trains, and the
 * fused engines refuse it with a ConfigError naming the engine that exists.
 *
 *   v_t = α·vpost_{t−1} + x_t,   s_t = H(v_t − β·a_{t−1} − θ)   (the threshold rises to θ + β·a)
 *   vpost_t = v_t − θ·s_t,       a_t = ρ·a_{t−1} + s_t
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/errors.js";
import { setBackendSync } from "../../src/kernels/registry.js";
import { Linear } from "../../src/layers/linear.js";
import { Sequential } from "../../src/layers/sequential.js";
import type { PerNeuron } from "../../src/neurons/dynamics.js";
import type { Neuron, NeuronState, StepResult } from "../../src/neurons/neuron.js";
import { StatefulLayer, type StatefulOptions } from "../../src/neurons/stateful.js";
import { SingleExponential, type Surrogate } from "../../src/neurons/surrogates.js";
import { backward } from "../../src/tensor/grad.js";
import { tidy } from "../../src/tensor/memory.js";
import { add, mean, mul, square, spikeFn, sub, sum, tensor } from "../../src/tensor/ops/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { Adam } from "../../src/train/optim.js";
import { randArray, relDiff, Rng, testSeed } from "../helpers.js";

// ---- the new neuron: description + step + a small class (this is all a new BPTT-only neuron needs) ----

interface AlifDescription {
  surrogate: Surrogate;
}

interface AlifParams {
  alpha: Tensor;
  rho: Tensor;
  beta: Tensor;
  theta: Tensor;
}

function alifStep(d: AlifDescription, state: NeuronState, x: Tensor, p: AlifParams): StepResult {
  const v = add(mul(state.vMem!, p.alpha), x);
  const s = spikeFn(sub(v, mul(state.adapt!, p.beta)), p.theta, 1, d.surrogate.spec);
  const vMem = sub(v, mul(s, p.theta));
  const adapt = add(mul(state.adapt!, p.rho), s);
  return { out: s, state: { vMem, adapt }, record: { v } };
}

interface AlifOptions extends StatefulOptions {
  tauMem: PerNeuron;
  tauAdapt: PerNeuron;
  beta: PerNeuron;
  spikeThreshold?: PerNeuron;
  surrogate?: Surrogate;
}

class ALIF extends StatefulLayer<AlifDescription, AlifParams> {
  private readonly neuron_: Neuron<AlifDescription, AlifParams>;

  constructor(o: AlifOptions) {
    super(o, { kind: "alif", state: ["vMem", "adapt"], defaultName: "ALIF", perNeuron: [o.tauMem, o.tauAdapt, o.beta, o.spikeThreshold] });
    this.registerDecay("Mem", o.tauMem, { trainAlphas: true });
    this.registerDecay("Adapt", o.tauAdapt, { trainable: false });
    this.registerParameter("beta", this.perNeuronTensor(o.beta));
    this.registerBuffer("spikeThreshold", this.perNeuronTensor(o.spikeThreshold ?? 1));
    const description = { surrogate: o.surrogate ?? new SingleExponential() };
    this.neuron_ = { kind: "alif", emitsSpikes: true, layer: this.layerName, description, stateNames: ["vMem", "adapt"], step: (s, x, p) => alifStep(description, s, x, p) };
  }

  protected neuron(): Neuron<AlifDescription, AlifParams> {
    return this.neuron_;
  }

  protected stepParams(): AlifParams {
    return { alpha: this.decay("Mem")!, rho: this.decay("Adapt")!, beta: this.parameter("beta")!, theta: this.buffer("spikeThreshold")! };
  }
}

// ---- the independent reference: plain JS, float64 ----

const GRAD_WIDTH = 0.8;
const THETA = [1, 0.8, 1.2];
const TAU_ADAPT = [4, 10, 25];

/** SingleExponential(gradWidth, 1) written out: σ(e, θ) = exp(−|e − θ|/w)/w, w = θ·gradWidth. */
function sigma(e: number, th: number): number {
  const w = th * GRAD_WIDTH;
  return Math.exp(-Math.abs(e - th) / w) / w;
}

interface Inputs {
  x: number[]; // [T, B, P] time-major, both chunks back to back
  v0: number[]; // [B·P]
  a0: number[];
  alpha: number[]; // [P]
  beta: number[];
}

interface Base { e: number[]; s: number[] }

/** Loss Σ w·s + Σ u·vpost_T + Σ q·a_T; with `base`, each spike is s̄ + σ̄·(e − ē) (its linearisation). */
function reference(inp: Inputs, w: number[], u: number[], q: number[], T: number, N: number, P: number, base: Base | null): { L: number; e: number[]; s: number[] } {
  let L = 0;
  const es: number[] = new Array<number>(T * N);
  const ss: number[] = new Array<number>(T * N);
  for (let n = 0; n < N; n++) {
    const p = n % P;
    const rho = Math.exp(-1 / TAU_ADAPT[p]!);
    let post = inp.v0[n]!;
    let a = inp.a0[n]!;
    for (let t = 0; t < T; t++) {
      const k = t * N + n;
      const v = inp.alpha[p]! * post + inp.x[k]!;
      const e = v - a * inp.beta[p]!;
      const s = base ? base.s[k]! + sigma(base.e[k]!, THETA[p]!) * (e - base.e[k]!) : e >= THETA[p]! ? 1 : 0;
      post = v - s * THETA[p]!;
      a = a * rho + s;
      L += w[k]! * s;
      es[k] = e;
      ss[k] = s;
    }
    L += u[n]! * post + q[n]! * a;
  }
  return { L, e: es, s: ss };
}

function fdGrad(inp: Inputs, key: keyof Inputs, f: (i: Inputs) => number, h = 1e-6): number[] {
  return inp[key].map((_, j) => {
    const plus = { ...inp, [key]: inp[key].map((v, i) => (i === j ? v + h : v)) };
    const minus = { ...inp, [key]: inp[key].map((v, i) => (i === j ? v - h : v)) };
    return (f(plus) - f(minus)) / (2 * h);
  });
}

test("a neuron defined in a test file (ALIF) trains on bptt: gradients = float64 finite differences", () => {
  setBackendSync("ref");
  const rng = new Rng(testSeed("custom-neuron"));
  const Tc = 12, B = 2, P = 3, N = B * P, T = 2 * Tc;
  const inp: Inputs = {
    x: randArray(rng, T * N, -0.4, 1.4),
    v0: randArray(rng, N, -0.2, 0.6),
    a0: randArray(rng, N, 0, 0.5),
    alpha: [0.7, 0.85, 0.95],
    beta: [0.3, 0.6, 0.2],
  };
  const w = randArray(rng, T * N, -1, 1);
  const u = randArray(rng, N, -1, 1);
  const q = randArray(rng, N, -1, 1);

  const got = tidy(() => {
    const layer = new ALIF({ tauMem: inp.alpha.map((a) => -1 / Math.log(a)), tauAdapt: TAU_ADAPT, beta: inp.beta, spikeThreshold: THETA, surrogate: new SingleExponential({ gradWidth: GRAD_WIDTH }), gradient: "bptt", dtype: "float64" });
    const opts = { dtype: "float64" as const, requiresGrad: true };
    const v0 = tensor(inp.v0, [N], opts);
    const a0 = tensor(inp.a0, [N], opts);
    layer.setState({ vMem: v0, adapt: a0 });
    // two chunks: the state (vMem, adapt) carries the graph from the first call into the second
    const xs = [0, 1].map((c) => tensor(inp.x.slice(c * Tc * N, (c + 1) * Tc * N), [Tc, B, P], opts));
    let loss: Tensor | null = null;
    const spikes: number[] = [];
    xs.forEach((x, c) => {
      const y = layer.forward(x);
      spikes.push(...y.dataSync());
      const term = sum(mul(y, tensor(w.slice(c * Tc * N, (c + 1) * Tc * N), [Tc, B, P], { dtype: "float64" })));
      loss = loss ? add(loss, term) : term;
    });
    const st = layer.getState();
    loss = add(add(loss!, sum(mul(st.vMem!, tensor(u, [N], { dtype: "float64" })))), sum(mul(st.adapt!, tensor(q, [N], { dtype: "float64" }))));
    backward(loss);
    const alphaP = layer.parameter("alphaMem")!;
    return {
      spikes,
      dx: xs.flatMap((x) => Array.from(x.grad!.dataSync())),
      dv0: Array.from(v0.grad!.dataSync()),
      da0: Array.from(a0.grad!.dataSync()),
      dalpha: Array.from(alphaP.grad!.dataSync()),
      dbeta: Array.from(layer.parameter("beta")!.grad!.dataSync()),
      tauAdaptGrad: layer.parameter("tauAdapt")!.grad,
    };
  });

  const base = reference(inp, w, u, q, T, N, P, null);
  assert.deepEqual(got.spikes, base.s, "the library's forward must match the reference forward");
  const spikeCount = base.s.reduce((a, b) => a + b, 0);
  assert.ok(spikeCount >= 6, `the case must spike (got ${spikeCount} spikes)`);
  const f = (i: Inputs) => reference(i, w, u, q, T, N, P, base).L;
  for (const [key, g] of [["x", got.dx], ["v0", got.dv0], ["a0", got.da0], ["alpha", got.dalpha], ["beta", got.dbeta]] as const) {
    const fd = fdGrad(inp, key, f);
    assert.ok(fd.some((v) => Math.abs(v) > 1e-3), `${key}: the reference gradient must not vanish`);
    const r = relDiff(g, fd);
    assert.ok(r <= 1e-6, `${key}: bptt vs finite differences relative difference ${r.toExponential(3)}\n got ${g.slice(0, 6)}\nwant ${fd.slice(0, 6)}`);
  }
  assert.equal(got.tauAdaptGrad, null, "a decay registered with trainable: false gets no gradient");
});

test("the new neuron learns: Linear → ALIF fits target spike counts with Adam (bptt)", () => {
  setBackendSync("ref");
  const rng = new Rng(11);
  const T = 20, B = 4, F = 5, P = 3;
  const lin = new Linear(F, P, { rng, dtype: "float64" });
  const alif = new ALIF({ tauMem: 8, tauAdapt: 10, beta: 0.4, gradient: "bptt", dtype: "float64", shape: [P] });
  const model = new Sequential(lin, alif);
  const x = randArray(rng, T * B * F, 0, 1);
  const target = [2, 5, 8]; // spikes per sequence for each output neuron
  const opt = new Adam(model.parameters(), { lr: 0.05 });
  const losses: number[] = [];
  for (let it = 0; it < 60; it++) {
    model.resetStates();
    model.zeroGrad();
    tidy(() => {
      const y = model.forward(tensor(x, [T, B, F], { dtype: "float64" }));
      // a neuron that says it emits spikes gets the spike fact on its output (the next Linear's sparse path)
      assert.equal(y.spikes, true);
      const counts = sum(y, 0); // [B, P]
      const loss = mean(square(sub(counts, tensor(target, [P], { dtype: "float64" }))));
      losses.push(loss.dataSync()[0]!);
      backward(loss);
    });
    opt.step();
  }
  const first = losses[0]!;
  const last = Math.min(...losses.slice(-5));
  assert.ok(last < 0.2 * first, `loss must fall to under 20 % (from ${first.toFixed(3)} to ${last.toFixed(3)})`);
  assert.ok(alif.parameter("beta")!.grad !== null, "the adaptation strength is trained");
});

test("the fused engines refuse a neuron without a fused implementation, naming the engine that exists", () => {
  for (const gradient of ["exodus", "slayer"] as const) {
    assert.throws(
      () => new ALIF({ tauMem: 8, tauAdapt: 10, beta: 0.4, gradient, name: "hidden.alif" }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${(e as Error)?.constructor?.name}`);
        const m = (e as Error).message;
        for (const w of ["hidden.alif", "'alif'", "no fused implementation", `"${gradient}"`, "engines that exist for it: bptt", 'use gradient: "bptt"']) {
          assert.ok(m.includes(w), `message '${m}' should mention ${w}`);
        }
        return true;
      },
    );
  }
  // the default engine is "exodus": a new neuron must ask for bptt explicitly
  assert.throws(() => new ALIF({ tauMem: 8, tauAdapt: 10, beta: 0.4 }), ConfigError);
});
