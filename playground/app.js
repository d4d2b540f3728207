// The playground page: controls, live charts (the library's own report charts, as SVG), the drawing pad.
// Training runs in worker.js; this thread only draws. Works from plain static files: without COOP/COEP the
// worker trains on one kernel thread.
import { histogramChart, lineChart, rasterChart } from "../dist/browser/exodus-snn.js";

const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
let losses = [], accs = [], accSteps = [], running = false, started = null;

if (navigator.gpu) $("backend").add(new Option("webgpu", "webgpu"));

function setRunning(on) {
  running = on;
  $("start").disabled = on;
  $("stop").disabled = !on;
}

$("start").onclick = () => {
  losses = []; accs = []; accSteps = [];
  for (const id of ["loss", "acc", "raster", "rates"]) $(id).innerHTML = "";
  setRunning(true);
  $("status").textContent = "loading…";
  worker.postMessage({
    type: "start", task: $("task").value, engine: $("engine").value, backend: $("backend").value,
    steps: Number($("steps").value), batch: Number($("batch").value),
  });
};
$("stop").onclick = () => worker.postMessage({ type: "stop" });
$("download").onclick = () => worker.postMessage({ type: "weights" });

worker.onmessage = (e) => {
  const m = e.data;
  if (m.type === "started") {
    started = m;
    $("draw-panel").hidden = !m.image;
    $("download").disabled = false;
    $("status").textContent = `${m.task} on ${m.backend}${m.backend === "wasm" ? ` (${m.threads} thread${m.threads === 1 ? "" : "s"}${m.isolated ? "" : ", page not cross-origin isolated"})` : ""}`;
  } else if (m.type === "step") {
    losses.push(m.loss);
    $("status").textContent = `${started.task} on ${started.backend}${started.backend === "wasm" ? ` (${started.threads} thread${started.threads === 1 ? "" : "s"})` : ""} · step ${m.step} · loss ${m.loss.toFixed(4)} · ${m.ms.toFixed(0)} ms/step`;
    $("loss").innerHTML = lineChart("training loss", [{ name: "loss", values: losses }], "loss", undefined, "step");
    if (m.accuracy !== undefined) {
      accs.push(m.accuracy * 100);
      accSteps.push(m.step);
      $("acc").innerHTML = lineChart(`test accuracy (every ${accSteps[0]} steps)`, [{ name: "accuracy %", values: accs }], "%", 100, "evaluation");
      $("raster").innerHTML = rasterChart(m.rasters[0]);
      $("rates").innerHTML = histogramChart("hidden firing rates (spikes per neuron per sample)", m.rates);
    }
  } else if (m.type === "done") {
    setRunning(false);
    $("status").textContent += " · done";
  } else if (m.type === "answer") {
    $("answer").textContent = `the network says ${m.predicted} (output spike counts ${m.counts.map((c) => c.toFixed(0)).join(" ")})`;
    $("answer-raster").innerHTML = rasterChart(m.rasters[0]) + rasterChart(m.rasters[1]);
  } else if (m.type === "weights") {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([m.bytes], { type: "application/octet-stream" }));
    a.download = `exodus-snn-${started?.task ?? "net"}.safetensors`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  } else if (m.type === "error") {
    setRunning(false);
    $("status").textContent = `error: ${m.message}`;
  }
};

// ---- drawing pad: 280×280 strokes, averaged down to 28×28 like an MNIST digit ----
const pad = $("pad"), ctx = pad.getContext("2d");
function clearPad() { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, 280, 280); }
clearPad();
let drawing = false;
pad.onpointerdown = (e) => { drawing = true; pad.setPointerCapture(e.pointerId); ctx.beginPath(); ctx.moveTo(e.offsetX, e.offsetY); };
pad.onpointermove = (e) => {
  if (!drawing) return;
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 22; ctx.lineCap = "round"; ctx.lineJoin = "round";
  ctx.lineTo(e.offsetX, e.offsetY); ctx.stroke();
};
pad.onpointerup = () => { drawing = false; };
$("clear").onclick = () => { clearPad(); $("answer").textContent = ""; $("answer-raster").innerHTML = ""; };

/** 28×28 intensities in [0, 1]: each output pixel the mean of a 10×10 block of the pad. */
export function padPixels() {
  const src = ctx.getImageData(0, 0, 280, 280).data, out = new Float32Array(784);
  for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) out[Math.floor(y / 10) * 28 + Math.floor(x / 10)] += src[(y * 280 + x) * 4] / 255 / 100;
  return out;
}
$("classify").onclick = () => worker.postMessage({ type: "classify", pixels: padPixels() });
