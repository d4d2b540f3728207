/**
 * SVG charts for the paper-reproduction results (`exodus-snn experiment`): panels of line charts with
 * optional log y, and grouped bars. Hand-written like the run report's charts (./svg.ts says why).
 */
import { esc, PALETTE } from "./svg.js";

export interface Series {
  label: string;
  points: [number, number][];
  color?: string;
  dashed?: boolean;
}

export interface LinePanel {
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  series: Series[];
}

function fmtTick(v: number, log: boolean): string {
  if (log) return `1e${Math.round(v)}`;
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return v.toExponential(0);
  return Number(v.toPrecision(3)).toString();
}

function niceTicks(lo: number, hi: number, n: number): number[] {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Panels side by side (cols per row), each with its own axes; a shared legend per panel. */
export function panelLineChart(panels: LinePanel[], opts: { cols?: number; title?: string } = {}): string {
  const cols = opts.cols ?? Math.min(panels.length, 2);
  const pw = 420;
  const ph = 300;
  const top = opts.title ? 30 : 0;
  const rows = Math.ceil(panels.length / cols);
  const W = cols * pw;
  const H = rows * ph + top;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (opts.title) parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`);
  panels.forEach((p, pi) => {
    const ox = (pi % cols) * pw;
    const oy = top + Math.floor(pi / cols) * ph;
    const m = { l: 60, r: 120, t: 24, b: 40 };
    const iw = pw - m.l - m.r;
    const ih = ph - m.t - m.b;
    const tf = (y: number) => (p.logY ? Math.log10(Math.max(y, 1e-300)) : y);
    const pts = p.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(tf(y)));
    const xs = pts.map(([x]) => x);
    const ys = pts.map(([, y]) => tf(y));
    let x0 = Math.min(...xs);
    let x1 = Math.max(...xs);
    let y0 = Math.min(...ys);
    let y1 = Math.max(...ys);
    if (!pts.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
    if (x1 === x0) x1 = x0 + 1;
    if (p.logY) {
      y0 = Math.floor(y0);
      y1 = Math.ceil(y1);
    }
    if (y1 === y0) y1 = y0 + 1;
    const sx = (x: number) => ox + m.l + ((x - x0) / (x1 - x0)) * iw;
    const sy = (y: number) => oy + m.t + ih - ((tf(y) - y0) / (y1 - y0)) * ih;
    const syRaw = (v: number) => oy + m.t + ih - ((v - y0) / (y1 - y0)) * ih;
    parts.push(`<text x="${ox + m.l + iw / 2}" y="${oy + 16}" text-anchor="middle" font-size="12">${esc(p.title)}</text>`);
    parts.push(`<rect x="${ox + m.l}" y="${oy + m.t}" width="${iw}" height="${ih}" fill="none" stroke="#444"/>`);
    const yt = p.logY
      ? Array.from({ length: y1 - y0 + 1 }, (_, i) => y0 + i).filter((_, i, a) => a.length <= 8 || i % Math.ceil(a.length / 8) === 0)
      : niceTicks(y0, y1, 5);
    for (const v of yt) {
      const y = syRaw(v);
      parts.push(`<line x1="${ox + m.l}" x2="${ox + m.l + iw}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
      parts.push(`<text x="${ox + m.l - 4}" y="${y + 4}" text-anchor="end">${fmtTick(v, !!p.logY)}</text>`);
    }
    for (const v of niceTicks(x0, x1, Math.min(8, Math.max(2, new Set(xs).size - 1)))) {
      const x = sx(v);
      parts.push(`<text x="${x}" y="${oy + m.t + ih + 14}" text-anchor="middle">${fmtTick(v, false)}</text>`);
    }
    parts.push(`<text x="${ox + m.l + iw / 2}" y="${oy + ph - 8}" text-anchor="middle">${esc(p.xLabel)}</text>`);
    parts.push(
      `<text transform="translate(${ox + 14},${oy + m.t + ih / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}${p.logY ? " (log)" : ""}</text>`,
    );
    p.series.forEach((s, si) => {
      const c = s.color ?? PALETTE[si % PALETTE.length]!;
      const ok = s.points.filter(([, y]) => Number.isFinite(tf(y)));
      const d = ok.map(([x, y], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join("");
      parts.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5,3"' : ""}/>`);
      for (const [x, y] of ok) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${c}"/>`);
      const ly = oy + m.t + 8 + si * 14;
      const lx = ox + m.l + iw + 8;
      parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ""}/>`);
      parts.push(`<text x="${lx + 22}" y="${ly + 4}">${esc(s.label)}</text>`);
    });
  });
  parts.push("</svg>");
  return parts.join("\n");
}

export interface BarGroup {
  label: string;
  values: { label: string; value: number; err?: number }[];
}

/** Grouped bar chart (one group per case, one bar per engine), optional error bars and log y. */
export function barChart(groups: BarGroup[], opts: { title: string; yLabel: string; logY?: boolean; refLine?: { y: number; label: string } }): string {
  const labels = [...new Set(groups.flatMap((g) => g.values.map((v) => v.label)))];
  const gw = Math.max(90, labels.length * 26 + 20);
  const m = { l: 64, r: 130, t: 34, b: 70 };
  const W = m.l + m.r + groups.length * gw;
  const H = 340;
  const ih = H - m.t - m.b;
  const tf = (y: number) => (opts.logY ? Math.log10(Math.max(y, 1e-300)) : y);
  const all = groups.flatMap((g) => g.values.map((v) => tf(v.value + (v.err ?? 0)))).filter(Number.isFinite);
  const mins = groups.flatMap((g) => g.values.map((v) => tf(Math.max(v.value - (v.err ?? 0), 1e-300)))).filter(Number.isFinite);
  let y1 = Math.max(...all, opts.refLine ? tf(opts.refLine.y) : -Infinity);
  let y0 = opts.logY ? Math.floor(Math.min(...mins)) : 0;
  if (opts.logY) y1 = Math.ceil(y1);
  if (!(y1 > y0)) y1 = y0 + 1;
  const sy = (v: number) => m.t + ih - ((tf(v) - y0) / (y1 - y0)) * ih;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(opts.title)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${ih}" fill="none" stroke="#444"/>`,
    `<text transform="translate(14,${m.t + ih / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}${opts.logY ? " (log)" : ""}</text>`,
  ];
  const ticks = opts.logY ? Array.from({ length: y1 - y0 + 1 }, (_, i) => y0 + i) : niceTicks(y0, y1, 5);
  for (const t of ticks) {
    const y = m.t + ih - ((t - y0) / (y1 - y0)) * ih;
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 4}" y="${y + 4}" text-anchor="end">${opts.logY ? `1e${t}` : fmtTick(t, false)}</text>`);
  }
  groups.forEach((g, gi) => {
    const gx = m.l + gi * gw + 10;
    g.values.forEach((v) => {
      const li = labels.indexOf(v.label);
      const c = PALETTE[li % PALETTE.length]!;
      const x = gx + li * 26;
      const y = sy(v.value);
      const base = opts.logY ? m.t + ih : sy(0);
      if (Number.isFinite(y)) {
        parts.push(`<rect x="${x}" y="${Math.min(y, base)}" width="22" height="${Math.abs(base - y)}" fill="${c}"/>`);
        if (v.err) {
          const ya = sy(v.value + v.err);
          const yb = sy(Math.max(v.value - v.err, opts.logY ? 1e-300 : -Infinity));
          parts.push(`<line x1="${x + 11}" x2="${x + 11}" y1="${ya}" y2="${Math.min(yb, base)}" stroke="black"/>`);
        }
      }
    });
    parts.push(
      `<text transform="translate(${gx + (labels.length * 26) / 2},${m.t + ih + 12}) rotate(20)" font-size="10">${esc(g.label)}</text>`,
    );
  });
  if (opts.refLine) {
    const y = sy(opts.refLine.y);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="black" stroke-dasharray="4,3"/>`);
    parts.push(`<text x="${W - m.r + 4}" y="${y + 4}">${esc(opts.refLine.label)}</text>`);
  }
  labels.forEach((l, li) => {
    const y = m.t + 10 + li * 16;
    parts.push(`<rect x="${W - m.r + 8}" y="${y - 8}" width="12" height="10" fill="${PALETTE[li % PALETTE.length]}"/>`);
    parts.push(`<text x="${W - m.r + 24}" y="${y}">${esc(l)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
