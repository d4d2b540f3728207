/**
 * The run report: one self-contained HTML page with hand-written SVG charts (no dependencies, no scripts):
 * loss and accuracy curves per epoch, a spike raster of one test sample per layer (input included), the
 * per-neuron firing-rate histogram of every spiking layer, the confusion matrix and the run's config.
 * Takes plain numbers (the trainer's EpochMetrics and probe rasters fit these shapes), so it depends on
 * nothing above it: train/, experiments/ and cli/ can all draw with it.
 */
import { esc, PALETTE } from "./svg.js";

/** One epoch's row as the report draws it (train/trainer.ts's EpochMetrics has these fields and more). */
export interface ReportEpoch {
  epoch: number;
  lr: number;
  train_loss: number;
  train_accuracy: number;
  test_loss: number;
  test_accuracy: number;
  /** Mean spikes per neuron per sample (whole sequence), by spiking layer name, on the training data. */
  spikes_per_neuron: Record<string, number>;
  samples_per_second: number;
  epoch_seconds: number;
}

/** The spikes of one layer for one sample: spike i is neuron `neurons[i]` at step `times[i]`, of T steps and N neurons. */
export interface Raster {
  name: string;
  T: number;
  N: number;
  times: ArrayLike<number>;
  neurons: ArrayLike<number>;
}

export interface ReportData {
  title: string;
  config: unknown;
  history: ReportEpoch[];
  final: { test_accuracy: number; test_loss: number; epochs: number; seconds: number };
  confusion?: number[][];
  probe?: { rasters: Raster[]; rates: { name: string; perNeuron: number[] }[]; label: number; predicted: number; readout?: { name: string; T: number; C: number; values: number[] } };
}

const f = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Line chart of several series over epochs 1..n. */
export function lineChart(title: string, series: { name: string; values: number[]; color?: string }[], yLabel: string, fixedMax?: number, xLabel = "epoch", x0 = 1): string {
  const W = 420, H = 260, L = 50, R = 10, T = 28, B = 40;
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const ymax = fixedMax ?? niceMax(Math.max(...all, 1e-9));
  const ymin = fixedMax !== undefined ? 0 : Math.min(0, ...all);
  const x = (i: number) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v: number) => T + (H - T - B) * (1 - Math.min(1, Math.max(0, (v - ymin) / (ymax - ymin))));
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`;
  s += `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`;
  for (let k = 0; k <= 4; k++) {
    const v = ymin + ((ymax - ymin) * k) / 4;
    s += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 4}" y="${y(v) + 4}" text-anchor="end">${f(v, ymax < 1.5 ? 2 : 1)}</text>`;
  }
  const every = Math.max(1, Math.ceil(n / 12));
  for (let i = 0; i < n; i += every) s += `<text x="${x(i)}" y="${H - B + 14}" text-anchor="middle">${i + x0}</text>`;
  s += `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`;
  s += `<text x="12" y="${(T + H - B) / 2}" transform="rotate(-90 12 ${(T + H - B) / 2})" text-anchor="middle">${esc(yLabel)}</text>`;
  series.forEach((ser, j) => {
    const c = ser.color ?? PALETTE[j % PALETTE.length];
    const pts = ser.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    s += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts}"/>`;
    if (ser.values.length <= 40) ser.values.forEach((v, i) => (s += `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${c}"><title>${esc(ser.name)} ${esc(xLabel)} ${i + x0}: ${f(v, 4)}</title></circle>`));
    if (series.length <= 4) s += `<rect x="${L + 8 + j * 110}" y="${T + 2}" width="10" height="10" fill="${c}"/><text x="${L + 22 + j * 110}" y="${T + 11}">${esc(ser.name)}</text>`;
  });
  return s + "</svg>";
}

/** Spike raster: one dot per spike, time on x, neuron on y. Large layers are shown up to 400 neurons. */
export function rasterChart(r: Raster, maxNeurons = 400): string {
  const W = 420, H = 240, L = 44, R = 10, T = 24, B = 34;
  const N = Math.min(r.N, maxNeurons);
  const x = (t: number) => L + ((t + 0.5) * (W - L - R)) / r.T;
  const y = (k: number) => T + ((k + 0.5) * (H - T - B)) / N;
  const dotW = Math.max(1, (W - L - R) / r.T - 1), dotH = Math.max(1, (H - T - B) / N);
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`;
  s += `<text x="${W / 2}" y="15" text-anchor="middle" font-size="13">${esc(r.name)}: ${r.times.length} spikes, ${r.N} neurons${r.N > N ? ` (first ${N} shown)` : ""}</text>`;
  s += `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>`;
  for (let i = 0; i < r.times.length; i++) {
    const k = r.neurons[i]!;
    if (k >= N) continue;
    s += `<rect x="${(x(r.times[i]!) - dotW / 2).toFixed(1)}" y="${(y(k) - dotH / 2).toFixed(1)}" width="${dotW.toFixed(1)}" height="${dotH.toFixed(2)}" fill="#222"/>`;
  }
  s += `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">time step (0..${r.T - 1})</text>`;
  s += `<text x="12" y="${(T + H - B) / 2}" transform="rotate(-90 12 ${(T + H - B) / 2})" text-anchor="middle">neuron</text>`;
  return s + "</svg>";
}

/** Histogram of per-neuron spike counts per sample. */
export function histogramChart(title: string, values: number[], bins = 20): string {
  const W = 420, H = 220, L = 44, R = 10, T = 24, B = 38;
  const hi = Math.max(...values, 1e-9);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v / hi) * bins))]!++;
  const cmax = Math.max(...counts, 1);
  const bw = (W - L - R) / bins;
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`;
  s += `<text x="${W / 2}" y="15" text-anchor="middle" font-size="13">${esc(title)}</text>`;
  counts.forEach((c, i) => {
    const h = ((H - T - B) * c) / cmax;
    s += `<rect x="${(L + i * bw + 0.5).toFixed(1)}" y="${(H - B - h).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#4c72b0"><title>${f((i * hi) / bins)}–${f(((i + 1) * hi) / bins)}: ${c} neurons</title></rect>`;
  });
  s += `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`;
  s += `<text x="${L}" y="${H - B + 14}">0</text><text x="${W - R}" y="${H - B + 14}" text-anchor="end">${f(hi)}</text>`;
  s += `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">spikes per neuron per sample</text>`;
  s += `<text x="${L - 4}" y="${T + 8}" text-anchor="end">${cmax}</text>`;
  return s + "</svg>";
}

function confusionTable(m: number[][]): string {
  const rows = m.map((r, i) => `<tr><th>${i}</th>${r.map((v, j) => `<td style="background:${i === j ? "#d9f0d3" : v ? "#fde0dd" : "#fff"}">${v}</td>`).join("")}</tr>`).join("");
  return `<table class="cm"><tr><th>true\\pred</th>${m.map((_, j) => `<th>${j}</th>`).join("")}</tr>${rows}</table>`;
}

export function renderReport(d: ReportData): string {
  const h = d.history;
  const charts: string[] = [];
  if (h.length) {
    charts.push(lineChart("Loss", [{ name: "train", values: h.map((m) => m.train_loss) }, { name: "test", values: h.map((m) => m.test_loss) }], "loss"));
    charts.push(lineChart("Accuracy", [{ name: "train", values: h.map((m) => m.train_accuracy) }, { name: "test", values: h.map((m) => m.test_accuracy) }], "accuracy", 1));
  }
  const rasters = d.probe ? d.probe.rasters.map((r) => rasterChart(r)) : [];
  const ro = d.probe?.readout;
  if (ro) {
    // a non-spiking readout has no raster: show its potential per class over time instead
    const series = Array.from({ length: ro.C }, (_, c) => ({ name: `class ${c}`, values: Array.from({ length: ro.T }, (_, t) => ro.values[t * ro.C + c]!) }));
    rasters.push(lineChart(`${ro.name}: readout potential (one line per class; label ${d.probe!.label} in red)`, series.map((se, c) => ({ ...se, color: c === d.probe!.label ? "#d62728" : "#9aa" })), "v", undefined, "time step", 0));
  }
  const hists = d.probe ? d.probe.rates.map((r) => histogramChart(`${r.name}: firing rates (mean ${f(r.perNeuron.reduce((a, b) => a + b, 0) / Math.max(1, r.perNeuron.length))})`, r.perNeuron)) : [];
  const rows = h.map((m) => `<tr><td>${m.epoch}</td><td>${f(m.train_loss, 4)}</td><td>${f(m.train_accuracy * 100)}%</td><td>${f(m.test_loss, 4)}</td><td>${f(m.test_accuracy * 100)}%</td><td>${m.lr.toExponential(2)}</td><td>${f(m.samples_per_second, 0)}</td><td>${f(m.epoch_seconds, 1)}</td><td>${esc(Object.entries(m.spikes_per_neuron).map(([k, v]) => `${k}: ${f(v)}`).join(", "))}</td></tr>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1320px;color:#222}.grid{display:flex;flex-wrap:wrap;gap:12px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}.cm td{min-width:28px}
pre{background:#f5f5f5;padding:10px;font-size:12px;overflow:auto}.big{font-size:20px}</style></head><body>
<h1>${esc(d.title)}</h1>
<p class="big">test accuracy <b>${f(d.final.test_accuracy * 100)} %</b> · test loss ${f(d.final.test_loss, 4)} · ${d.final.epochs} epochs · ${f(d.final.seconds, 1)} s</p>
<h2>Training curves</h2><div class="grid">${charts.join("")}</div>
<table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>test loss</th><th>test acc</th><th>lr</th><th>samples/s</th><th>epoch s</th><th>spikes / neuron / sample</th></tr>${rows}</table>
${d.probe ? `<h2>Spike rasters of test sample 0 (label ${d.probe.label}, predicted ${d.probe.predicted})</h2><div class="grid">${rasters.join("")}</div>
<h2>Firing-rate histograms (test samples)</h2><div class="grid">${hists.join("")}</div>` : ""}
${d.confusion ? `<h2>Confusion matrix (test)</h2>${confusionTable(d.confusion)}` : ""}
<h2>Configuration</h2><pre>${esc(JSON.stringify(d.config, null, 2))}</pre>
<h2>Result</h2><pre>${esc(JSON.stringify(d.final, null, 2))}</pre>
</body></html>
`;
}
