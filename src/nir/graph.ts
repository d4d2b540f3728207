/**
 * The NIR graph in memory: named nodes (a type string plus parameter datasets, maybe metadata or a nested
 * graph) and directed edges. Parsing checks only the container layout; what each node type means is
 * import.ts's business. Node names are opaque strings; topology comes only from `edges`.
 */
import { FormatError } from "../errors.js";
import { group, str, type H5Group, type H5Value } from "./h5tree.js";

export interface NirNode {
  name: string;
  type: string;
  /** Parameter datasets by name (weight, tau, v_threshold, …), as stored. */
  params: Map<string, H5Value>;
  metadata: H5Group | null;
  /** Set when type is "NIRGraph". */
  graph?: NirGraph;
}

export interface NirGraph {
  nodes: Map<string, NirNode>;
  edges: [string, string][];
  metadata: H5Group | null;
}

/** The version string we write: files from nir 1.0.7 onwards carry it, older readers do not check it. */
export const NIR_VERSION = "1.0.7";

/** Parses the `/node` group of a NIR file (or a nested graph group). */
export function parseGraph(g: H5Group, file: string, where = "node"): NirGraph {
  const t = g.children.get("type");
  if (!t || t.kind !== "str" || t.data[0] !== "NIRGraph") throw new FormatError(file, `${where}/type`, "the string 'NIRGraph'", "is this a NIR file?");
  const nodesG = g.children.get("nodes");
  if (!nodesG || nodesG.kind !== "group") throw new FormatError(file, `${where}/nodes`, "a group of nodes");
  const e = g.children.get("edges");
  let edges: [string, string][] = [];
  if (e) {
    if (e.kind !== "str" || e.data.length % 2 !== 0) throw new FormatError(file, `${where}/edges`, "a string dataset of shape (E, 2)");
    for (let i = 0; i < e.data.length; i += 2) edges.push([e.data[i]!.trim(), e.data[i + 1]!.trim()]);
  }
  const nodes = new Map<string, NirNode>();
  for (const [name, c] of nodesG.children) {
    const w = `${where}/nodes/${name}`;
    if (c.kind !== "group") throw new FormatError(file, w, "a node group");
    const nt = c.children.get("type");
    if (!nt || nt.kind !== "str") throw new FormatError(file, `${w}/type`, "a string naming the node type");
    const type = nt.data[0]!.trim();
    const params = new Map<string, H5Value>();
    let metadata: H5Group | null = null;
    for (const [k, v] of c.children) {
      if (k === "type") continue;
      if (k === "metadata" && v.kind === "group") metadata = v;
      else if (v.kind !== "group") params.set(k, v);
    }
    const node: NirNode = { name, type, params, metadata };
    if (type === "NIRGraph") node.graph = parseGraph(c, file, w);
    nodes.set(name, node);
  }
  edges = edges.filter(([a, b]) => a !== "" || b !== "");
  const md = g.children.get("metadata");
  return { nodes, edges, metadata: md && md.kind === "group" ? md : null };
}

/** The `/node` group for a graph, in nir's layout: type, nodes/<name>/…, edges, metadata only if non-empty. */
export function graphToGroup(gr: NirGraph): H5Group {
  const nodes = group();
  for (const n of gr.nodes.values()) {
    const g = n.graph ? graphToGroup(n.graph) : group([["type", str(n.type)], ...n.params]);
    if (n.metadata && n.metadata.children.size > 0) g.children.set("metadata", n.metadata);
    nodes.children.set(n.name, g);
  }
  const out = group([
    ["type", str("NIRGraph")],
    ["nodes", nodes],
    ["edges", { kind: "str", shape: [gr.edges.length, 2], data: gr.edges.flat() }],
  ]);
  if (gr.metadata && gr.metadata.children.size > 0) out.children.set("metadata", gr.metadata);
  return out;
}

/** The whole file tree: /version and /node. */
export function fileTree(gr: NirGraph): H5Group {
  return group([["version", str(NIR_VERSION)], ["node", graphToGroup(gr)]]);
}

/** A numeric parameter as float64 values plus its shape, or undefined when absent. */
export function numParam(n: NirNode, key: string, file: string): { data: number[]; shape: number[] } | undefined {
  const v = n.params.get(key);
  if (!v) return undefined;
  if (v.kind !== "num") {
    throw new FormatError(file, `node '${n.name}' (${n.type}) / ${key}`, "numbers", `got the string ${JSON.stringify(v.data.join(","))}`);
  }
  return { data: Array.from(v.data), shape: v.shape };
}

/** A string parameter (e.g. Conv2d padding "same"), or undefined. */
export function strParam(n: NirNode, key: string): string | undefined {
  const v = n.params.get(key);
  return v && v.kind === "str" ? v.data.join("") : undefined;
}

/** Reads a metadata subgroup (numbers, strings, arrays, nested groups) as plain JSON-like values. */
export function metadataRecord(g: H5Group | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!g) return out;
  for (const [k, v] of g.children) {
    if (v.kind === "group") out[k] = metadataRecord(v);
    else if (v.kind === "str") out[k] = v.shape.length === 0 ? v.data[0] : v.data;
    else out[k] = v.shape.length === 0 ? Number(v.data[0]) : Array.from(v.data);
  }
  return out;
}
