/** Bad hyper-parameters and inputs give typed errors that name the problem and the fix. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, NumericalError, ShapeError } from "../../src/errors.js";
import { setBackendSync } from "../../src/kernels/registry.js";
import { tidy } from "../../src/tensor/memory.js";
import { tensor } from "../../src/tensor/ops/index.js";
import { noGrad } from "../../src/tensor/autograd.js";
import { LIF } from "../../src/neurons/lif.js";
import { IAF } from "../../src/neurons/iaf.js";
import { MembraneReset } from "../../src/neurons/reset.js";
import { MaxSpike, SingleSpike } from "../../src/neurons/spikes.js";
import { parseCase } from "../../src/experiments/gradcheck.js";

setBackendSync("ref");

function throwsWith(fn: () => unknown, type: new (...a: never[]) => Error, ...words: string[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    for (const w of words) assert.ok((e as Error).message.includes(w), `message '${(e as Error).message}' should mention '${w}'`);
    return true;
  });
}

test("θ ≤ minVMem is a ConfigError naming both", () => {
  throwsWith(() => new LIF({ tauMem: 10, spikeThreshold: 1, minVMem: 1 }), ConfigError, "minVMem", "threshold");
  throwsWith(() => new IAF({ spikeThreshold: [1, 0.5], minVMem: [0, 0.6] }), ConfigError, "neuron 1");
});

test("α outside [0, 1] is a ConfigError (τ ≤ 0, trained α drifting out of range)", () => {
  throwsWith(() => new LIF({ tauMem: 0 }), ConfigError, "tauMem");
  throwsWith(() => new LIF({ tauMem: -5 }), ConfigError, "tauMem");
  const lif = new LIF({ tauMem: 10, trainAlphas: true, name: "hidden1" });
  lif.parameter("alphaMem")!.backend.upload(lif.parameter("alphaMem")!.buf, [1.2]);
  throwsWith(() => tidy(() => lif.forward(tensor([1, 2, 3], [3, 1, 1]))), ConfigError, "hidden1", "[0, 1]");
  throwsWith(() => parseCase({ dtype: "float64", alpha: -0.1, threshold: 1, surrogate: { type: "Heaviside" }, x: [[1]], gradSpikes: [[1]] }), ConfigError, "[0, 1]");
});

test("MembraneReset needs SingleSpike; a nonzero reset value is bptt-only; reset to zero runs on every engine", () => {
  throwsWith(() => new LIF({ tauMem: 10, reset: new MembraneReset(0) }), ConfigError, "SingleSpike", "MultiSpike");
  throwsWith(() => new LIF({ tauMem: 10, reset: new MembraneReset(0), spikeFn: MaxSpike(2), gradient: "bptt" }), ConfigError, "SingleSpike");
  throwsWith(() => new LIF({ tauMem: 10, reset: new MembraneReset(0.5), spikeFn: SingleSpike }), ConfigError, "MembraneReset(0)", "bptt");
  throwsWith(() => new LIF({ tauMem: 10, reset: new MembraneReset(0.5), spikeFn: SingleSpike, gradient: "slayer" }), ConfigError, "MembraneReset(0)");
  throwsWith(() => new LIF({ tauMem: 10, trainThreshold: "some" as never }), ConfigError, "trainThreshold", "shared");
  throwsWith(() => new LIF({ tauMem: 10, spikeThreshold: [1, 2], trainThreshold: "shared" }), ConfigError, "perNeuron");
  for (const gradient of ["exodus", "slayer", "bptt"] as const) {
    const lif = new LIF({ tauMem: 10, reset: new MembraneReset(0), spikeFn: SingleSpike, gradient, normInput: false });
    const s = tidy(() => noGrad(() => Array.from(lif.forward(tensor([1.5, 0.2, 0.9, 0.3], [4, 1, 1])).dataSync())));
    // v: 1.5 → spike, reset to 0; 0.2; 0.2·α + 0.9 ≥ 1 → spike; then 0.3 (a subtractive reset would give 0.5·α + 0.2 …)
    assert.deepEqual(s, [1, 0, 1, 0], gradient);
  }
  const r = new LIF({ tauMem: 10, reset: new MembraneReset(0.5), spikeFn: SingleSpike, gradient: "bptt", normInput: false });
  const s2 = tidy(() => noGrad(() => Array.from(r.forward(tensor([1.5, 0.2, 0.5, 0.3], [4, 1, 1])).dataSync())));
  // 1.5 → spike, v ← 0.5; 0.5α + 0.2 < 1; (0.5α + 0.2)α + 0.5 ≥ 1 → spike (α = e^{−0.1} ≈ 0.905)
  assert.deepEqual(s2, [1, 0, 1, 0]);
});

test("a trained threshold that reaches zero is a NumericalError naming the layer", () => {
  const lif = new LIF({ tauMem: 10, trainThreshold: true, name: "hid" });
  lif.parameter("spikeThreshold")!.backend.upload(lif.parameter("spikeThreshold")!.buf, [-0.1]);
  throwsWith(() => tidy(() => lif.forward(tensor([1, 2, 3], [3, 1, 1]))), NumericalError, "hid", "positive");
});

test("unknown gradient engine and bad spike cap", () => {
  throwsWith(() => new LIF({ tauMem: 10, gradient: "autodiff" as never }), ConfigError, "exodus", "bptt", "slayer");
  throwsWith(() => MaxSpike(0), ConfigError, "MaxSpike");
});

test("shape mismatches are ShapeErrors naming the layer", () => {
  const lif = new LIF({ tauMem: [10, 20, 30], name: "conv3.lif" });
  throwsWith(() => tidy(() => lif.forward(tensor(new Array(8).fill(0), [2, 2, 2]))), ShapeError, "conv3.lif");
  throwsWith(() => tidy(() => lif.forward(tensor([1, 2, 3], [3]))), ShapeError, "time-major");
  throwsWith(() => new LIF({ tauMem: [10, 20], spikeThreshold: [1, 1, 1] }), ConfigError, "lengths");
});

test("NaN / Inf input is a NumericalError naming the layer", () => {
  const lif = new LIF({ tauMem: 10, name: "readout" });
  throwsWith(() => tidy(() => lif.forward(tensor([0.1, NaN, 0.3, 0.2], [4, 1, 1]))), NumericalError, "readout");
  const checked = new LIF({ tauMem: 10, name: "in0", checkInputs: true, minVMem: -1 });
  throwsWith(() => tidy(() => checked.forward(tensor([0.1, -Infinity, 0.3], [3, 1, 1]))), NumericalError, "in0 input");
});

test("SLAYER's tauRho/scaleRho set its ρ and are refused for other engines", () => {
  const l = new LIF({ tauMem: 10, gradient: "slayer", tauRho: 0.3, scaleRho: 0.25 });
  assert.deepEqual(l.surrogate.spec, { type: "SingleExponential", gradWidth: 0.3, gradScale: 0.25 });
  throwsWith(() => new LIF({ tauMem: 10, scaleRho: 0.25 }), ConfigError, "slayer");
});
