/**
 * What every hand-written SVG/HTML chart here shares: text escaping and the colour cycle (matplotlib's
 * "tab10", so the charts read like the Python tools' plots). Charts are string builders with no
 * dependencies: the output only has to be readable on GitHub and in a browser, and it must build from a
 * bare install.
 */

/** Escapes text for SVG/HTML element content and double-quoted attributes. */
export const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** The colour cycle of line and bar series. */
export const PALETTE: readonly string[] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
