/**
 * The sweep report: one self-contained HTML page (no scripts) with a table of every trial's axis values,
 * state and final metrics, and one chart per axis (final test accuracy of each completed trial against
 * that axis's value; text values are spread evenly). Built from what Redis holds, not from the store.
 */
import { esc } from "../report/svg.js";
import type { Plan } from "./plan.js";
import type { TrialStatus } from "./queue.js";

const pct = (v: number | null | undefined) => (typeof v === "number" && Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : "–");
const fmt = (v: unknown) => (typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v));

/** The keys that vary across the plan's trials, in plan order. */
export function axesOf(plan: Plan): string[] {
  return [...Object.keys(plan.grid), ...Object.keys(plan.random?.axes ?? {}), ...(plan.seeds ? ["seed"] : [])];
}

/** Final test accuracy against one axis. */
export function axisChart(axis: string, rows: TrialStatus[]): string {
  const pts = rows.filter((r) => r.result).map((r) => ({ x: r.trial.params[axis], y: r.result!.test_accuracy }));
  const W = 360, H = 240, L = 48, R = 12, T = 26, B = 40;
  const numeric = pts.every((p) => typeof p.x === "number");
  const cats = numeric ? [] : [...new Set(rows.map((r) => String(r.trial.params[axis])))];
  const xs = pts.map((p) => (numeric ? (p.x as number) : cats.indexOf(String(p.x))));
  let lo = numeric ? Math.min(...xs) : -0.5;
  let hi = numeric ? Math.max(...xs) : cats.length - 0.5;
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  const logX = numeric && lo > 0 && hi / lo >= 20;
  const tx = (x: number) => L + ((logX ? Math.log(x) - Math.log(lo) : x - lo) / (logX ? Math.log(hi) - Math.log(lo) : hi - lo)) * (W - L - R);
  const ty = (y: number) => T + (1 - y) * (H - T - B);
  const ticksX = numeric ? [lo, logX ? Math.sqrt(lo * hi) : (lo + hi) / 2, hi] : cats.map((_, i) => i);
  const xl = (v: number, i: number) => (numeric ? fmt(v) : cats[i]!);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/><text x="${W / 2}" y="16" text-anchor="middle" font-size="13">test accuracy vs ${esc(axis)}</text>
<line x1="${L}" y1="${ty(0)}" x2="${W - R}" y2="${ty(0)}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${ty(0)}" stroke="#444"/>
${[0, 0.25, 0.5, 0.75, 1].map((y) => `<text x="${L - 4}" y="${ty(y) + 4}" text-anchor="end">${y * 100}%</text><line x1="${L}" y1="${ty(y)}" x2="${W - R}" y2="${ty(y)}" stroke="#eee"/>`).join("")}
${ticksX.map((v, i) => `<text x="${tx(v)}" y="${H - B + 16}" text-anchor="middle">${esc(xl(v, i))}</text>`).join("")}
<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">${esc(axis)}${logX ? " (log scale)" : ""}</text>
${pts.map((p, i) => `<circle cx="${tx(xs[i]!)}" cy="${ty(p.y)}" r="4" fill="#1f77b4" fill-opacity="0.7"><title>${esc(fmt(p.x))}: ${pct(p.y)}</title></circle>`).join("")}
</svg>`;
}

export function renderSweepReport(plan: Plan, rows: TrialStatus[]): string {
  const axes = axesOf(plan);
  const counts = rows.reduce<Record<string, number>>((c, r) => ({ ...c, [r.state]: (c[r.state] ?? 0) + 1 }), {});
  const head = `<tr><th>trial</th>${axes.map((a) => `<th>${esc(a)}</th>`).join("")}<th>state</th><th>test acc</th><th>test loss</th><th>train acc</th><th>epochs</th><th>train s</th><th>resumed from</th><th>worker / error</th></tr>`;
  const body = rows.map((r) => {
    const x = r.result;
    return `<tr><td>${esc(r.trial.id)}</td>${axes.map((a) => `<td>${esc(fmt(r.trial.params[a]))}</td>`).join("")}<td>${r.state}</td><td>${pct(x?.test_accuracy)}</td><td>${x ? x.test_loss.toFixed(4) : "–"}</td><td>${pct(x?.train_accuracy)}</td><td>${x?.epochs ?? (r.progress ?? "–")}</td><td>${x ? x.train_seconds.toFixed(1) : "–"}</td><td>${x ? x.resumed_from_epoch : "–"}</td><td style="text-align:left">${esc(x ? x.worker : (r.error ?? ""))}</td></tr>`;
  }).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>exodus-snn sweep: ${esc(plan.name)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1320px;color:#222}.grid{display:flex;flex-wrap:wrap;gap:12px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}pre{background:#f5f5f5;padding:10px;font-size:12px;overflow:auto}</style></head><body>
<h1>exodus-snn sweep: ${esc(plan.name)}</h1>
<p>${rows.length} trials: ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(", ")}</p>
<h2>Final test accuracy per axis</h2><div class="grid">${axes.map((a) => axisChart(a, rows)).join("")}</div>
<h2>Trials</h2><table>${head}${body}</table>
<h2>Plan</h2><pre>${esc(JSON.stringify(plan, null, 2))}</pre>
</body></html>
`;
}
