/**
 * Data-pipeline throughput (not a test): first, per task, the loader's samples/s (cold and warm frame cache)
 * next to the samples/s a training step consumes (bench/loader.ts); then events/s for each reader (N-MNIST
 * .bin, AEDAT 3.1, SHD HDF5 through the h5wasm worker, IDX pixels/s) and for ToFrame, plus simulator rates.
 * Prints tables and a final JSON line. Run: npm run bench:data [-- --loader-only | --readers-only].
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeEvents, type Events } from "../src/data/events.js";
import { decodeAedat31, encodeAedat31 } from "../src/data/readers/aedat.js";
import { closeH5Reader } from "../src/data/readers/hdf5.js";
import { decodeIdx, encodeIdx } from "../src/data/readers/idx.js";
import { decodeNmnist } from "../src/data/readers/nmnist.js";
import { readShd, writeShd } from "../src/data/readers/shd.js";
import { nmnistSimSample } from "../src/data/sim/nmnist-sim.js";
import { orderBurst } from "../src/data/sim/order-burst.js";
import { toFrame } from "../src/data/transforms/to-frame.js";
import { Rng } from "../src/util/rng.js";
import { loaderBench } from "./loader.js";

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, "..", "test", "fixtures");

interface Row {
  name: string;
  unit: string;
  rate: number;
  items: number;
  seconds: number;
}
const rows: Row[] = [];

/** Repeat `fn` until ≥ minS seconds have passed; `items` is what one call processes. */
async function measure(name: string, unit: string, items: number, fn: () => unknown, minS = 1.5): Promise<void> {
  await fn(); // warm-up (JIT, worker start)
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minS * 1000) {
    await fn();
    n++;
  }
  const s = (performance.now() - t0) / 1000;
  rows.push({ name, unit, rate: (n * items) / s, items: n * items, seconds: s });
}

function dvsStream(n: number, seed: number): Events {
  const r = new Rng(seed);
  const x: number[] = [];
  const y: number[] = [];
  const t: number[] = [];
  const p: number[] = [];
  let cur = 0;
  for (let i = 0; i < n; i++) {
    x.push(r.int(0, 128));
    y.push(r.int(0, 128));
    t.push((cur += r.int(0, 20)));
    p.push(r.int(0, 2));
  }
  return makeEvents(x, y, t, p);
}

const args = process.argv.slice(2);
const loaderRows = args.includes("--readers-only") ? [] : await loaderBench();
if (args.includes("--loader-only")) {
  console.log(JSON.stringify({ bench: "data", node: process.version, loader: loaderRows }));
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), "exodus-bench-"));
try {
  const nm = readFileSync(join(shared, "sample_nmnist.bin"));
  await measure("read N-MNIST .bin (real sample)", "events/s", nm.length / 5, () => decodeNmnist(nm));

  const big = dvsStream(1_000_000, 1);
  const aedat = encodeAedat31(big, { packetSize: 4096 });
  await measure("read AEDAT 3.1 (1M events)", "events/s", 1_000_000, () => decodeAedat31(aedat), 2);

  const r = new Rng(2);
  const times: Float32Array[] = [];
  const units: Uint16Array[] = [];
  for (let i = 0; i < 1000; i++) {
    const k = r.int(500, 1500);
    const t = new Float32Array(k);
    for (let j = 0; j < k; j++) t[j] = (j / k) * 1.2;
    times.push(t);
    units.push(Uint16Array.from({ length: k }, () => r.int(0, 700)));
  }
  const total = times.reduce((a, b) => a + b.length, 0);
  const shd = join(tmp, "bench_shd.h5");
  await writeShd(shd, { times, units, labels: Array.from({ length: 1000 }, (_, i) => i % 20) });
  await measure(`read SHD HDF5 flat f32 (${total} spikes, 1000 samples)`, "events/s", total, () => readShd(shd, { numClasses: 20 }), 2);
  // The real SHD layout is ragged VLEN (float16 via the documented workaround). h5wasm cannot write
  // VLEN, so a large ragged file is made with h5py when python3 has it; otherwise the row is skipped.
  const ragged = join(tmp, "ragged_f16.h5");
  const py = spawnSync("python3", ["-c", `import h5py, numpy as np
r = np.random.default_rng(0); n = 1000
with h5py.File(${JSON.stringify(ragged)}, "w") as f:
    t = f.create_dataset("spikes/times", (n,), dtype=h5py.vlen_dtype(np.float16)); u = f.create_dataset("spikes/units", (n,), dtype=h5py.vlen_dtype(np.uint16))
    for i in range(n):
        k = 1000; t[i] = np.sort(r.uniform(0, 1.2, k)).astype(np.float16); u[i] = r.integers(0, 700, k).astype(np.uint16)
    f.create_dataset("labels", data=(np.arange(n) % 20).astype(np.uint16))`]);
  if (py.status === 0) await measure("read SHD HDF5 ragged VLEN f16 (1M spikes, 1000 samples, h5py-made)", "events/s", 1_000_000, () => readShd(ragged, { numClasses: 20 }), 2);
  else console.log("(skipped ragged f16 row: python3 with h5py not available)");
  const f16 = join(shared, "shd_fixture_f16.h5");
  await measure("read SHD HDF5 ragged f16 (fixture, 50 spikes)", "events/s", 50, () => readShd(f16));

  const idxBuf = encodeIdx({ dims: [10000, 28, 28], data: new Uint8Array(10000 * 784).map((_, i) => i & 255) }, true);
  writeFileSync(join(tmp, "x.gz"), idxBuf);
  await measure("read IDX gz (10k × 28×28)", "pixels/s", 10000 * 784, () => decodeIdx(idxBuf));

  const nmEv = decodeNmnist(nm);
  await measure("ToFrame timeWindow=1ms (N-MNIST sample)", "events/s", nmEv.t.length, () => toFrame(nmEv, { sensorSize: [34, 34, 2], timeWindow: 1000 }));
  await measure("ToFrame nTimeBins=30 (1M DVS128 events)", "events/s", 1_000_000, () => toFrame(big, { sensorSize: [128, 128, 2], nTimeBins: 30 }), 2);
  await measure("ToFrame eventCount=10k (1M DVS128 events)", "events/s", 1_000_000, () => toFrame(big, { sensorSize: [128, 128, 2], eventCount: 10_000 }), 2);

  let k = 0;
  await measure("nmnist-sim (samples)", "samples/s", 1, () => nmnistSimSample("train", k++ % 8000));
  await measure("order-burst (T=150, C=32, batch 256)", "samples/s", 256, () => orderBurst({ taskSeed: 1, split: "train", count: 256 }));
} finally {
  closeH5Reader();
  rmSync(tmp, { recursive: true, force: true });
}

const fmt = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(1) + " ");
const w = Math.max(...rows.map((r) => r.name.length));
console.log(`${"benchmark".padEnd(w)}  ${"rate".padStart(10)}  unit`);
for (const r of rows) console.log(`${r.name.padEnd(w)}  ${fmt(r.rate).padStart(10)}  ${r.unit}`);
console.log(JSON.stringify({ bench: "data", node: process.version, loader: loaderRows, results: rows.map((r) => ({ name: r.name, unit: r.unit, rate: Math.round(r.rate) })) }));
