/** `nir inspect`: a NIR graph as text: version, nodes in file order with shapes and parameter ranges, edges. */
import type { NirGraph, NirNode } from "./graph.js";
import { metadataRecord } from "./graph.js";

function range(data: ArrayLike<number>): string {
  if (data.length === 0) return "empty";
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    lo = Math.min(lo, data[i]!);
    hi = Math.max(hi, data[i]!);
  }
  const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));
  return lo === hi ? f(lo) : `[${f(lo)}, ${f(hi)}]`;
}

function nodeLines(n: NirNode, indent: string): string[] {
  if (n.graph) return [`${indent}${n.name}: NIRGraph`, ...graphLines(n.graph, indent + "  ")];
  const parts: string[] = [];
  for (const [k, v] of n.params) {
    if (v.kind === "str") parts.push(`${k}=${JSON.stringify(v.shape.length === 0 ? v.data[0] : v.data)}`);
    else if (v.data.length <= 4) parts.push(`${k}${v.shape.length ? `[${v.shape}]` : ""}=${Array.from(v.data).join(",")}`);
    else parts.push(`${k}[${v.shape}] ${v.dtype} ${range(v.data)}`);
  }
  const md = metadataRecord(n.metadata);
  return [`${indent}${n.name}: ${n.type}${parts.length ? "  " + parts.join("  ") : ""}${Object.keys(md).length ? `  metadata: ${Object.keys(md).join(", ")}` : ""}`];
}

function graphLines(g: NirGraph, indent: string): string[] {
  const lines: string[] = [];
  for (const n of g.nodes.values()) lines.push(...nodeLines(n, indent));
  lines.push(`${indent}edges: ${g.edges.map(([a, b]) => `${a} → ${b}`).join(", ")}`);
  return lines;
}

export function formatNirGraph(g: NirGraph, version: string | null): string {
  const md = metadataRecord(g.metadata);
  const head = [`NIR graph${version ? ` (version ${version})` : ""}: ${g.nodes.size} nodes, ${g.edges.length} edges`];
  if (Object.keys(md).length) head.push(`metadata: ${JSON.stringify(md)}`);
  return [...head, ...graphLines(g, "  ")].join("\n");
}
