/**
 * Golden values from the spec (exodus-spec.md), computed there independently of this code: the worked
 * example §3.5 A (notebook values), the surrogate test vectors §1.4, the IAF stability property §3.3.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCase } from "../../src/experiments/gradcheck.js";
import { PeriodicExponential, SingleExponential } from "../../src/neurons/surrogates.js";
import { assertClose } from "../helpers.js";

const X = [0.1431, 0.1943, 0.3937, 0.7224, 0.3122];

test("§3.5 A: IAF θ=0.9, m=0.8, Heaviside(0.9), L = s_4", () => {
  const r = runCase({
    dtype: "float64", alpha: 1, threshold: 0.9, membraneSubtract: 0.8, surrogate: { type: "Heaviside", window: 0.9 },
    x: [X], gradSpikes: [[0, 0, 0, 0, 1]],
  });
  assert.deepEqual(r.exodus.spikes, [[0, 0, 0, 1, 1]]);
  assertClose(r.exodus.v[0]!, [0.1431, 0.3374, 0.7311, 1.4535, 0.9657], 1e-12, "v");
  const want = [1.6935088e-4, 1.5241579e-3, 1.3717421e-2, 1.2345679e-1, 1.1111111];
  assertClose(r.exodus.dx[0]!, want, 1e-7, "EXODUS dL/dx");
  assertClose(r.bptt.dx[0]!, want, 1e-7, "BPTT dL/dx");
  // closed form (1/θ)(1 − m/θ)^{4−i}
  assertClose(r.exodus.dx[0]!, [4, 3, 2, 1, 0].map((k) => (1 / 0.9) * (1 - 0.8 / 0.9) ** k), 1e-12, "closed form");
  assertClose(r.slayer.dx[0]!, [1, 1, 1, 1, 1].map(() => 1.1111111), 1e-7, "SLAYER dL/dx");
});

test("§3.5 A with m = θ = 0.9: factor 1 − mσ = 0", () => {
  const r = runCase({
    dtype: "float64", alpha: 1, threshold: 0.9, surrogate: { type: "Heaviside", window: 0.9 }, x: [X], gradSpikes: [[0, 0, 0, 0, 1]],
  });
  assert.deepEqual(r.exodus.spikes, [[0, 0, 0, 1, 0]]);
  assertClose(r.exodus.dx[0]!, [0, 0, 0, 0, 1.1111111], 1e-7, "dL/dx");
});

test("§3.3 stability: IAF m=θ=1, σ ≡ 1, T=10: EXODUS dL/dx_0 = 1, SLAYER = 10", () => {
  // Heaviside(window 100) with θ = 1 gives σ ≡ 1 on this trajectory.
  const r = runCase({
    dtype: "float64", alpha: 1, threshold: 1, surrogate: { type: "Heaviside", window: 100 },
    x: [[0.3, 0.9, 0.2, 1.7, 0.1, 0.5, 0.8, 0.05, 1.1, 0.4]], gradSpikes: [Array(10).fill(1)],
  });
  assertClose([r.exodus.dx[0]![0]!], [1], 1e-12, "EXODUS");
  assertClose([r.slayer.dx[0]![0]!], [10], 1e-12, "SLAYER");
});

test("§1.4 surrogate test vectors (θ = 1)", () => {
  const se = new SingleExponential();
  assertClose([0, 0.5, 1, 1.25, 1.5, 2].map((v) => se.value(v, 1)), [0.2706706, 0.7357589, 2, 1.2130613, 0.7357589, 0.2706706], 1e-6, "SingleExponential");
  const pe = new PeriodicExponential();
  assertClose([0, 0.5, 1, 1.25, 1.5, 1.75, 2, 2.5].map((v) => pe.value(v, 1)), [0.1353353, 0.3678794, 1, 0.3678794, 0.1353353, 0.3678794, 1, 0.1353353], 1e-6, "PeriodicExponential");
});

test("zero reset by hand (docs/gradients.md (5.2), (6.1)): IAF θ = 1, Heaviside(1), x = [1.2, 0.5], L = s_1", () => {
  // σ ≡ 1 on v ≥ 0. Step 0: v = 1.2, s = 1, vpost = 0. Step 1: v = 0.5, s = 0.
  // dx_1 = σ_1 = 1;  dx_0 = α(1 − s_0 − v_0·σ_0)·dx_1 = 1 − 1 − 1.2 = −1.2;  dv0 = α·dx_0 = −1.2.
  // dθ = −σ_1·g_1 − σ_0·(g_0 − α·v_0·dx_1) = −1 − (0 − 1.2) = 0.2.  dα = dx_0·v0 + dx_1·vpost_0 = 0.
  // SLAYER (reset detached): dx_0 = α(1 − s_0)·dx_1 = 0, dθ = −σ_1·g_1 = −1.
  const r = runCase({
    dtype: "float64", alpha: 1, threshold: 1, maxSpikes: 1, reset: "zero", surrogate: { type: "Heaviside", window: 1 },
    x: [[1.2, 0.5]], gradSpikes: [[0, 1]],
  });
  for (const eng of ["exodus", "bptt"] as const) {
    assert.deepEqual(r[eng].spikes, [[1, 0]]);
    assertClose(r[eng].dx[0]!, [-1.2, 1], 1e-12, `${eng} dx`);
    assertClose(r[eng].dv0, [-1.2], 1e-12, `${eng} dv0`);
    assertClose(r[eng].dthreshold, [0.2], 1e-12, `${eng} dθ`);
    assertClose(r[eng].dalpha, [0], 1e-12, `${eng} dα`);
  }
  assertClose(r.slayer.dx[0]!, [0, 1], 1e-12, "SLAYER dx");
  assertClose(r.slayer.dthreshold, [-1], 1e-12, "SLAYER dθ");
});

test("m = θ by hand (docs/gradients.md (6.1)): IAF θ = 1, Heaviside(1), x = [1.2, 0.5], L = s_1, subtractive reset", () => {
  // Step 0: v = 1.2, s = 1, vpost = 0.2. Step 1: v = 0.7, s = 0. dx_1 = 1; dx_0 = α(1 − θσ_0)·dx_1 = 0.
  // dθ = −σ_1·g_1 − σ_0·(g_0 − α·m·dx_1) − α·s_0·dx_1 = −1 + 1 − 1 = −1 (raising θ removes more at the reset).
  // With m = 0.7 given (not tied): dθ = −1 + 0.7 = −0.3, dx_0 = 1 − 0.7 = 0.3.
  const tied = runCase({ dtype: "float64", alpha: 1, threshold: 1, surrogate: { type: "Heaviside", window: 1 }, x: [[1.2, 0.5]], gradSpikes: [[0, 1]] });
  const sep = runCase({ dtype: "float64", alpha: 1, threshold: 1, membraneSubtract: 0.7, surrogate: { type: "Heaviside", window: 1 }, x: [[1.2, 0.5]], gradSpikes: [[0, 1]] });
  for (const eng of ["exodus", "bptt"] as const) {
    assertClose(tied[eng].dx[0]!, [0, 1], 1e-12, `${eng} tied dx`);
    assertClose(tied[eng].dthreshold, [-1], 1e-12, `${eng} tied dθ`);
    assertClose(sep[eng].dx[0]!, [0.3, 1], 1e-12, `${eng} m ≠ θ dx`);
    assertClose(sep[eng].dthreshold, [-0.3], 1e-12, `${eng} m ≠ θ dθ`);
  }
});
