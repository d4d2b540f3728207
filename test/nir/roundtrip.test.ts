/**
 * Export → import round trips: the re-imported network gives bit-identical outputs on the same input, for
 * every layer type we map and both discretisations. Target presets are checked against a hand-written
 * simulator of what that reader computes (its dt, its scheme, its assumption about r), not against our
 * importer.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ConfigError } from "../../src/errors.js";
import { closeH5Reader } from "../../src/data/readers/hdf5.js";
import { setBackendSync } from "../../src/kernels/registry.js";
import { Conv2d } from "../../src/layers/conv2d.js";
import { Dropout } from "../../src/layers/dropout.js";
import { Flatten } from "../../src/layers/flatten.js";
import { Linear } from "../../src/layers/linear.js";
import { AvgPool2d, SumPool2d } from "../../src/layers/pool.js";
import { Sequential } from "../../src/layers/sequential.js";
import { ExpLeak } from "../../src/neurons/exp-leak.js";
import { IAF } from "../../src/neurons/iaf.js";
import { LIF } from "../../src/neurons/lif.js";
import { MembraneReset, MembraneSubtract } from "../../src/neurons/reset.js";
import { MultiSpike, SingleSpike } from "../../src/neurons/spikes.js";
import { toNIR, toNirGraph } from "../../src/nir/export.js";
import type { H5Value } from "../../src/nir/h5tree.js";
import { fromNIR, nirToModel, readNIR } from "../../src/nir/import.js";
import { tidy } from "../../src/tensor/memory.js";
import { tensor } from "../../src/tensor/ops/index.js";
import { Rng } from "../../src/util/rng.js";

after(() => closeH5Reader());

function nums(v: H5Value | undefined): number[] {
  assert.ok(v && v.kind === "num", "a numeric dataset");
  return Array.from(v.data);
}

function input(rng: Rng, shape: number[], density: number): number[] {
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.random() < density ? 1 : 0));
}

function mlp(rng: Rng, dtype: "float32" | "float64") {
  return new Sequential(
    new Linear(6, 8, { rng, dtype }),
    new LIF({ tauMem: 4, normInput: false, spikeThreshold: 0.3, spikeFn: MultiSpike, dtype }),
    new Linear(8, 5, { rng, dtype, bias: false }),
    new LIF({ tauMem: [2, 3, 5, 8, 13], tauSyn: 3, normInput: true, spikeThreshold: 0.05, spikeFn: SingleSpike, dtype }),
    new Linear(5, 4, { rng, dtype }),
    new LIF({ tauMem: 6, normInput: false, spikeThreshold: 0.2, reset: new MembraneReset(0), spikeFn: SingleSpike, gradient: "bptt", dtype }),
    new Linear(4, 3, { rng, dtype }),
    new ExpLeak({ tauMem: 5, normInput: true, decayEarly: true, dtype }),
  );
}

function cnn(rng: Rng, dtype: "float32" | "float64") {
  return new Sequential(
    new Conv2d(2, 4, 3, { stride: 1, padding: 1, rng, dtype }),
    new IAF({ spikeThreshold: 0.5, minVMem: -0.5, dtype }),
    new SumPool2d(2),
    new Conv2d(4, 3, [3, 2], { padding: [1, 0], bias: false, rng, dtype }),
    new LIF({ tauMem: 3, spikeThreshold: 0.2, dtype }),
    new AvgPool2d(2, [1, 1]),
    new Flatten(),
    new Dropout(0.5),
    new Linear(3 * 2 * 1, 5, { rng, dtype }),
    new LIF({ tauMem: 10, normInput: false, spikeThreshold: 0.4, dtype }),
  );
}

async function roundTrip(make: (r: Rng, d: "float32" | "float64") => Sequential, inShape: number[], opts: { dt: number; discretization: "exact" | "euler" }, dtype: "float32" | "float64") {
  const m = make(new Rng(11), dtype);
  m.eval();
  const T = 24;
  const x = tensor(input(new Rng(5), [T, 2, ...inShape], 0.3), [T, 2, ...inShape], { dtype });
  const a = tidy(() => Array.from(m.forward(x).dataSync()));
  const bytes = await toNIR(m, { inputShape: inShape, ...opts });
  const m2 = await fromNIR(bytes, { dtype });
  m2.eval();
  const b = tidy(() => Array.from(m2.forward(x).dataSync()));
  return { a, b, m, m2 };
}

for (const dtype of ["float32", "float64"] as const) {
  for (const [disc, dt] of [["exact", 1e-3], ["euler", 1e-4], ["exact", 1]] as const) {
    test(`round trip ${dtype}, ${disc}, dt ${dt}: Linear/LIF(+synapse, per-neuron τ, reset-to-0)/ExpLeak give identical outputs`, async () => {
      setBackendSync("ref");
      const { a, b, m2 } = await roundTrip(mlp, [6], { dt, discretization: disc }, dtype);
      assert.ok(a.some((v) => v !== 0));
      assert.deepEqual(b, a);
      assert.ok((m2.at(5) as LIF).reset instanceof MembraneReset, "reset-to-value restored from our metadata");
      // reset to 0 has exact fused gradients (docs/gradients.md §5), so the import keeps EXODUS
      assert.equal((m2.at(5) as LIF).gradient, "exodus");
    });
    test(`round trip ${dtype}, ${disc}, dt ${dt}: Conv2d/IAF(minVMem)/SumPool2d/AvgPool2d/Flatten/Dropout give identical spikes`, async () => {
      setBackendSync("ref");
      const { a, b, m } = await roundTrip(cnn, [2, 6, 6], { dt, discretization: disc }, dtype);
      tidy(() => {
        m.resetStates();
        m.forward(tensor(input(new Rng(5), [24, 2, 2, 6, 6], 0.3), [24, 2, 2, 6, 6], { dtype }));
        assert.ok(Array.from((m.at(1) as IAF).lastSpikes!.dataSync()).some((v) => v > 0), "the first IAF fires");
      });
      assert.deepEqual(b, a);
    });
  }
}

test("the written file follows nir's layout: per-neuron arrays in the neuron shape, no v_reset when it is 0, int64 shapes", () => {
  const m = cnn(new Rng(1), "float32");
  const g = toNirGraph(m, { inputShape: [2, 6, 6], dt: 1e-3 });
  assert.deepEqual([...g.nodes.keys()], ["input", "0", "1", "2", "3", "4", "5", "6", "8", "9", "output"]);
  assert.deepEqual(g.edges[0], ["input", "0"]);
  const iff = g.nodes.get("1")!;
  assert.equal(iff.type, "IF");
  assert.deepEqual(iff.params.get("v_threshold")!.shape, [4, 6, 6]);
  assert.ok(!iff.params.has("v_reset"));
  const lif = g.nodes.get("4")!;
  const tau = lif.params.get("tau")!;
  // exact: τ = τ_steps·dt
  assert.ok(Math.abs(Number(tau.data[0]) - 3e-3) < 1e-9);
  // normInput (default true) ⇔ r = 1
  assert.equal(Number(lif.params.get("r")!.data[0]), 1);
  const fl = g.nodes.get("6")!;
  assert.deepEqual(nums(fl.params.get("input_type")), [3, 2, 1]);
  assert.equal(g.nodes.get("output")!.params.get("shape")!.data[0], 5);
});

/** Simulates the file the way a reader that ignores r does: v ← α·v + gain·(W·x + b), subtract reset, v ≥ θ. */
function readerSim(W: number[][], b: number[], alpha: number, gain: number, theta: number, xs: number[][]): number[][] {
  let v = new Array<number>(W.length).fill(0);
  return xs.map((x) => {
    const s = v.map(() => 0);
    v = v.map((vi, k) => {
      const u = W[k]!.reduce((acc, w, j) => acc + w * x[j]!, b[k]!);
      const nv = alpha * vi + gain * u;
      s[k] = nv >= theta ? 1 : 0;
      return nv - s[k]! * theta;
    });
    return s;
  });
}

for (const [target, alphaOf, gainOf] of [
  ["sinabs", (tau: number) => Math.exp(-1 / tau), () => 1], // dt 1, exact, v ← αv + x
  ["norse", (tau: number) => 1 - 1e-3 / tau, (tau: number) => 1e-3 / tau], // dt 1e-3, Euler, r taken as 1
  ["spyx", (tau: number) => 1 - 1 / tau, () => 1], // dt 1, Euler, β = 1 − dt/τ, v ← βv + x
] as const) {
  test(`target ${target}: the file, read the way ${target} reads it, computes our spikes`, async () => {
    setBackendSync("ref");
    const rng = new Rng(3);
    const m = new Sequential(new Linear(4, 3, { rng, dtype: "float64" }), new LIF({ tauMem: 5, normInput: true, spikeThreshold: 0.05, spikeFn: SingleSpike, dtype: "float64" }));
    const T = 40;
    const xs = Array.from({ length: T }, () => input(rng, [4], 0.5));
    const ours = tidy(() => Array.from(m.forward(tensor(xs.flat(), [T, 1, 4], { dtype: "float64" })).dataSync()));
    const g = await readNIR(await toNIR(m, { inputShape: [4], target }));
    const aff = g.nodes.get("0")!, lif = g.nodes.get("1")!;
    const w = nums(aff.params.get("weight"));
    const W = [0, 1, 2].map((k) => w.slice(4 * k, 4 * k + 4));
    const b = nums(aff.params.get("bias"));
    const tau = Number(lif.params.get("tau")!.data[0]);
    const theirs = readerSim(W, b, alphaOf(tau), gainOf(tau), Number(lif.params.get("v_threshold")!.data[0]), xs);
    assert.ok(ours.some((s) => s > 0));
    assert.deepEqual(theirs.flat(), ours);
  });
}

test("export refuses what NIR cannot express, naming the layer and the fix", () => {
  const m = new Sequential(new Linear(3, 2), new LIF({ tauMem: 5, reset: new MembraneSubtract(0.5), spikeThreshold: 1 }));
  assert.throws(() => toNirGraph(m, { inputShape: [3] }), (e: unknown) => e instanceof ConfigError && /layer 1/.test(e.message) && /MembraneSubtract\(\)/.test(e.message));
  const c = new Sequential(new Conv2d(1, 2, 3), new LIF({ tauMem: 5 }));
  assert.throws(() => toNirGraph(c, { inputShape: [1, 5, 5, 1] }), /expects \[1, H, W\]/);
  assert.throws(() => toNirGraph(new Sequential(new IAF()), { inputShape: [3], target: "rockpool" }), /CubaLIF/);
  assert.throws(() => toNirGraph(new Sequential(new Linear(3, 2), new LIF({ tauMem: 5, tauSyn: 2 })), { inputShape: [3], target: "sinabs" }), /layer 1 .*tauSyn/);
});

test("import folds an r that matches neither normInput setting into the incoming weights", async () => {
  setBackendSync("ref");
  const m = new Sequential(new Linear(2, 2, { rng: new Rng(2), dtype: "float64" }), new LIF({ tauMem: 4, normInput: true, dtype: "float64" }));
  const g = toNirGraph(m, { inputShape: [2], dt: 1 });
  const lif = g.nodes.get("1")!;
  lif.metadata = null;
  lif.params.set("r", { kind: "num", dtype: "f64", shape: [2], data: [3, 3] });
  const imp = nirToModel(g, { dtype: "float64" });
  assert.ok(imp.notes.some((n) => /folded an input gain/.test(n)));
  const w0 = nums(g.nodes.get("0")!.params.get("weight"));
  const a = 1 - Math.exp(-1 / 4);
  const wi = Array.from(imp.tensors.get("0.weight")!.data);
  // NIR gain (1 − α)·r with normInput off: the weights carry it
  wi.forEach((v, k) => assert.ok(Math.abs(v - w0[k]! * a * 3) < 1e-12));
});
