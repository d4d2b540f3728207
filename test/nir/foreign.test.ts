/**
 * Files as other writers produce them, built here with h5wasm directly (not our writer): gzip-compressed
 * datasets (nir ≥ 1.0.7's default), float64 and int64 values, Conv2d padding "same" (Spyx), a nested
 * subgraph that is a plain chain (snnTorch's packaging), nonzero v_reset, unknown node types.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import h5wasm from "h5wasm/node";
import { ConfigError, FormatError } from "../../src/errors.js";
import { closeH5Reader } from "../../src/data/readers/hdf5.js";
import { setBackendSync } from "../../src/kernels/registry.js";
import { Conv2d } from "../../src/layers/conv2d.js";
import { LIF } from "../../src/neurons/lif.js";
import { MembraneReset } from "../../src/neurons/reset.js";
import { fromNIR } from "../../src/nir/import.js";
import { tidy } from "../../src/tensor/memory.js";
import { tensor } from "../../src/tensor/ops/index.js";

after(() => closeH5Reader());
const dir = mkdtempSync(join(tmpdir(), "nir-foreign-"));

type G = ReturnType<InstanceType<typeof h5wasm.File>["create_group"]>;
type Writer = (g: G) => void;

async function file(name: string, build: (root: G) => void): Promise<Uint8Array> {
  await h5wasm.ready;
  const p = join(dir, name);
  const f = new h5wasm.File(p, "w");
  f.create_dataset({ name: "version", data: "1.0.7" });
  const root = f.create_group("node");
  root.create_dataset({ name: "type", data: "NIRGraph" });
  build(root);
  f.close();
  return new Uint8Array(readFileSync(p));
}
const gz = (g: G, name: string, data: Float64Array, shape: number[]) =>
  g.create_dataset({ name, data, shape, dtype: "<d", chunks: shape, compression: "gzip" });
const i64 = (g: G, name: string, v: number[], shape: number[] = [v.length]) => g.create_dataset({ name, data: BigInt64Array.from(v.map(BigInt)), shape, dtype: "<q" });
function node(nodes: G, name: string, type: string, fill: Writer): void {
  const g = nodes.create_group(name);
  g.create_dataset({ name: "type", data: type });
  fill(g);
}
const edges = (g: G, e: [string, string][]) => g.create_dataset({ name: "edges", data: e.flat(), shape: [e.length, 2] });

test("gzip float64 weights, int64 thresholds, padding 'same', a nested chain subgraph and v_reset import and run", async () => {
  setBackendSync("ref");
  const w = Float64Array.from({ length: 2 * 1 * 3 * 3 }, (_, i) => ((i % 5) - 2) / 4);
  const bytes = await file("foreign.nir", (root) => {
    const nodes = root.create_group("nodes");
    node(nodes, "input", "Input", (g) => i64(g, "shape", [1, 4, 4]));
    node(nodes, "conv", "Conv2d", (g) => {
      gz(g, "weight", w, [2, 1, 3, 3]);
      gz(g, "bias", new Float64Array([0.5, 0]), [2]);
      g.create_dataset({ name: "padding", data: "same" });
      i64(g, "stride", [1]);
      i64(g, "dilation", [1, 1]);
      i64(g, "groups", [1], []);
    });
    // snnTorch-style packaging: a subgraph holding one neuron between its own Input and Output
    const sub = nodes.create_group("block");
    sub.create_dataset({ name: "type", data: "NIRGraph" });
    const sn = sub.create_group("nodes");
    node(sn, "input", "Input", (g) => i64(g, "shape", [2, 4, 4]));
    node(sn, "lif", "LIF", (g) => {
      gz(g, "tau", new Float64Array(32).fill(2e-3), [2, 4, 4]);
      gz(g, "r", new Float64Array(32).fill(1), [2, 4, 4]);
      gz(g, "v_leak", new Float64Array(32), [2, 4, 4]);
      i64(g, "v_threshold", new Array<number>(32).fill(1), [2, 4, 4]);
      gz(g, "v_reset", new Float64Array(32).fill(-0.25), [2, 4, 4]);
    });
    node(sn, "output", "Output", (g) => i64(g, "shape", [2, 4, 4]));
    edges(sub, [["input", "lif"], ["lif", "output"]]);
    node(nodes, "output", "Output", (g) => i64(g, "shape", [2, 4, 4]));
    edges(root, [["input", "conv"], ["conv", "block"], ["block", "output"]]);
  });
  const chk = new h5wasm.File(join(dir, "foreign.nir"), "r");
  const ds = chk.get("node/nodes/conv/weight") as InstanceType<typeof h5wasm.Dataset>;
  assert.equal(ds.filters[0]?.name, "deflate", "the fixture really is gzip-compressed");
  chk.close();
  const m = await fromNIR(bytes, { dt: 1e-3, dtype: "float64" });
  const conv = m.at(0) as Conv2d;
  assert.deepEqual(conv.padding, [1, 1]);
  assert.deepEqual(Array.from(conv.parameter("weight")!.dataSync()), Array.from(w));
  const lif = m.at(1) as LIF;
  assert.ok(lif.reset instanceof MembraneReset && lif.reset.resetValue === -0.25);
  assert.equal(lif.gradient, "bptt");
  // α = e^(−dt/τ) = e^(−0.5); hand-computed trace of the neuron fed by the bias 0.5 alone (zero input):
  // x = (1 − α)·0.5 each step (r = 1 ⇒ normInput), v_t = α·v + x, reset to −0.25 on v ≥ 1 (never here)
  const a = Math.exp(-0.5);
  const T = 5;
  tidy(() => {
    m.forward(tensor(new Array<number>(T * 16).fill(0), [T, 1, 1, 4, 4], { dtype: "float64" }));
    const v = lif.lastV!.dataSync();
    let ref = 0;
    for (let t = 0; t < T; t++) {
      ref = a * ref + (1 - a) * 0.5;
      assert.ok(Math.abs(v[t * 32]! - ref) < 1e-12, `step ${t}: ${v[t * 32]} vs ${ref}`);
    }
  });
});

test("an unknown node type is refused naming the node and the supported types", async () => {
  const bytes = await file("unknown.nir", (root) => {
    const nodes = root.create_group("nodes");
    node(nodes, "input", "Input", (g) => i64(g, "shape", [3]));
    node(nodes, "weird", "Spiral", () => {});
    node(nodes, "output", "Output", (g) => i64(g, "shape", [3]));
    edges(root, [["input", "weird"], ["weird", "output"]]);
  });
  await assert.rejects(fromNIR(bytes), (e: unknown) => e instanceof ConfigError && /'weird'/.test(e.message) && /Spiral/.test(e.message) && /Affine/.test(e.message));
});

test("a branching graph is refused naming the node that branches", async () => {
  const bytes = await file("branch.nir", (root) => {
    const nodes = root.create_group("nodes");
    node(nodes, "input", "Input", (g) => i64(g, "shape", [2]));
    for (const n of ["a", "b"]) node(nodes, n, "Linear", (g) => g.create_dataset({ name: "weight", data: new Float32Array(4), shape: [2, 2], dtype: "<f" }));
    node(nodes, "output", "Output", (g) => i64(g, "shape", [2]));
    edges(root, [["input", "a"], ["input", "b"], ["a", "output"], ["b", "output"]]);
  });
  await assert.rejects(fromNIR(bytes), (e: unknown) => e instanceof ConfigError && /branches at node 'input'/.test(e.message));
});

test("a CubaLIF (Norse-style: w_in = 1, r = 1) matches a hand-written exact simulation of its two ODEs", async () => {
  setBackendSync("ref");
  const [tauSyn, tauMem, theta, dt] = [2e-3, 5e-3, 0.05, 1e-3];
  const W = [[0.8, -0.3], [0.5, 0.9]];
  const bytes = await file("cuba.nir", (root) => {
    const nodes = root.create_group("nodes");
    node(nodes, "input", "Input", (g) => i64(g, "shape", [2]));
    node(nodes, "fc", "Linear", (g) => g.create_dataset({ name: "weight", data: Float64Array.from(W.flat()), shape: [2, 2], dtype: "<d" }));
    node(nodes, "lif", "CubaLIF", (g) => {
      for (const [k, v] of [["tau_syn", tauSyn], ["tau_mem", tauMem], ["r", 1], ["v_leak", 0], ["v_threshold", theta], ["w_in", 1]] as const) {
        g.create_dataset({ name: k, data: new Float64Array(2).fill(v), shape: [2], dtype: "<d" });
      }
    });
    node(nodes, "output", "Output", (g) => i64(g, "shape", [2]));
    edges(root, [["input", "fc"], ["fc", "lif"], ["lif", "output"]]);
  });
  const m = await fromNIR(bytes, { dt, dtype: "float64" });
  const T = 30;
  const xs = Array.from({ length: T }, (_, t) => [t % 3 === 0 ? 1 : 0, t % 4 === 1 ? 1 : 0]);
  const out = tidy(() => Array.from(m.forward(tensor(xs.flat(), [T, 1, 2], { dtype: "float64" })).dataSync()));
  // zero-order hold of τ_s·İ = −I + w_in·S and τ·v̇ = −v + r·I per step, subtract reset at v ≥ θ
  const as = Math.exp(-dt / tauSyn), am = Math.exp(-dt / tauMem);
  const I = [0, 0], v = [0, 0];
  const ref: number[] = [];
  for (const x of xs) {
    for (let k = 0; k < 2; k++) {
      I[k] = as * I[k]! + (1 - as) * (W[k]![0]! * x[0]! + W[k]![1]! * x[1]!);
      v[k] = am * v[k]! + (1 - am) * I[k]!;
      const s = v[k]! >= theta ? 1 : 0;
      ref.push(s);
      v[k] = v[k]! - s * theta;
    }
  }
  assert.ok(ref.some((s) => s > 0), "the reference neuron spikes");
  assert.deepEqual(out, ref);
});

test("a truncated file is a FormatError naming the caller's file, not a hang or a crash", async () => {
  const whole = readFileSync(new URL("../fixtures/nir/lif_norse.nir", import.meta.url));
  await assert.rejects(fromNIR(new Uint8Array(whole.subarray(0, 3000)), { file: "cut.nir" }), (e: unknown) => e instanceof FormatError && /^cut\.nir: /.test(e.message) && !/exodus-nir-/.test(e.message));
});
