// The playground's training worker: builds the network, trains step by step (yielding between steps so
// "stop", "classify" and "weights" are answered at once), and posts losses, accuracies, a spike raster and
// firing rates after every few steps. Kernel threads: all cores when the page is cross-origin isolated, else 1.
import * as lib from "../dist/browser/exodus-snn.js";
import { mnistTask, orderBurstTask, toyTask } from "./tasks.js";

const { Sequential, Linear, LIF, Adam, Rng, tensor, tidyAsync, noGrad, backward, softmaxCrossEntropy, sum } = lib;
let run = null;
// "classify" and "weights" during training wait for the end of the current step (one scope stack per thread)
const pending = [];

const post = (msg, transfer = []) => self.postMessage(msg, transfer);
const yieldNow = () => new Promise((r) => setTimeout(r, 0));

async function loadTask(name) {
  if (name === "mnist") return mnistTask(lib, new URL("../assets/mnist/", import.meta.url));
  if (name === "order-burst") return orderBurstTask(lib);
  if (name === "toy") return toyTask(lib);
  throw new Error(`unknown task '${name}'`);
}

/** Spiking layers' outputs [T, B, N] for input x: the raster and the rates come from these. */
function forwardLayers(net, x) {
  const spikes = [];
  let h = x;
  for (const m of net.layers) {
    h = m.forward(h);
    if (m instanceof LIF) spikes.push(h);
  }
  return { y: h, spikes };
}

async function rasterOf(t, name, b = 0) {
  const [T, B, N] = t.shape;
  const v = await t.data();
  const times = [], neurons = [];
  for (let s = 0; s < T; s++) for (let n = 0; n < N; n++) if (v[(s * B + b) * N + n] !== 0) { times.push(s); neurons.push(n); }
  return { name, T, N, times, neurons };
}

function argmaxRows(v, rows, cols) {
  const out = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (v[r * cols + c] > v[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}

async function evaluate() {
  const { task, net, testIdx, rng } = run;
  return tidyAsync(async () => {
    net.resetStates();
    const x = tensor(task.encode("test", testIdx, rng), [task.T, testIdx.length, task.F]);
    const { y, spikes } = noGrad(() => forwardLayers(net, x));
    const pred = argmaxRows(await sum(y, 0).data(), testIdx.length, task.classes);
    const correct = pred.filter((p, i) => p === task.label("test", testIdx[i])).length;
    const hidden = spikes[0];
    const hv = await hidden.data();
    const [T, B, N] = hidden.shape;
    const rates = new Array(N).fill(0);
    for (let i = 0; i < hv.length; i++) rates[i % N] += hv[i] / B;
    return {
      accuracy: correct / testIdx.length,
      rasters: [await rasterOf(hidden, `hidden (test sample 0, label ${task.label("test", testIdx[0])})`), await rasterOf(spikes[1], "output")],
      rates,
    };
  });
}

async function start(o) {
  run?.stop?.();
  const backend = await lib.setBackend(o.backend);
  const task = await loadTask(o.task);
  const rng = new Rng(o.seed ?? 1);
  const hidden = o.hidden ?? 128;
  const net = new Sequential(
    new Linear(task.F, hidden, { rng: new Rng(o.seed ?? 1) }),
    new LIF({ tauMem: 10, normInput: false, gradient: o.engine }),
    new Linear(hidden, task.classes, { rng: new Rng((o.seed ?? 1) + 1) }),
    new LIF({ tauMem: 10, normInput: false, gradient: o.engine }),
  );
  const opt = new Adam(net.parameters(), { lr: o.lr ?? 5e-3 });
  const nTest = Math.min(task.size.test, o.testSamples ?? 256);
  const testIdx = Array.from({ length: nTest }, (_, i) => i);
  const me = { task, net, opt, rng, testIdx, running: true, stop() { this.running = false; } };
  run = me;
  post({ type: "started", task: task.name, backend: backend.name, threads: backend.threads ?? 1, image: task.image, isolated: self.crossOriginIsolated });
  const B = o.batch ?? 32, steps = o.steps ?? 200, every = o.every ?? 10;
  for (let step = 1; step <= steps && me.running; step++) {
    const t0 = performance.now();
    const idx = Array.from({ length: B }, () => rng.int(0, task.size.train));
    const labels = idx.map((i) => task.label("train", i));
    const loss = await tidyAsync(async () => {
      net.resetStates();
      const x = tensor(task.encode("train", idx, rng), [task.T, B, task.F]);
      const l = softmaxCrossEntropy(sum(net.forward(x), 0), labels);
      backward(l);
      opt.step();
      opt.zeroGrad();
      return (await l.data())[0];
    });
    const ms = performance.now() - t0;
    const msg = { type: "step", step, loss, ms };
    if (step % every === 0 || step === steps) Object.assign(msg, await evaluate());
    post(msg);
    await yieldNow();
    while (pending.length) await pending.shift()();
  }
  if (run === me) me.running = false;
  post({ type: "done" });
}

async function classify(pixels) {
  const { task, net, rng } = run;
  const out = await tidyAsync(async () => {
    net.resetStates();
    const { y, spikes } = noGrad(() => forwardLayers(net, tensor(task.encodePixels(pixels, rng), [task.T, 1, task.F])));
    const counts = Array.from(await sum(y, 0).data());
    return { counts, predicted: argmaxRows(counts, 1, task.classes)[0], rasters: [await rasterOf(spikes[0], "hidden (your digit)"), await rasterOf(spikes[1], "output")] };
  });
  post({ type: "answer", ...out });
}

async function weights() {
  const tensors = new Map();
  for (const [name, p] of run.net.namedParameters()) tensors.set(name, { dtype: "F32", shape: [...p.shape], data: Float32Array.from(await p.data()) });
  const bytes = lib.encodeSafetensors(tensors, { task: run.task.name, library: "exodus-snn" });
  post({ type: "weights", bytes }, [bytes.buffer]);
}

self.onmessage = async (e) => {
  try {
    const m = e.data;
    if (m.type === "start") await start(m);
    else if (m.type === "stop") run?.stop();
    else if (m.type === "classify" || m.type === "weights") {
      if (!run) throw new Error("train first: there is no network yet");
      const job = m.type === "classify" ? () => classify(m.pixels) : weights;
      if (run.running) pending.push(() => job().catch((err) => post({ type: "error", message: String(err?.stack ?? err) })));
      else await job();
    }
  } catch (err) {
    post({ type: "error", message: String(err?.stack ?? err) });
  }
};
