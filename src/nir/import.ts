/**
 * fromNIR: NIR graph → ModelConfig + weights → Sequential (mapping in docs/nir.md). NIR nodes are ODEs; each
 * neuron is discretised at the caller's dt with the exact (zero-order hold) or Euler scheme into our per-step
 * decay α, and NIR's input gain ((1 − α)·r, (1 − α_s)·w_in) becomes normInput/decayEarly when one of those
 * matches, else a scale folded into the incoming Affine/Conv2d. v_leak becomes a bias on that layer. Only
 * plain chains run as a Sequential: recurrent edges, branches and unknown nodes are errors naming the node.
 */
import { readFileSync } from "node:fs";
import { ConfigError, FormatError, ShapeError } from "../errors.js";
import type { DType } from "../kernels/contract.js";
import type { Sequential } from "../layers/sequential.js";
import type { GradientEngine } from "../neurons/dynamics.js";
import { loadStateDict, stateDict } from "../train/checkpoint.js";
import { buildModel, type LayerSpec, type ModelConfig } from "../train/models/presets.js";
import type { StTensor } from "../train/safetensors.js";
import { metadataRecord, numParam, parseGraph, strParam, type NirGraph, type NirNode } from "./graph.js";
import { readH5TreeBytes } from "./h5tree.js";
import { alphaFromNirTau, type Discretization } from "./targets.js";

export interface FromNIROptions {
  /** Seconds per step. Default: the dt in our own metadata, else 1 (τ read as steps). */
  dt?: number;
  /** Default: the file's (our metadata), else "exact". */
  discretization?: Discretization;
  /**
   * How a spike resets a neuron whose v_reset is 0 or absent. "subtract" (default) is what EXODUS needs and
   * equals reset-to-zero in continuous time; "value" resets to 0 as Norse and snnTorch do (bptt only).
   */
  reset?: "subtract" | "value";
  /** Spikes per step for files without our metadata: NIR's z is 0 or 1 ("single", the default). */
  spikeFn?: "single" | "multi";
  /** Default "exodus", or "bptt" when a neuron resets to a value. */
  gradient?: GradientEngine;
  dtype?: DType;
  /** Name of the file, for error messages. */
  file?: string;
}

export interface NirImport {
  config: ModelConfig;
  /** Parameters and buffers by their Sequential names ("0.weight", "1.tauMem", …). */
  tensors: Map<string, StTensor>;
  gradient: GradientEngine;
  dt: number;
  discretization: Discretization;
  /** What the importer changed to express the file (folded gains, biases), for the CLI to print. */
  notes: string[];
  /** The chain in order with each node's output shape (no T, B). */
  chain: { node: string; type: string; shape: number[] }[];
}

/** Parses NIR bytes into the graph (guarded HDF5 read). */
export async function readNIR(bytes: Uint8Array, file = "<bytes>"): Promise<NirGraph> {
  const tree = await readH5TreeBytes(bytes, file);
  const node = tree.children.get("node");
  if (!node || node.kind !== "group") throw new FormatError(file, "/node", "a NIR graph group", "is this a NIR file?");
  return parseGraph(node, file);
}

export async function readNIRFile(path: string): Promise<NirGraph> {
  return readNIR(new Uint8Array(readFileSync(path)), path);
}

/** Imports a NIR file as a Sequential (weights loaded). */
export async function fromNIR(bytes: Uint8Array, opts: FromNIROptions = {}): Promise<Sequential> {
  const imp = nirToModel(await readNIR(bytes, opts.file), opts);
  return buildImported(imp, opts.dtype);
}

/** Builds the Sequential of an import and loads its tensors. */
export function buildImported(imp: NirImport, dtype: DType = "float32"): Sequential {
  const model = buildModel(imp.config, { gradient: imp.gradient, seed: 0, dtype });
  const st = stateDict(model);
  for (const [k, v] of imp.tensors) {
    const t = st.get(k);
    if (!t) throw new ConfigError(`fromNIR: internal mapping produced '${k}', which the model does not have`);
    if (t.data.length !== v.data.length) throw new ShapeError(`fromNIR: '${k}' has ${v.data.length} values, the model needs ${t.data.length}`);
    t.data.set(v.data);
  }
  loadStateDict(model, st, "<NIR import>");
  return model;
}

type Arr = { data: number[]; shape: number[] };
interface Layer {
  node: string;
  spec: LayerSpec;
  data: Map<string, number[]>;
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const close = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b), 1e-30);

/** Nested NIRGraph nodes are spliced in (names prefixed), their Input/Output nodes removed. */
export function inlineSubgraphs(g: NirGraph): { nodes: Map<string, NirNode>; edges: [string, string][] } {
  const nodes = new Map<string, NirNode>();
  let edges: [string, string][] = [...g.edges];
  for (const n of g.nodes.values()) {
    if (!n.graph) {
      nodes.set(n.name, n);
      continue;
    }
    const inner = inlineSubgraphs(n.graph);
    const pre = (s: string) => `${n.name}.${s}`;
    const ins = [...inner.nodes.values()].filter((x) => x.type === "Input").map((x) => x.name);
    const outs = [...inner.nodes.values()].filter((x) => x.type === "Output").map((x) => x.name);
    for (const x of inner.nodes.values()) if (x.type !== "Input" && x.type !== "Output") nodes.set(pre(x.name), { ...x, name: pre(x.name) });
    const heads = inner.edges.filter(([a]) => ins.includes(a)).map(([, b]) => pre(b));
    const tails = inner.edges.filter(([, b]) => outs.includes(b)).map(([a]) => pre(a));
    const kept = inner.edges.filter(([a, b]) => !ins.includes(a) && !outs.includes(b)).map(([a, b]): [string, string] => [pre(a), pre(b)]);
    const next: [string, string][] = [];
    for (const [a, b] of edges) {
      const as = a === n.name ? tails : [a];
      const bs = b === n.name ? heads : [b];
      for (const x of as) for (const y of bs) next.push([x, y]);
    }
    edges = [...next, ...kept];
  }
  return { nodes, edges };
}

/** The nodes from Input to Output in order; throws on cycles, branches, dangling edges. */
export function chainOf(g: NirGraph, file: string): NirNode[] {
  const { nodes, edges } = inlineSubgraphs(g);
  for (const [a, b] of edges) {
    for (const x of [a, b]) if (!nodes.has(x)) throw new FormatError(file, "edges", "edges between existing nodes", `edge ${a} → ${b} names '${x}', which is not a node`);
  }
  const out = new Map<string, string[]>();
  for (const [a, b] of edges) out.set(a, [...(out.get(a) ?? []), b]);
  // a cycle first: it is the usual reason for a branch (recurrent weights) and the clearer message
  const state = new Map<string, 1 | 2>();
  const visit = (n: string): void => {
    state.set(n, 1);
    for (const m of out.get(n) ?? []) {
      if (state.get(m) === 1) {
        throw new ConfigError(`NIR graph is recurrent: edge '${n}' → '${m}' closes a cycle through node '${m}' (${nodes.get(m)!.type}); a Sequential runs feed-forward chains only, so recurrent networks (e.g. recurrent weights on a CubaLIF) cannot be imported`);
      }
      if (!state.has(m)) visit(m);
    }
    state.set(n, 2);
  };
  for (const n of nodes.keys()) if (!state.has(n)) visit(n);
  const inputs = [...nodes.values()].filter((n) => n.type === "Input");
  let start: NirNode | undefined;
  if (inputs.length === 1) start = inputs[0];
  else if (inputs.length === 0) {
    const hasIn = new Set(edges.map(([, b]) => b));
    const roots = [...nodes.values()].filter((n) => !hasIn.has(n.name));
    if (roots.length === 1) start = roots[0];
  }
  if (!start) throw new ConfigError(`NIR graph has ${inputs.length} Input nodes; a Sequential needs exactly one input`);
  const chain: NirNode[] = [start];
  const seen = new Set([start.name]);
  for (let cur = start; ; ) {
    const next = out.get(cur.name) ?? [];
    if (next.length === 0) break;
    if (next.length > 1) throw new ConfigError(`NIR graph branches at node '${cur.name}' (${cur.type}), which feeds ${next.map((x) => `'${x}'`).join(", ")}; a Sequential runs plain chains only`);
    const n = nodes.get(next[0]!)!;
    const fanIn = edges.filter(([, b]) => b === n.name).length;
    if (fanIn > 1) throw new ConfigError(`NIR graph merges ${fanIn} inputs into node '${n.name}' (${n.type}); a Sequential runs plain chains only`);
    chain.push(n);
    seen.add(n.name);
    cur = n;
  }
  const left = [...nodes.keys()].filter((n) => !seen.has(n));
  if (left.length) throw new ConfigError(`NIR graph has nodes outside the Input → Output chain: ${left.map((x) => `'${x}'`).join(", ")}; a Sequential runs one chain only`);
  return chain;
}

/** Maps the graph to a model config plus tensors (pure; no HDF5, no tensors allocated). */
export function nirToModel(g: NirGraph, opts: FromNIROptions = {}): NirImport {
  const file = opts.file ?? "<NIR>";
  const gmeta = (metadataRecord(g.metadata)["exodus_snn"] ?? {}) as Record<string, unknown>;
  const dt = opts.dt ?? (typeof gmeta["dt"] === "number" ? gmeta["dt"] : 1);
  if (!(dt > 0 && Number.isFinite(dt))) throw new ConfigError(`fromNIR: dt must be a positive number of seconds per step, got ${dt}`);
  const disc: Discretization = opts.discretization ?? (gmeta["discretization"] === "euler" ? "euler" : "exact");
  const chain = chainOf(g, file);
  const notes: string[] = [];
  const layers: Layer[] = [];
  const shapes: NirImport["chain"] = [];
  let shape: number[] | null = null;
  let anyResetValue = false;
  const req = (n: NirNode, key: string): Arr => {
    const v = numParam(n, key, file);
    if (!v) throw new FormatError(file, `node '${n.name}' (${n.type})`, `a '${key}' dataset`, "missing");
    return v;
  };
  for (const n of chain) {
    const where = `node '${n.name}' (${n.type})`;
    if (n.type === "Input") {
      shape = req(n, "shape").data;
      shapes.push({ node: n.name, type: n.type, shape });
      continue;
    }
    if (n.type === "Output") {
      const s = numParam(n, "shape", file);
      if (s && shape && numel(s.data) !== numel(shape)) notes.push(`${where}: declares shape [${s.data}] but the chain produces [${shape}]`);
      continue;
    }
    if (!shape) throw new ConfigError(`NIR graph: ${where} comes before any Input node`);
    const ctx: NodeCtx = { n, where, shape, file, dt, disc, opts, layers, notes };
    const r = mapNode(ctx, req);
    // reset to 0 has exact fused gradients (docs/gradients.md §5); any other value trains with bptt only
    if (r.resetValue !== null && r.resetValue !== undefined && r.resetValue !== 0) anyResetValue = true;
    if (r.layer) layers.push(r.layer);
    shape = r.outShape;
    shapes.push({ node: n.name, type: n.type, shape });
  }
  if (!shape) throw new ConfigError("NIR graph has no Input node");
  if (layers.length === 0) throw new ConfigError("NIR graph has no layers between Input and Output");
  const last = layers[layers.length - 1]!.spec;
  const gradient = opts.gradient ?? (anyResetValue ? "bptt" : "exodus");
  const config: ModelConfig = {
    inputShape: chain[0]!.type === "Input" ? req(chain[0]!, "shape").data : shape,
    classes: numel(shape),
    layers: layers.map((l) => l.spec),
    loss: last.type === "expleak" ? { name: "ce-max" } : { name: "ce-count", scale: 1 },
  };
  const f64 = opts.dtype === "float64";
  const tensors = new Map<string, StTensor>();
  layers.forEach((l, i) => {
    for (const [k, v] of l.data) tensors.set(`${i}.${k}`, { dtype: f64 ? "F64" : "F32", shape: [v.length], data: f64 ? Float64Array.from(v) : Float32Array.from(v) });
  });
  return { config, tensors, gradient, dt, discretization: disc, notes, chain: shapes };
}

interface NodeCtx {
  n: NirNode;
  where: string;
  shape: number[];
  file: string;
  dt: number;
  disc: Discretization;
  opts: FromNIROptions;
  layers: Layer[];
  notes: string[];
}

function pairOf(v: Arr | undefined, dflt: number, where: string, key: string): [number, number] {
  if (!v) return [dflt, dflt];
  if (v.data.length === 1) return [v.data[0]!, v.data[0]!];
  if (v.data.length === 2) return [v.data[0]!, v.data[1]!];
  throw new ShapeError(`${where}: '${key}' must be one or two integers, got [${v.data}]`);
}

function mapNode(c: NodeCtx, req: (n: NirNode, key: string) => Arr): { layer?: Layer; outShape: number[]; resetValue?: number | null } {
  const { n, where, shape, file } = c;
  switch (n.type) {
    case "Affine":
    case "Linear": {
      const w = req(n, "weight");
      if (w.shape.length !== 2) throw new ShapeError(`${where}: weight must be 2-D [out, in], got [${w.shape}]`);
      const [out, inF] = w.shape as [number, number];
      if (shape.length !== 1 || shape[0] !== inF) {
        throw new ShapeError(`${where}: weight [${w.shape}] takes ${inF} features but the previous node gives [${shape}]${shape.length > 1 ? " (a Flatten node is missing)" : ""}`);
      }
      const data = new Map([["weight", w.data]]);
      const b = n.type === "Affine" ? numParam(n, "bias", file) : undefined;
      if (b) {
        if (b.data.length !== out) throw new ShapeError(`${where}: bias has ${b.data.length} values for ${out} outputs`);
        data.set("bias", b.data);
      }
      return { layer: { node: n.name, spec: { type: "linear", in: inF, out, bias: !!b }, data }, outShape: [out] };
    }
    case "Conv2d": {
      const w = req(n, "weight");
      if (w.shape.length !== 4) throw new ShapeError(`${where}: weight must be [out, in, kh, kw], got [${w.shape}]`);
      const [o, ci, kh, kw] = w.shape as [number, number, number, number];
      const groups = numParam(n, "groups", file)?.data[0] ?? 1;
      if (groups !== 1) throw new ConfigError(`${where}: groups = ${groups}; only groups = 1 is supported`);
      const dil = pairOf(numParam(n, "dilation", file), 1, where, "dilation");
      if (dil[0] !== 1 || dil[1] !== 1) throw new ConfigError(`${where}: dilation ${dil}; only dilation 1 is supported`);
      if (shape.length !== 3 || shape[0] !== ci) throw new ShapeError(`${where}: takes [${ci}, H, W] but the previous node gives [${shape}]`);
      const stride = pairOf(numParam(n, "stride", file), 1, where, "stride");
      const ps = strParam(n, "padding");
      let padding: [number, number];
      if (ps !== undefined) {
        if (ps === "valid") padding = [0, 0];
        else if (ps === "same") {
          if (kh % 2 === 0 || kw % 2 === 0 || stride[0] !== 1 || stride[1] !== 1) {
            throw new ConfigError(`${where}: padding "same" needs odd kernels and stride 1 for symmetric zero padding, got kernel ${kh}×${kw}, stride ${stride}`);
          }
          padding = [(kh - 1) / 2, (kw - 1) / 2];
        } else throw new ConfigError(`${where}: padding "${ps}" is unknown; NIR allows integers, "same" or "valid"`);
      } else padding = pairOf(numParam(n, "padding", file), 0, where, "padding");
      const oh = Math.floor((shape[1]! + 2 * padding[0] - kh) / stride[0]) + 1;
      const ow = Math.floor((shape[2]! + 2 * padding[1] - kw) / stride[1]) + 1;
      if (oh < 1 || ow < 1) throw new ShapeError(`${where}: kernel ${kh}×${kw} does not fit the input [${shape}]`);
      const bias = numParam(n, "bias", file)?.data ?? new Array<number>(o).fill(0);
      return {
        layer: { node: n.name, spec: { type: "conv2d", in: ci, out: o, kernel: [kh, kw], stride, padding, bias: true }, data: new Map([["weight", w.data], ["bias", bias]]) },
        outShape: [o, oh, ow],
      };
    }
    case "SumPool2d":
    case "AvgPool2d": {
      const k = pairOf(req(n, "kernel_size"), 1, where, "kernel_size");
      const s = pairOf(numParam(n, "stride", file), k[0], where, "stride");
      const p = pairOf(numParam(n, "padding", file), 0, where, "padding");
      if (p[0] !== 0 || p[1] !== 0) throw new ConfigError(`${where}: padding ${p}; pooling with padding is not supported (only padding 0)`);
      if (shape.length !== 3) throw new ShapeError(`${where}: takes [C, H, W] but the previous node gives [${shape}]`);
      const out = [shape[0]!, Math.floor((shape[1]! - k[0]) / s[0]) + 1, Math.floor((shape[2]! - k[1]) / s[1]) + 1];
      return { layer: { node: n.name, spec: { type: n.type === "SumPool2d" ? "sumpool2d" : "avgpool2d", kernel: k, stride: s }, data: new Map() }, outShape: out };
    }
    case "Flatten": {
      const rank = shape.length;
      const sd = numParam(n, "start_dim", file)?.data[0] ?? 0;
      const ed = numParam(n, "end_dim", file)?.data[0] ?? -1;
      if (!(sd === 0 || sd === -rank) || !(ed === -1 || ed === rank - 1)) {
        throw new ConfigError(`${where}: start_dim ${sd}, end_dim ${ed} flattens part of [${shape}]; only flattening every feature axis (start_dim 0, end_dim -1) is supported`);
      }
      return { layer: { node: n.name, spec: { type: "flatten" }, data: new Map() }, outShape: [numel(shape)] };
    }
    case "IF":
    case "LIF":
    case "CubaLIF":
    case "LI":
      return neuron(c);
    case "Scale":
    case "Delay":
    case "Threshold":
    case "Conv1d":
    case "CubaLI":
    case "I":
      throw new ConfigError(`NIR ${where}: this node type is not supported by the importer yet; supported: Affine, Linear, Conv2d, SumPool2d, AvgPool2d, Flatten, IF, LIF, CubaLIF, LI`);
    default:
      throw new ConfigError(`NIR ${where}: unknown node type '${n.type}'; supported: Affine, Linear, Conv2d, SumPool2d, AvgPool2d, Flatten, IF, LIF, CubaLIF, LI`);
  }
}

/** A per-neuron parameter expanded to the neuron count (scalars and 0-d arrays from old exporters broadcast). */
function perNeuron(v: Arr | undefined, count: number, where: string, key: string, dflt?: number): number[] {
  if (!v) {
    if (dflt === undefined) throw new ConfigError(`${where}: parameter '${key}' is missing`);
    return new Array<number>(count).fill(dflt);
  }
  if (v.data.length === count) return v.data;
  if (v.data.length === 1) return new Array<number>(count).fill(v.data[0]!);
  throw new ShapeError(`${where}: '${key}' has ${v.data.length} values but ${count} neurons arrive from the previous node`);
}

function neuron(c: NodeCtx): { layer: Layer; outShape: number[]; resetValue: number | null } {
  const { n, where, shape, file, dt, disc, opts } = c;
  const count = numel(shape);
  const p = (key: string, dflt?: number) => perNeuron(numParam(n, key, file), count, where, key, dflt);
  const meta = (metadataRecord(n.metadata)["exodus_snn"] ?? {}) as Record<string, unknown>;
  const hintFlag = (k: string): boolean | undefined => (typeof meta[k] === "number" ? meta[k] !== 0 : undefined);
  const nshape = shape.length === 1 && shape[0] === 1 ? undefined : [...shape];
  const toAlpha = (tau: number[], what: string) =>
    tau.map((t) => {
      const a = alphaFromNirTau(t, dt, disc);
      if (!(a > 0 && a < 1)) {
        throw new ConfigError(`${where}: ${what} = ${t} at dt = ${dt} gives a per-step decay ${a} outside (0, 1); ${disc === "euler" ? "Euler needs dt < τ: pass a smaller dt" : "τ must be positive"}`);
      }
      return a;
    });
  /** τ in steps; our own metadata gives the exact value we exported (avoids a log/exp round trip). */
  const tauSteps = (alpha: number[], key: string): number[] => {
    const h = meta[key];
    const computed = alpha.map((a) => -1 / Math.log(a));
    if (Array.isArray(h) && h.length === count && h.every((t, k) => close(Number(t), computed[k]!, 1e-4))) return h.map(Number);
    return computed;
  };
  const data = new Map<string, number[]>();
  const type = n.type;
  let resetValue: number | null = null;
  let theta: number[] = [];
  if (type !== "LI") {
    theta = p("v_threshold");
    const vr = p("v_reset", 0);
    if (vr.some((v) => v !== 0)) {
      if (vr.some((v) => v !== vr[0])) throw new ConfigError(`${where}: per-neuron v_reset values differ; only one reset value per layer is supported`);
      resetValue = vr[0]!;
    } else if (opts.reset === "value" || (opts.reset === undefined && meta["reset"] === "value")) resetValue = 0;
    data.set("spikeThreshold", theta);
    data.set("membraneSubtract", resetValue === null ? theta : new Array<number>(count).fill(resetValue));
  }
  const spikeHint = meta["spike_fn"];
  // A reset to a value is defined for 0/1 spikes (v·(1 − s)): such a neuron spikes once per step at most.
  const spikeFn = resetValue !== null ? "single" : spikeHint === "multi" || spikeHint === "single" ? spikeHint : (opts.spikeFn ?? "single");
  const minV = Array.isArray(meta["min_v_mem"]) && meta["min_v_mem"].length === count ? (meta["min_v_mem"] as unknown[]).map(Number) : null;
  if (minV) data.set("minVMem", minV);
  const neuronSpec = { spikeThreshold: theta[0], spikeFn, minVMem: minV ? minV[0]! : null, shape: nshape, resetValue } as const;

  if (type === "IF") {
    const r = p("r", 1);
    foldGain(c, r, null);
    return { layer: { node: n.name, spec: { type: "iaf", ...neuronSpec }, data }, outShape: shape, resetValue };
  }
  const cuba = type === "CubaLIF";
  const alpha = toAlpha(p(cuba ? "tau_mem" : "tau"), cuba ? "tau_mem" : "tau");
  const r = p("r", 1);
  const vLeak = p("v_leak", 0);
  const alphaS = cuba ? toAlpha(p("tau_syn"), "tau_syn") : null;
  const wIn = cuba ? p("w_in", 1) : null;
  // α_s ≈ 0 (Rockpool's stand-in synapse for a plain LIF) passes the input through: no synapse needed
  const hasSyn = !!alphaS && alphaS.some((a) => a > 1e-12);
  // NIR's per-step input gain: membrane (1 − α)·r, synapse (1 − α_s)·w_in
  const nirGain = alpha.map((a, k) => (1 - a) * r[k]! * (alphaS ? (1 - alphaS[k]!) * wIn![k]! : 1));
  // decayEarly scales the input by the synapse's α (LIF) or, on ExpLeak, by the membrane's own α
  const ours = (norm: boolean, early: boolean) =>
    alpha.map((a, k) => (norm ? 1 - a : 1) * (early ? (type === "LI" ? a : hasSyn ? alphaS![k]! : 1) : 1));
  const candidates: [boolean, boolean][] = [];
  const hn = hintFlag("norm_input"), he = hintFlag("decay_early");
  if (hn !== undefined) candidates.push([hn, he ?? false]);
  candidates.push([true, false], [false, false]);
  let pick = candidates.find(([nm, e]) => ours(nm, e).every((g, k) => close(g, nirGain[k]!)));
  let scale: number[] | null = null;
  if (!pick) {
    pick = [false, false];
    scale = nirGain;
  }
  const [normInput, decayEarly] = pick;
  if (vLeak.some((v) => v !== 0)) {
    if (hasSyn) throw new ConfigError(`${where}: a nonzero v_leak on a CubaLIF is not supported (it acts on the membrane, not the synapse)`);
  }
  // v_leak adds (1 − α)·v_leak per step; as a bias b on the incoming layer it adds gain·b
  const g = ours(normInput, decayEarly);
  const bias = vLeak.some((v) => v !== 0) ? vLeak.map((v, k) => ((1 - alpha[k]!) * v) / g[k]!) : null;
  foldGain(c, scale, bias);
  const tauMem = tauSteps(alpha, "tau_steps");
  if (type === "LI") {
    data.set("tauMem", tauMem);
    return { layer: { node: n.name, spec: { type: "expleak", tauMem: tauMem[0]!, normInput, decayEarly, shape: nshape }, data }, outShape: shape, resetValue: null };
  }
  data.set("tauMem", tauMem);
  let tauSyn: number[] | null = null;
  if (hasSyn) {
    tauSyn = tauSteps(alphaS!, "tau_syn_steps");
    data.set("tauSyn", tauSyn);
  }
  const spec: LayerSpec = { type: "lif", tauMem: tauMem[0]!, tauSyn: tauSyn ? tauSyn[0]! : null, normInput, decayEarly, ...neuronSpec };
  return { layer: { node: n.name, spec, data }, outShape: shape, resetValue };
}

/**
 * Multiplies the incoming Affine/Linear/Conv2d by `scale` (per neuron; null or all ones: nothing) and adds
 * `bias`, so the neuron sees exactly NIR's input current. Throws when there is no such layer to absorb it.
 */
function foldGain(c: NodeCtx, scale: number[] | null, bias: number[] | null): void {
  const needScale = !!scale && scale.some((s) => !close(s, 1, 1e-6));
  if (!needScale && !bias) return;
  const prev = c.layers[c.layers.length - 1];
  const what = [needScale ? `an input gain ${describeRange(scale!)}` : "", bias ? `a bias from v_leak ${describeRange(bias)}` : ""].filter(Boolean).join(" and ");
  if (!prev || (prev.spec.type !== "linear" && prev.spec.type !== "conv2d")) {
    throw new ConfigError(`${c.where}: needs ${what}, but it does not directly follow an Affine, Linear or Conv2d node that could absorb it; pass a dt/discretization under which r matches, or insert an Affine`);
  }
  let per: (k: number) => number;
  let rows: number;
  if (prev.spec.type === "conv2d") {
    const [ch, h, w] = c.shape as [number, number, number];
    const hw = h * w;
    const uniform = (v: number[]) => {
      const out: number[] = [];
      for (let k = 0; k < ch; k++) {
        const seg = v.slice(k * hw, (k + 1) * hw);
        if (seg.some((x) => !close(x, seg[0]!, 1e-6))) throw new ConfigError(`${c.where}: needs ${what} that varies inside channel ${k}; a Conv2d can only absorb one value per channel`);
        out.push(seg[0]!);
      }
      return out;
    };
    const s = needScale ? uniform(scale!) : null;
    const b = bias ? uniform(bias) : null;
    rows = ch;
    per = (k) => (s ? s[k]! : 1);
    scaleRows(prev, rows, per);
    if (b) addBias(prev, rows, b);
  } else {
    rows = c.shape[0]!;
    per = (k) => (needScale ? scale![k]! : 1);
    scaleRows(prev, rows, per);
    if (bias) addBias(prev, rows, bias);
  }
  c.notes.push(`${c.where}: folded ${what} into node '${prev.node}'`);
}

function scaleRows(l: Layer, rows: number, per: (k: number) => number): void {
  for (const key of ["weight", "bias"]) {
    const v = l.data.get(key);
    if (!v) continue;
    const stride = v.length / rows;
    l.data.set(key, v.map((x, i) => x * per(Math.floor(i / stride))));
  }
}

function addBias(l: Layer, rows: number, b: number[]): void {
  const old = l.data.get("bias") ?? new Array<number>(rows).fill(0);
  l.data.set("bias", old.map((x, k) => x + b[k]!));
  if (l.spec.type === "linear" || l.spec.type === "conv2d") l.spec.bias = true;
}

function describeRange(v: number[]): string {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  return lo === hi ? `${lo}` : `in [${lo}, ${hi}]`;
}
