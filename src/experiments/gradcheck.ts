/**
 * The gradient harness behind `exodus-snn gradcheck`: runs one spiking-core case through the EXODUS,
 * BPTT and SLAYER engines and returns spikes, pre-reset v and the gradients w.r.t. x, v0, α and θ, so
 * anyone can check EXODUS == BPTT (docs/gradients.md §3) on their own numbers. Case arrays are
 * neurons × time. θ is always differentiated, one value per neuron; with the subtractive reset and no
 * membraneSubtract the reset subtracts θ itself (m = θ), so dthreshold includes the reset path (docs/gradients.md §6).
 */
import { ConfigError, ShapeError } from "../errors.js";
import type { Backend, BackendName, DType } from "../kernels/contract.js";
import { getBackend, getBackendAsync } from "../kernels/registry.js";
import { tidy, tidyAsync } from "../tensor/memory.js";
import { add, mul, sum, tensor, transpose } from "../tensor/ops/index.js";
import { backward } from "../tensor/grad.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkAlphas, toArray, type GradientEngine, type SpikingDescription } from "../neurons/dynamics.js";
import type { SpikingEngine } from "../neurons/engines/types.js";
import { MembraneReset, MembraneSubtract } from "../neurons/reset.js";
import { MaxSpike, MultiSpike } from "../neurons/spikes.js";
import { bpttEngine, exodusEngine, slayerEngine } from "../neurons/spiking-step.js";
import { surrogateFromSpec } from "../neurons/surrogates.js";

export interface GradCase {
  dtype: DType;
  alpha: number | number[];
  threshold: number | number[];
  membraneSubtract?: number | number[];
  vInit?: number | number[];
  minVMem?: number | number[] | null;
  maxSpikes?: number | null;
  /** "subtract" (default): vpost = v − m·s; "zero": vpost = v·(1 − s), needs maxSpikes 1. */
  reset?: "subtract" | "zero";
  surrogate: { type: string } & Record<string, unknown>;
  /** neurons × time */
  x: number[][];
  gradSpikes: number[][];
  gradV?: number[][];
}

export interface GradResult {
  spikes: number[][];
  v: number[][];
  dx: number[][];
  dv0: number[];
  dalpha: number[];
  /** dL/dθ, one value per neuron. */
  dthreshold: number[];
}

const ENGINES: Record<GradientEngine, SpikingEngine> = { exodus: exodusEngine, bptt: bpttEngine, slayer: slayerEngine };

function matrix(name: string, m: unknown, rows: number | null, cols: number | null): number[][] {
  if (!Array.isArray(m) || m.length === 0) throw new ShapeError(`case.${name} must be a non-empty array of rows (neurons × time)`);
  const r = rows ?? m.length;
  if (m.length !== r) throw new ShapeError(`case.${name} has ${m.length} rows, expected ${r} (one per neuron)`);
  const c = cols ?? (Array.isArray(m[0]) ? m[0].length : -1);
  m.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== c) throw new ShapeError(`case.${name}[${i}] must have ${c} time steps`);
    row.forEach((v, j) => {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigError(`case.${name}[${i}][${j}] is ${JSON.stringify(v)}; every value must be a finite number`);
    });
  });
  return m as number[][];
}

function perNeuron(name: string, v: unknown, N: number, def: number[] | null): number[] {
  if (v === undefined) {
    if (def) return def;
    throw new ConfigError(`case.${name} is required`);
  }
  const arr = typeof v === "number" ? [v] : v;
  if (!Array.isArray(arr) || !(arr.length === 1 || arr.length === N)) {
    throw new ShapeError(`case.${name} must be a number or an array of ${N} numbers (one per neuron)`);
  }
  for (const a of arr) if (typeof a !== "number" || !Number.isFinite(a)) throw new ConfigError(`case.${name} holds ${JSON.stringify(a)}; values must be finite numbers`);
  return arr as number[];
}

/** Validates a case (ConfigError / ShapeError on problems) and returns it normalised. */
export function parseCase(raw: unknown): GradCase & { N: number; T: number } {
  if (!raw || typeof raw !== "object") throw new ConfigError("the case must be a JSON object");
  const c = raw as Record<string, unknown>;
  if (c.dtype !== "float64" && c.dtype !== "float32") throw new ConfigError(`case.dtype must be "float64" or "float32", got ${JSON.stringify(c.dtype)}`);
  const x = matrix("x", c.x, null, null);
  const N = x.length;
  const T = x[0]!.length;
  if (T < 1) throw new ShapeError("case.x needs at least one time step");
  matrix("gradSpikes", c.gradSpikes, N, T);
  if (c.gradV !== undefined) matrix("gradV", c.gradV, N, T);
  const alpha = perNeuron("alpha", c.alpha, N, null);
  checkAlphas("case", alpha);
  const threshold = perNeuron("threshold", c.threshold, N, null);
  for (const t of threshold) if (!(t > 0)) throw new ConfigError(`case.threshold must be > 0, got ${t}`);
  perNeuron("membraneSubtract", c.membraneSubtract, N, threshold);
  perNeuron("vInit", c.vInit, N, [0]);
  if (c.minVMem !== undefined && c.minVMem !== null) {
    const lo = perNeuron("minVMem", c.minVMem, N, null);
    for (let i = 0; i < Math.max(lo.length, threshold.length); i++) {
      const l = lo[lo.length === 1 ? 0 : i]!;
      const t = threshold[threshold.length === 1 ? 0 : i]!;
      if (!(t > l)) throw new ConfigError(`threshold (θ = ${t}) must be greater than minVMem (${l}); lower minVMem or raise the threshold`);
    }
  }
  if (c.maxSpikes !== undefined && c.maxSpikes !== null && (!Number.isInteger(c.maxSpikes) || (c.maxSpikes as number) < 1)) {
    throw new ConfigError(`case.maxSpikes must be null (MultiSpike) or an integer ≥ 1, got ${JSON.stringify(c.maxSpikes)}`);
  }
  if (c.reset !== undefined && c.reset !== "subtract" && c.reset !== "zero") {
    throw new ConfigError(`case.reset must be "subtract" or "zero", got ${JSON.stringify(c.reset)}`);
  }
  if (c.reset === "zero") {
    if (c.maxSpikes !== 1) throw new ConfigError(`case.reset "zero" needs SingleSpike: set "maxSpikes": 1 (got ${JSON.stringify(c.maxSpikes ?? null)})`);
    if (c.membraneSubtract !== undefined) throw new ConfigError(`case.membraneSubtract is the subtractive reset's value; remove it for "reset": "zero"`);
  }
  if (!c.surrogate || typeof c.surrogate !== "object" || typeof (c.surrogate as { type?: unknown }).type !== "string") {
    throw new ConfigError(`case.surrogate must be an object like {"type": "SingleExponential", "gradWidth": 0.5, "gradScale": 1}`);
  }
  surrogateFromSpec(c.surrogate as { type: string });
  return { ...(c as unknown as GradCase), N, T };
}

function rows(t: Tensor): number[][] {
  return (transpose(t).toArray() as number[][]).map((r) => r.map(Number));
}

/** rows() for any backend: [T, N] values read with data(), returned neurons × time. */
async function rowsAsync(t: Tensor): Promise<number[][]> {
  const [T, N] = t.shape as [number, number];
  const v = await t.data();
  return Array.from({ length: N }, (_, n) => Array.from({ length: T }, (_, s) => Number(v[s * N + n])));
}

type ParsedCase = GradCase & { N: number; T: number };
interface Graph { spikes: Tensor; v: Tensor; x: Tensor; v0: Tensor; alpha: Tensor; theta: Tensor }

/** Runs one engine on the case, on a backend that reads synchronously (ref, the default, or wasm). */
export function runEngine(c: ParsedCase, engine: GradientEngine, backend: BackendName = "ref"): GradResult {
  const be = getBackend(backend);
  return tidy(() => {
    const g = buildGraph(c, engine, be);
    const zerosN = (n: number) => new Array<number>(n).fill(0);
    return {
      spikes: rows(g.spikes),
      v: rows(g.v),
      dx: g.x.grad ? rows(g.x.grad) : c.x.map((r) => r.map(() => 0)),
      dv0: g.v0.grad ? Array.from(g.v0.grad.dataSync()) : zerosN(c.N),
      dalpha: g.alpha.grad ? Array.from(g.alpha.grad.dataSync()) : zerosN(g.alpha.size),
      dthreshold: g.theta.grad ? Array.from(g.theta.grad.dataSync()) : zerosN(c.N),
    };
  });
}

/** runEngine on any backend, webgpu included (values read asynchronously). */
export async function runEngineAsync(c: ParsedCase, engine: GradientEngine, backend: BackendName = "ref"): Promise<GradResult> {
  if (backend !== "ref" && c.dtype !== "float32") {
    throw new ConfigError(`gradcheck: the ${backend} backend computes in float32 only; set "dtype": "float32" in the case or use --device ref`);
  }
  const be = await getBackendAsync(backend);
  return tidyAsync(async () => {
    const g = buildGraph(c, engine, be);
    const zeros = (n: number) => new Array<number>(n).fill(0);
    return {
      spikes: await rowsAsync(g.spikes),
      v: await rowsAsync(g.v),
      dx: g.x.grad ? await rowsAsync(g.x.grad) : c.x.map((r) => r.map(() => 0)),
      dv0: g.v0.grad ? Array.from(await g.v0.grad.data()) : zeros(c.N),
      dalpha: g.alpha.grad ? Array.from(await g.alpha.grad.data()) : zeros(g.alpha.size),
      dthreshold: g.theta.grad ? Array.from(await g.theta.grad.data()) : zeros(c.N),
    };
  });
}

/** The case's forward through `engine` and the backward of Σ gS·s + Σ gV·v, inside the caller's scope. */
function buildGraph(c: ParsedCase, engine: GradientEngine, be: Backend): Graph {
  const { N, T } = c;
  const opts = { dtype: c.dtype, backend: be };
  const orDefault = (v: number | number[] | undefined, def: number[]): number[] => (v === undefined ? def : toArray(v));
  const alphaA = orDefault(c.alpha, [1]);
  const thetaA = orDefault(c.threshold, [1]);
  const minA = c.minVMem === undefined || c.minVMem === null ? null : orDefault(c.minVMem, [0]);
  const v0A = orDefault(c.vInit, [0]);
  const zero = c.reset === "zero";
  // Every per-neuron vector is expanded to N, so θ (and its gradient) has one value per neuron.
  const full = (a: number[]): number[] => (a.length === N ? a : new Array<number>(N).fill(a[0]!));

  const xT = tensor(c.x.flat(), [N, T], opts);
  const x = transpose(xT); // [T, N]
  x.requiresGrad = true;
  const v0 = tensor(full(v0A), [N], { ...opts, requiresGrad: true });
  const alpha = tensor(alphaA, [alphaA.length], { ...opts, requiresGrad: true });
  const alphaN = alphaA.length === N ? alpha : mul(alpha, tensor(new Array<number>(N).fill(1), [N], opts));
  const theta = tensor(full(thetaA), [N], { ...opts, requiresGrad: true });
  // m = θ unless given: then the reset reads the θ tensor itself and its gradient includes the reset path.
  const sub = zero ? tensor(new Array<number>(N).fill(0), [N], opts)
    : c.membraneSubtract === undefined ? theta : tensor(full(toArray(c.membraneSubtract)), [N], opts);
  const desc: SpikingDescription = {
    layer: "gradcheck",
    spikeFn: c.maxSpikes ? MaxSpike(c.maxSpikes) : MultiSpike,
    reset: zero ? new MembraneReset(0) : new MembraneSubtract(),
    surrogate: surrogateFromSpec(c.surrogate),
    threshold: thetaA,
    minVMem: minA,
    normInput: false,
    decayEarly: false,
    hasSynapse: false,
    integrateOnly: false,
    trainThreshold: "perNeuron",
  };
  const out = ENGINES[engine](
    desc,
    { alphaMem: alphaN, alphaSyn: null, theta, membraneSubtract: sub, minV: minA ? tensor(full(minA), [N], opts) : null },
    { x, v0, i0: null },
  );
  const gS = transpose(tensor(c.gradSpikes.flat(), [N, T], opts));
  let loss = sum(mul(out.spikes, gS));
  if (c.gradV) loss = add(loss, sum(mul(out.v, transpose(tensor(c.gradV.flat(), [N, T], opts)))));
  backward(loss);
  return { spikes: out.spikes, v: out.v, x, v0, alpha, theta };
}

export function runCase(raw: unknown): Record<GradientEngine, GradResult> {
  const c = parseCase(raw);
  return { exodus: runEngine(c, "exodus"), bptt: runEngine(c, "bptt"), slayer: runEngine(c, "slayer") };
}

/** runCase on a chosen backend (`gradcheck --device`). */
export async function runCaseOn(raw: unknown, backend: BackendName): Promise<Record<GradientEngine, GradResult>> {
  const c = parseCase(raw);
  return { exodus: await runEngineAsync(c, "exodus", backend), bptt: await runEngineAsync(c, "bptt", backend), slayer: await runEngineAsync(c, "slayer", backend) };
}

/** Normwise relative difference max|a − b| / max|b| per gradient field (absolute when b is all zero); the worst field. */
export function maxRelDiff(a: GradResult, b: GradResult): number {
  let worst = 0;
  for (const k of ["dx", "dv0", "dalpha", "dthreshold"] as const) {
    const fa = (a[k] as (number | number[])[]).flat() as number[];
    const fb = (b[k] as (number | number[])[]).flat() as number[];
    let num = 0;
    let den = 0;
    for (let i = 0; i < fa.length; i++) {
      num = Math.max(num, Math.abs(fa[i]! - fb[i]!));
      den = Math.max(den, Math.abs(fb[i]!));
    }
    worst = Math.max(worst, den === 0 ? num : num / den);
  }
  return worst;
}
