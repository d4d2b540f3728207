/**
 * Issue 5 (paper reproduction): the --quick experiments run and the paper's qualitative claims hold on
 * fixed seeds — EXODUS == BPTT gradients, SLAYER's per-layer gradient norms scale with the surrogate
 * scale while EXODUS's do not (in the regime the theory predicts, see docs/paper-reproduction.md), EXODUS
 * learns the temporal order-burst task beyond the time-blind count baseline, and `bench --quick` works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { runStability, type StabilityResult } from "../../src/experiments/stability.js";
import { runAccuracy } from "../../src/experiments/accuracy.js";
import { countFeatures } from "../../src/experiments/baseline.js";
import { OrderBurstTask } from "../../src/train/tasks/order-burst.js";

let stab: StabilityResult | null = null;
function stability(): StabilityResult {
  stab ??= runStability({ quick: true, seed: 1 });
  return stab;
}

test("stability --quick: EXODUS weight gradients equal BPTT's on a 6-layer LIF stack (f64 ≤ 1e-9, f32 ≤ 1e-4)", () => {
  const r = stability();
  const f64 = r.exodusVsBptt.find((c) => c.dtype === "float64")!;
  const f32 = r.exodusVsBptt.find((c) => c.dtype === "float32")!;
  assert.ok(f64.maxRel <= 1e-9, `float64 rel diff ${f64.maxRel}`);
  assert.ok(f32.maxRel <= 1e-4, `float32 rel diff ${f32.maxRel}`);
});

test("stability --quick: forward is identical across engines and scales, every layer spikes", () => {
  const r = stability();
  const ref = r.runs[0]!.rates;
  for (const run of r.runs) assert.deepEqual(run.rates, ref, "surrogate/engine must not change the forward pass");
  for (const rate of ref) assert.ok(rate > 0.01 && rate < 0.5, `layer rate ${rate} (dead or saturated layers make the test vacuous)`);
});

test("stability --quick: SLAYER's per-layer gradient norm changes ≥ 10× across scale {0.01, 0.1, 1} in every layer", () => {
  const s = stability().spread.find((x) => x.engine === "slayer")!;
  for (const [l, v] of s.perLayer.entries()) assert.ok(v >= 10, `SLAYER layer ${l + 1} spread ${v}`);
  // and it is a pure power law: the input-side layer sees scale^depth
  assert.ok(s.perLayer[0]! > 1e10, `SLAYER layer 1 spread ${s.perLayer[0]}`);
});

test("stability --quick: EXODUS's per-layer gradient norm changes ≤ 2× across scale {0.1, 1} in every layer (SLAYER: ≥ 10×)", () => {
  const r = stability();
  const ex = r.spreadHigh.find((x) => x.engine === "exodus")!;
  const sl = r.spreadHigh.find((x) => x.engine === "slayer")!;
  for (const [l, v] of ex.perLayer.entries()) assert.ok(v <= 2, `EXODUS layer ${l + 1} spread over {0.1, 1} = ${v}`);
  for (const [l, v] of sl.perLayer.entries()) assert.ok(v >= 9.99, `SLAYER layer ${l + 1} spread over {0.1, 1} = ${v}`);
});

test("stability --quick: over the full sweep {0.01, 0.1, 1} EXODUS stays ≤ 2× per layer once m·σ·T ≫ 1 (T = 3000, IAF-like); SLAYER ≥ 10×", () => {
  // spec §3.3: Σ_j ∂s_j/∂x_i = (1 − (1 − θc)^(T−i))/θ → 1/θ needs θc·(T − i) ≫ 1. At T = 150 and gradScale
  // 0.01 that fails (EXODUS tends to SLAYER, see the next test); at T = 3000 it holds for all three scales.
  const ls = stability().lengthSweep.find((x) => x.T === 3000)!;
  const ex = ls.spread.find((x) => x.engine === "exodus")!;
  const sl = ls.spread.find((x) => x.engine === "slayer")!;
  for (const [l, v] of ex.perLayer.entries()) assert.ok(v <= 2, `EXODUS layer ${l + 1} spread over {0.01, 0.1, 1} at T=3000 = ${v}`);
  for (const [l, v] of sl.perLayer.entries()) assert.ok(v >= 10, `SLAYER layer ${l + 1} spread = ${v}`);
});

test("stability --quick: at T = 150 with scale 0.01 EXODUS is NOT ≤ 2× (documented limit), but still orders of magnitude below SLAYER", () => {
  const r = stability();
  const ex = r.spread.find((x) => x.engine === "exodus")!;
  const sl = r.spread.find((x) => x.engine === "slayer")!;
  assert.ok(ex.max > 2, "if this starts holding, update docs/paper-reproduction.md");
  ex.perLayer.forEach((v, l) => assert.ok(v * 100 < sl.perLayer[l]! || l === ex.perLayer.length - 1, `layer ${l + 1}: EXODUS ${v} vs SLAYER ${sl.perLayer[l]}`));
});

test("stability --quick: first-iteration gradients — SLAYER's direction ignores the scale (cos = 1), EXODUS's does not", () => {
  for (const c of stability().cosine) {
    if (c.engine === "slayer") assert.ok(c.cos > 0.9999, `SLAYER cos(${c.a}, ${c.b}) = ${c.cos}`);
    else assert.ok(c.cos < 0.99 && c.cos > 0.5, `EXODUS cos(${c.a}, ${c.b}) = ${c.cos}`);
  }
});

test("order-burst: AB and BA have identical per-channel count distributions (the task is temporal)", () => {
  const ds = countFeatures(new OrderBurstTask({ sizes: { train: 800 } }), "train");
  const c = ds.x;
  const mean = (cls: number) => {
    const m = new Float64Array(ds.F);
    let k = 0;
    for (let i = 0; i < ds.n; i++) {
      if (ds.labels[i] !== cls) continue;
      k++;
      for (let f = 0; f < ds.F; f++) m[f]! += c[i * ds.F + f]!;
    }
    return Array.from(m, (v) => v / k);
  };
  const ab = mean(0);
  const ba = mean(1);
  for (let f = 0; f < ds.F; f++) assert.ok(Math.abs(ab[f]! - ba[f]!) < 0.35, `channel ${f}: ${ab[f]} vs ${ba[f]}`);
});

test("accuracy --quick: EXODUS trains order-burst above the count baseline (mean of 2 seeds)", { timeout: 170_000 }, () => {
  const r = runAccuracy({ quick: true });
  const t = r.summary.find((s) => s.task === "order-burst")!;
  const ex = t.rows.find((x) => x.variant === "exodus")!;
  console.log(`# order-burst --quick: count baseline ${t.countBaseline}, ${t.rows.map((x) => `${x.variant} ${x.mean}`).join(", ")}`);
  assert.ok(t.countBaseline > 0.6 && t.countBaseline < 0.9, `count baseline ${t.countBaseline} (≈ 75 %: AA/BB separable by counts, AB/BA not)`);
  assert.ok(ex.mean > t.countBaseline + 0.05, `EXODUS ${ex.mean} vs count baseline ${t.countBaseline}`);
});

test("bench --quick --only linear256: runs, and the last stdout line is one JSON object keyed by case and engine", { timeout: 60_000 }, () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "bench", "--quick", "--only", "linear256", "--no-write"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const last = r.stdout.trim().split("\n").at(-1)!;
  const j = JSON.parse(last) as { cases: Record<string, Record<string, Record<string, number>>> };
  const c = j.cases["linear256+lif"]!;
  for (const e of ["exodus", "slayer", "bptt"]) {
    for (const k of ["fwd_ms", "bwd_ms", "total_ms", "bwd_speedup_vs_bptt", "peak_backend_mb", "rss_mb", "neuron_steps_per_s"]) {
      assert.ok(Number.isFinite(c[e]![k]), `${e}.${k} = ${c[e]![k]}`);
    }
  }
  // BPTT keeps a per-step graph: it must hold more memory between forward and backward than EXODUS
  assert.ok(c.bptt!.saved_for_backward_mb! > c.exodus!.saved_for_backward_mb!);
});
