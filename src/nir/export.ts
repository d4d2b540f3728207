/**
 * toNIR: a Sequential → NIR graph → HDF5 bytes (mapping in docs/nir.md). Our neurons are discrete; NIR's are
 * ODEs, so every time constant is written for an explicit step length dt and discretisation, and the
 * input gain becomes r (and w_in) so that a reader using the same dt and scheme computes our update.
 * Parameters are written per neuron in the neuron's shape ((N,) or (C,H,W)): scalars break readers.
 */
import { ConfigError, ShapeError } from "../errors.js";
import { Conv2d } from "../layers/conv2d.js";
import { Dropout } from "../layers/dropout.js";
import { Flatten } from "../layers/flatten.js";
import { Linear } from "../layers/linear.js";
import type { Module } from "../layers/module.js";
import { AvgPool2d, SumPool2d } from "../layers/pool.js";
import type { Sequential } from "../layers/sequential.js";
import type { SpikingDescription } from "../neurons/dynamics.js";
import { ExpLeak } from "../neurons/exp-leak.js";
import { IAF } from "../neurons/iaf.js";
import { LIF } from "../neurons/lif.js";
import { MembraneSubtract } from "../neurons/reset.js";
import { SpikingLayer } from "../neurons/spiking-layer.js";
import { noGrad } from "../tensor/autograd.js";
import { tidy } from "../tensor/memory.js";
import type { Tensor } from "../tensor/tensor.js";
import { fileTree, type NirGraph, type NirNode } from "./graph.js";
import { f32, f64, group, i64, str, writeH5Tree, type H5Value } from "./h5tree.js";
import { targetPreset, tauFromAlpha, type Discretization, type GainConvention, type TargetName } from "./targets.js";

export interface ToNIROptions {
  /** Per-step input shape without T and B, e.g. [784] or [2, 34, 34]. */
  inputShape: readonly number[];
  /** Seconds per step. Default: the target's, else 1 (τ in steps). */
  dt?: number;
  /** Default: the target's, else "exact". */
  discretization?: Discretization;
  /** Write the file the way this reader computes it (dt, scheme, r folded into the weights). */
  target?: TargetName;
}

const LIB_VERSION = "0.1.0";
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Writes the model as a NIR file (bytes of an HDF5 file that nir.read loads). */
export async function toNIR(model: Sequential, opts: ToNIROptions): Promise<Uint8Array> {
  return writeH5Tree(fileTree(toNirGraph(model, opts)));
}

/** desc is protected on SpikingLayer; export needs normInput, decayEarly and the synapse flag it holds. */
function spikingDesc(l: SpikingLayer): SpikingDescription {
  return (l as unknown as { desc: SpikingDescription }).desc;
}

function values(t: Tensor | undefined): number[] | null {
  return t ? noGrad(() => Array.from(t.dataSync())) : null;
}

interface Ctx {
  dt: number;
  disc: Discretization;
  gain: GainConvention;
  cubaOnly: boolean;
  noSynapse: boolean;
  target: string;
  real: (data: ArrayLike<number>, shape: number[]) => H5Value;
}

/** Builds the in-memory graph (toNIR without the HDF5 step). */
export function toNirGraph(model: Sequential, opts: ToNIROptions): NirGraph {
  const preset = opts.target ? targetPreset(opts.target) : null;
  const dt = opts.dt ?? preset?.dt ?? 1;
  if (!(dt > 0 && Number.isFinite(dt))) throw new ConfigError(`toNIR: dt must be a positive number of seconds per step, got ${dt}`);
  const disc = opts.discretization ?? preset?.discretization ?? "exact";
  if (disc !== "exact" && disc !== "euler") throw new ConfigError(`toNIR: discretization must be "exact" or "euler", got ${String(disc)}`);
  const inputShape = [...opts.inputShape];
  if (inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(`toNIR: inputShape must list positive integers without T and B, e.g. [784] or [2, 34, 34], got [${inputShape}]`);
  }
  const dtype = model.parameters()[0]?.dtype ?? "float32";
  const ctx: Ctx = { dt, disc, gain: preset?.gain ?? "honoured", cubaOnly: preset?.cubaOnly ?? false, noSynapse: preset?.noSynapse ?? false, target: opts.target ?? "", real: dtype === "float64" ? f64 : f32 };
  const nodes: NirNode[] = [{ name: "input", type: "Input", params: new Map([["shape", i64(inputShape)]]), metadata: null }];
  let shape = inputShape;
  model.layers.forEach((m, i) => {
    if (m instanceof Dropout) return;
    const name = String(i);
    const r = layerNode(m, name, shape, ctx, nodes[nodes.length - 1]!);
    nodes.push({ name, type: r.type, params: r.params, metadata: r.meta ? group([["exodus_snn", r.meta]]) : null });
    shape = r.outShape;
  });
  nodes.push({ name: "output", type: "Output", params: new Map([["shape", i64(shape)]]), metadata: null });
  const edges: [string, string][] = nodes.slice(1).map((n, k) => [nodes[k]!.name, n.name]);
  const meta = group([["exodus_snn", group([
    ["library", str("exodus-snn")], ["library_version", str(LIB_VERSION)], ["dt", f64([dt], [])],
    ["discretization", str(disc)], ["target", str(opts.target ?? "none")], ["threshold_op", str(">=")],
  ])]]);
  return { nodes: new Map(nodes.map((n) => [n.name, n])), edges, metadata: meta };
}

interface Emitted {
  type: string;
  params: Map<string, H5Value>;
  outShape: number[];
  meta?: ReturnType<typeof group>;
}

function layerNode(m: Module, name: string, shape: number[], ctx: Ctx, prev: NirNode): Emitted {
  const where = `layer ${name} (${m.constructor.name})`;
  if (m instanceof Linear) {
    if (shape.length !== 1 || shape[0] !== m.inFeatures) {
      throw new ShapeError(`toNIR: ${where} expects ${m.inFeatures} features but receives [${shape}]; put a Flatten before it (NIR's Affine acts on a vector)`);
    }
    const w = tidy(() => values(m.weight()))!;
    const params = new Map<string, H5Value>([["weight", ctx.real(w, [m.outFeatures, m.inFeatures])]]);
    const b = values(m.parameter("bias"));
    if (b) params.set("bias", ctx.real(b, [m.outFeatures]));
    return { type: b ? "Affine" : "Linear", params, outShape: [m.outFeatures] };
  }
  if (m instanceof Conv2d) {
    if (shape.length !== 3 || shape[0] !== m.inChannels) throw new ShapeError(`toNIR: ${where} expects [${m.inChannels}, H, W] but receives [${shape}]`);
    const [, h, wd] = shape as [number, number, number];
    const w = tidy(() => values(m.weight()))!;
    const [oh, ow] = m.outputSize(h, wd);
    if (oh < 1 || ow < 1) throw new ShapeError(`toNIR: ${where} gives an empty output for input [${shape}]`);
    return {
      type: "Conv2d",
      params: new Map<string, H5Value>([
        ["weight", ctx.real(w, [m.outChannels, m.inChannels, ...m.kernelSize])],
        // nir requires a bias; exporters write zeros when the layer has none
        ["bias", ctx.real(values(m.parameter("bias")) ?? new Array<number>(m.outChannels).fill(0), [m.outChannels])],
        ["stride", i64(m.stride)], ["padding", i64(m.padding)], ["dilation", i64([1, 1])], ["groups", i64([1], [])], ["input_shape", i64([h, wd])],
      ]),
      outShape: [m.outChannels, oh, ow],
    };
  }
  if (m instanceof SumPool2d || m instanceof AvgPool2d) {
    if (shape.length !== 3) throw new ShapeError(`toNIR: ${where} expects [C, H, W] but receives [${shape}]`);
    const [c, h, w] = shape as [number, number, number];
    const out = [c, Math.floor((h - m.kernelSize[0]) / m.stride[0]) + 1, Math.floor((w - m.kernelSize[1]) / m.stride[1]) + 1];
    return {
      type: m instanceof SumPool2d ? "SumPool2d" : "AvgPool2d",
      params: new Map([["kernel_size", i64(m.kernelSize)], ["stride", i64(m.stride)], ["padding", i64([0, 0])]]),
      outShape: out,
    };
  }
  if (m instanceof Flatten) {
    return { type: "Flatten", params: new Map([["input_type", i64(shape)], ["start_dim", i64([0], [])], ["end_dim", i64([-1], [])]]), outShape: [numel(shape)] };
  }
  if (m instanceof SpikingLayer) return spikingNode(m, where, shape, ctx, prev);
  if (m instanceof ExpLeak) return expLeakNode(m, where, shape, ctx, prev);
  throw new ConfigError(`toNIR: ${where} has no NIR equivalent; supported: Linear, Conv2d, SumPool2d, AvgPool2d, Flatten, Dropout (skipped), LIF, IAF, ExpLeak`);
}

/** Per-neuron values expanded to the neuron count n (one value broadcasts). */
function perNeuron(v: number[] | null, n: number, where: string, what: string): number[] | null {
  if (!v) return null;
  if (v.length === n) return v;
  if (v.length === 1) return new Array<number>(n).fill(v[0]!);
  throw new ShapeError(`toNIR: ${where} has ${v.length} values of ${what} but ${n} neurons arrive from the previous layer`);
}

/**
 * The gain the target assumes, as the r it implies (null: it honours r). Our true per-step gain g becomes
 * r = g/(1 − α); a target that ignores r computes (1 − α)·r_T instead, so the ratio is folded into the
 * weights of the layer before.
 */
function targetR(gain: GainConvention, alpha: number): number | null {
  if (gain === "unit") return 1;
  if (gain === "unnormalised") return 1 / (1 - alpha);
  return null;
}

/** Scales the incoming Affine/Linear rows or Conv2d channels by c (per neuron of the next layer). */
function foldInto(prev: NirNode, c: number[], where: string, shape: number[]): void {
  if (c.every((x) => x === 1)) return;
  const scale = (key: string, per: (row: number) => number) => {
    const v = prev.params.get(key);
    if (!v || v.kind !== "num") return;
    const rows = v.shape[0]!;
    const stride = v.data.length / rows;
    const out = Array.from(v.data);
    for (let r = 0; r < rows; r++) for (let k = 0; k < stride; k++) out[r * stride + k]! *= per(r);
    prev.params.set(key, { ...v, data: out });
  };
  if (prev.type === "Affine" || prev.type === "Linear") {
    scale("weight", (r) => c[r]!);
    scale("bias", (r) => c[r]!);
    return;
  }
  if (prev.type === "Conv2d" && shape.length === 3) {
    const per = shape[1]! * shape[2]!;
    const ch: number[] = [];
    for (let k = 0; k < shape[0]!; k++) {
      const seg = c.slice(k * per, (k + 1) * per);
      if (seg.some((x) => Math.abs(x - seg[0]!) > 1e-12 * Math.abs(seg[0]!))) {
        throw new ConfigError(`toNIR: ${where}: the target's gain convention needs a per-neuron weight scale that varies inside channel ${k}; a Conv2d can only take one per channel. Export without a target`);
      }
      ch.push(seg[0]!);
    }
    scale("weight", (r) => ch[r]!);
    scale("bias", (r) => ch[r]!);
    return;
  }
  throw new ConfigError(`toNIR: ${where}: the target assumes a different input gain (r) than this layer has, and the layer before it (${prev.type}) cannot absorb the scale; put a Linear or Conv2d directly before the neuron, or export without a target`);
}

function spikingNode(l: SpikingLayer, where: string, shape: number[], ctx: Ctx, prev: NirNode): Emitted {
  const n = numel(shape);
  const d = spikingDesc(l);
  const theta = perNeuron(values(l.buffer("spikeThreshold")), n, where, "spikeThreshold")!;
  const sub = perNeuron(values(l.buffer("membraneSubtract")), n, where, "the reset value")!;
  const minV = perNeuron(values(l.buffer("minVMem")), n, where, "minVMem");
  const meta = group([
    ["kind", str(l.constructor.name)],
    ["spike_fn", str(l.spikeFn.maxSpikes === 0 ? "multi" : l.spikeFn.maxSpikes === 1 ? "single" : `max:${l.spikeFn.maxSpikes}`)],
    ["reset", str(l.reset instanceof MembraneSubtract ? "subtract" : "value")],
    ["threshold_op", str(">=")],
    ["norm_input", i64([d.normInput ? 1 : 0], [])],
    ["decay_early", i64([d.decayEarly ? 1 : 0], [])],
  ]);
  if (minV) meta.children.set("min_v_mem", f64(minV, shape));
  const params = new Map<string, H5Value>();
  if (l.reset instanceof MembraneSubtract) {
    if (sub.some((m, k) => m !== theta[k])) {
      throw new ConfigError(`toNIR: ${where} subtracts a value m ≠ θ on a spike; NIR has no such reset. Use MembraneSubtract() (m = θ) before exporting`);
    }
  } else if (sub.some((v) => v !== 0)) {
    // nir ≤ 1.0.5 readers reject v_reset; written only when it carries information
    params.set("v_reset", ctx.real(sub, shape));
  }
  if (l instanceof IAF) {
    if (ctx.cubaOnly) throw new ConfigError(`toNIR: ${where}: the target imports no IF neurons (Rockpool reads CubaLIF, LI, Linear, Affine); use LIF layers`);
    params.set("r", ctx.real(new Array<number>(n).fill(1), shape));
    params.set("v_threshold", ctx.real(theta, shape));
    return { type: "IF", params: reorder(params, ["r", "v_threshold", "v_reset"]), outShape: shape, meta };
  }
  if (!(l instanceof LIF)) throw new ConfigError(`toNIR: ${where} is a spiking layer NIR export does not know; use LIF or IAF`);
  const tauSteps = l.parameter("tauMem");
  const alphas = tauSteps ? values(tauSteps)!.map((t) => Math.exp(-1 / t)) : values(l.parameter("alphaMem"))!;
  const alpha = perNeuron(alphas, n, where, "tauMem")!;
  const tauS = alpha.map((a) => -1 / Math.log(a));
  meta.children.set("tau_steps", f64(tauSteps ? perNeuron(values(tauSteps), n, where, "tauMem")! : tauS, shape));
  const tau = alpha.map((a) => tauFromAlpha(a, ctx.dt, ctx.disc));
  const g = alpha.map((a) => (d.normInput ? 1 - a : 1));
  let r = alpha.map((a, k) => g[k]! / (1 - a));
  const fold = alpha.map((a, k) => {
    const rt = targetR(ctx.gain, a);
    return rt === null ? 1 : r[k]! / rt;
  });
  if (ctx.gain !== "honoured") r = alpha.map((a, k) => targetR(ctx.gain, a) ?? r[k]!);
  const synTau = perNeuron(values(l.parameter("tauSyn")), n, where, "tauSyn");
  if (synTau && ctx.noSynapse) throw new ConfigError(`toNIR: ${where} has a synapse (tauSyn), which the ${ctx.target} reader does not model (it imports no CubaLIF); train without tauSyn or export without a target`);
  if (synTau || ctx.cubaOnly) {
    // without a synapse (Rockpool): α_s ≈ 0 and w_in = 1 make the synapse pass the input through
    const alphaS = synTau ? synTau.map((t) => Math.exp(-1 / t)) : new Array<number>(n).fill(0);
    const tauSyn = synTau ? alphaS.map((a) => tauFromAlpha(a, ctx.dt, ctx.disc)) : new Array<number>(n).fill(1e-6 * ctx.dt);
    const wIn = alphaS.map((a) => (synTau && d.decayEarly ? a : 1) / (1 - a));
    if (synTau) meta.children.set("tau_syn_steps", f64(synTau, shape));
    foldInto(prev, fold, where, shape);
    params.set("tau_syn", ctx.real(tauSyn, shape));
    params.set("tau_mem", ctx.real(tau, shape));
    params.set("r", ctx.real(r, shape));
    params.set("v_leak", ctx.real(new Array<number>(n).fill(0), shape));
    params.set("v_threshold", ctx.real(theta, shape));
    params.set("w_in", ctx.real(wIn, shape));
    return { type: "CubaLIF", params: reorder(params, ["tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"]), outShape: shape, meta };
  }
  foldInto(prev, fold, where, shape);
  params.set("tau", ctx.real(tau, shape));
  params.set("r", ctx.real(r, shape));
  params.set("v_leak", ctx.real(new Array<number>(n).fill(0), shape));
  params.set("v_threshold", ctx.real(theta, shape));
  return { type: "LIF", params: reorder(params, ["tau", "r", "v_leak", "v_threshold", "v_reset"]), outShape: shape, meta };
}

function expLeakNode(l: ExpLeak, where: string, shape: number[], ctx: Ctx, prev: NirNode): Emitted {
  const n = numel(shape);
  const tauP = l.parameter("tauMem");
  const alpha = perNeuron(tauP ? values(tauP)!.map((t) => Math.exp(-1 / t)) : values(l.parameter("alphaMem"))!, n, where, "tauMem")!;
  const g = alpha.map((a) => (l.normInput ? 1 - a : 1) * (l.decayEarly ? a : 1));
  let r = alpha.map((a, k) => g[k]! / (1 - a));
  const fold = alpha.map((a, k) => {
    const rt = targetR(ctx.gain, a);
    return rt === null ? 1 : r[k]! / rt;
  });
  if (ctx.gain !== "honoured") r = alpha.map((a, k) => targetR(ctx.gain, a) ?? r[k]!);
  // sinabs imports LI only with r = 1, which it then runs unnormalised (v ← αv + x): write what it accepts
  if (ctx.target === "sinabs") r = r.map(() => 1);
  foldInto(prev, fold, where, shape);
  const meta = group([
    ["kind", str("ExpLeak")],
    ["norm_input", i64([l.normInput ? 1 : 0], [])],
    ["decay_early", i64([l.decayEarly ? 1 : 0], [])],
    ["tau_steps", f64(tauP ? perNeuron(values(tauP), n, where, "tauMem")! : alpha.map((a) => -1 / Math.log(a)), shape)],
  ]);
  return {
    type: "LI",
    params: new Map<string, H5Value>([
      ["tau", ctx.real(alpha.map((a) => tauFromAlpha(a, ctx.dt, ctx.disc)), shape)],
      ["r", ctx.real(r, shape)],
      ["v_leak", ctx.real(new Array<number>(n).fill(0), shape)],
    ]),
    outShape: shape,
    meta,
  };
}

/** Dataset order as nir writes it (readers ignore order; this keeps h5dump output familiar). */
function reorder(p: Map<string, H5Value>, keys: string[]): Map<string, H5Value> {
  return new Map(keys.filter((k) => p.has(k)).map((k) => [k, p.get(k)!]));
}
