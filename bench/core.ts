/**
 * `npm run bench:core`: the core engine's speed, measured side by side in one process (not a test).
 * gemm GFLOP/s (wasm vs ref), and a LIF layer (T=500, B=16, N=512) forward / backward with EXODUS vs
 * SLAYER vs BPTT (the per-step autograd path), alone and with a Linear(512→512) in front. Median of
 * repeats. The last stdout line is one JSON object with every number.
 */
import { getBackend, run, setBackendSync } from "../src/kernels/registry.js";
import { tidy } from "../src/tensor/memory.js";
import { linear, randn, reshape, sum, tensor } from "../src/tensor/ops/index.js";
import { backward } from "../src/tensor/grad.js";
import { LIF } from "../src/neurons/lif.js";
import type { GradientEngine } from "../src/neurons/dynamics.js";
import { Rng } from "../src/util/rng.js";
import { median } from "../src/util/stats.js";

const quick = process.argv.includes("--quick");
const now = () => performance.now();

function gemmGflops(backendName: "wasm" | "ref", n: number, reps: number): number {
  const be = getBackend(backendName);
  const a = be.alloc("float32", n * n);
  const b = be.alloc("float32", n * n);
  const c = be.alloc("float32", n * n);
  const rng = new Rng(1);
  const data = Float32Array.from({ length: n * n }, () => rng.uniform(-1, 1));
  be.upload(a, data);
  be.upload(b, data);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    run(be, "gemm", { a, b, c }, { m: n, n, k: n, transA: false, transB: false, accumulate: false });
    times.push(now() - t0);
  }
  be.free(a);
  be.free(b);
  be.free(c);
  return (2 * n * n * n) / (median(times) / 1000) / 1e9;
}

interface LayerTiming { fwd: number; bwd: number }

function timeLayer(engine: GradientEngine, withLinear: boolean, T: number, B: number, N: number, reps: number): LayerTiming {
  setBackendSync("wasm");
  const rng = new Rng(2);
  const lif = new LIF({ tauMem: 20, gradient: engine, normInput: false });
  const w = randn([N, N], rng, 1 / Math.sqrt(N));
  w.requiresGrad = true;
  const xData = Float32Array.from({ length: T * B * N }, () => rng.uniform(0, withLinear ? 1 : 0.25));
  const fwd: number[] = [];
  const bwd: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    tidy(() => {
      const x = tensor(xData, [T, B, N], { requiresGrad: !withLinear });
      lif.resetStates();
      const t0 = now();
      // time folded into the batch: one gemm for all steps, then the neuron scan
      const y = lif.forward(withLinear ? reshape(linear(reshape(x, [T * B, N]), w, null, { aSparse: false }), [T, B, N]) : x);
      const loss = sum(y);
      const t1 = now();
      backward(loss);
      const t2 = now();
      if (r > 0) {
        fwd.push(t1 - t0);
        bwd.push(t2 - t1);
      }
      if (w.grad) {
        w.grad.dispose();
        w.grad = null;
      }
    });
  }
  return { fwd: median(fwd), bwd: median(bwd) };
}


const T = 500, B = 16, N = 512;
const reps = quick ? 2 : 5;
const rows: Record<string, number> = {};
console.log(`exodus-snn bench:core  (node ${process.version}, ${new Date().toISOString()})`);
const gw = gemmGflops("wasm", 1024, quick ? 2 : 5);
const gr = gemmGflops("ref", 256, 2);
rows.gemm_gflops_1024 = gw;
rows.gemm_gflops_ref_256 = gr;
console.log(`gemm 1024³ wasm: ${gw.toFixed(1)} GFLOP/s   (ref TS triple loop at 256³: ${gr.toFixed(2)} GFLOP/s)`);
console.log(`\nLIF layer T=${T} B=${B} N=${N} (${(T * B * N / 1e6).toFixed(1)} M neuron-steps), median of ${reps}`);
console.log(`${"case".padEnd(22)}${"engine".padEnd(8)}${"fwd ms".padStart(10)}${"bwd ms".padStart(10)}${"total ms".padStart(10)}${"Mnsteps/s".padStart(12)}`);
const res: Record<string, Record<GradientEngine, LayerTiming>> = {};
for (const withLinear of [false, true]) {
  const name = withLinear ? "linear512+lif" : "lif";
  res[name] = {} as Record<GradientEngine, LayerTiming>;
  for (const eng of ["exodus", "slayer", "bptt"] as GradientEngine[]) {
    const t = timeLayer(eng, withLinear, T, B, N, eng === "bptt" ? Math.max(1, reps - 2) : reps);
    res[name][eng] = t;
    const tot = t.fwd + t.bwd;
    console.log(`${name.padEnd(22)}${eng.padEnd(8)}${t.fwd.toFixed(1).padStart(10)}${t.bwd.toFixed(1).padStart(10)}${tot.toFixed(1).padStart(10)}${((T * B * N) / (tot / 1000) / 1e6).toFixed(1).padStart(12)}`);
    rows[`${name}_${eng}_fwd_ms`] = t.fwd;
    rows[`${name}_${eng}_bwd_ms`] = t.bwd;
  }
}
const l = res.lif!;
rows.lif_fwd_speedup_exodus_vs_bptt = l.bptt.fwd / l.exodus.fwd;
rows.lif_bwd_speedup_exodus_vs_bptt = l.bptt.bwd / l.exodus.bwd;
rows.lif_neuron_steps_per_s = (T * B * N) / ((l.exodus.fwd + l.exodus.bwd) / 1000);
const ll = res["linear512+lif"]!;
rows.linear_lif_fwd_speedup_exodus_vs_bptt = ll.bptt.fwd / ll.exodus.fwd;
rows.linear_lif_bwd_speedup_exodus_vs_bptt = ll.bptt.bwd / ll.exodus.bwd;
rows.linear_lif_neuron_steps_per_s = (T * B * N) / ((ll.exodus.fwd + ll.exodus.bwd) / 1000);
console.log(`\nEXODUS vs BPTT, LIF alone: forward ${rows.lif_fwd_speedup_exodus_vs_bptt.toFixed(1)}×, backward ${rows.lif_bwd_speedup_exodus_vs_bptt.toFixed(1)}×`);
console.log(`EXODUS vs BPTT, Linear+LIF: forward ${rows.linear_lif_fwd_speedup_exodus_vs_bptt.toFixed(1)}×, backward ${rows.linear_lif_bwd_speedup_exodus_vs_bptt.toFixed(1)}×`);
console.log(JSON.stringify(Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, Number(v.toPrecision(4))]))));
