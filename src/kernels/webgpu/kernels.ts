/**
 * The webgpu kernel table: maps each kernel of the contract (contract.ts) to a WGSL program from shaders/,
 * its bindings and parameter words. Optional inputs change the program (and its cache key), never bind
 * dummies. dα of the neuron scans is written per neuron, then reduced over n % P with the reduce kernel.
 */
import { ShapeError } from "../../errors.js";
import { spikeGradPeriod, type Buf, type Conv2dAttrs, type Kernels, type Pool2dAttrs, type ReduceAttrs } from "../contract.js";
import { broadcastStrides } from "../broadcast.js";
import { type Binding, f32, type Launcher, type Param } from "./launch.js";
import type { PoolEntry } from "./pool.js";
import { surrogateParams, WG } from "./shaders/common.js";
import { conv2dBackwardDataWgsl, conv2dBackwardFilterWgsl, conv2dWgsl, pool2dBackwardWgsl, pool2dWgsl } from "./shaders/conv2d.js";
import { binaryWgsl, fillWgsl, MAX_RANK, permuteWgsl, spikeFnWgsl, surrogateGradWgsl, unaryWgsl } from "./shaders/elementwise.js";
import { GEMM_TILE, gemmWgsl } from "./shaders/gemm.js";
import { leakyBackwardWgsl, leakyForwardWgsl, lifBackwardWgsl, lifForwardWgsl } from "./shaders/lif.js";
import { adamWgsl, sgdWgsl } from "./shaders/optim.js";
import { reduceGroupWgsl, reduceThreadWgsl, softmaxCEWgsl } from "./shaders/reduce.js";

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const groups = (n: number): number => Math.ceil(n / WG);
const pad = (a: readonly number[]): number[] => [...a, ...new Array<number>(MAX_RANK - a.length).fill(0)];

export function webgpuKernels(L: Launcher): Kernels {
  const r = (name: string, buf: Buf): Binding => ({ name, write: false, entry: L.entry(buf) });
  const w = (name: string, buf: Buf): Binding => ({ name, write: true, entry: L.entry(buf) });
  const rE = (name: string, entry: PoolEntry): Binding => ({ name, write: false, entry });
  const wE = (name: string, entry: PoolEntry): Binding => ({ name, write: true, entry });

  function reduceEntries(x: Binding, y: Binding, { op, outer, mid, inner }: ReduceAttrs): void {
    const count = outer * inner;
    if (mid < 128 || count > 8192) {
      L.launch({ key: `reduce:${op}:t`, body: () => reduceThreadWgsl(op), bindings: [x, y], params: [count, mid, inner], groups: groups(count) });
      return;
    }
    // Few long rows: one workgroup per output, and for very long rows a first pass over chunks of mid.
    const chunks = Math.min(Math.ceil(mid / 8192), Math.max(1, Math.floor(65536 / count)));
    if (chunks === 1) {
      L.launch({
        key: `reduce:${op}:g`, body: () => reduceGroupWgsl(op, op === "mean"),
        bindings: [x, y], params: [count, mid, inner, mid, 1], groups: count,
      });
      return;
    }
    const len = Math.ceil(mid / chunks);
    const part = L.scratch(count * chunks * 4);
    const first = op === "mean" ? "sum" : op;
    L.launch({
      key: `reduce:${first}:g`, body: () => reduceGroupWgsl(first, false),
      bindings: [x, wE("ys", part)], params: [count * chunks, mid, inner, len, chunks], groups: count * chunks,
    });
    if (op === "mean") {
      // Σ over chunks, then ÷ mid (not ÷ chunks): a second pass with its own divisor.
      L.launch({
        key: "reduce:sum:t:scaled", body: () => reduceThreadWgsl("sum", true),
        bindings: [rE("xs", part), y], params: [count, chunks, inner, f32(1 / mid)], groups: groups(count),
      });
    } else {
      reduceEntries(rE("xs", part), y, { op, outer, mid: chunks, inner });
    }
    L.releaseScratch(part);
  }

  /** Sums per-neuron partials [N] over n % P into dAlpha [P], then releases them. */
  function reduceAlpha(partial: PoolEntry, dAlpha: Buf, N: number, P: number): void {
    reduceEntries(rE("xs", partial), w("ys", dAlpha), { op: "sum", outer: 1, mid: N / P, inner: P });
    L.releaseScratch(partial);
  }

  return {
    unary({ x, y }, { op, n, p }) {
      L.launch({ key: `unary:${op}`, body: () => unaryWgsl(op), bindings: [r("xs", x), w("ys", y)], params: [n, f32(p ?? 0)], groups: groups(n) });
    },

    binary({ a, b, y }, { op, aShape, bShape, yShape }) {
      const n = prod(yShape);
      const na = prod(aShape);
      const nb = prod(bShape);
      const mode = na === n && nb === n ? "same" : nb === 1 && na === n ? "bScalar" : na === 1 && nb === n ? "aScalar" : "bcast";
      let params: number[] = [n, 0];
      if (mode === "bcast") {
        if (yShape.length > MAX_RANK) throw new ShapeError(`webgpu binary: rank ${yShape.length} > ${MAX_RANK}`);
        params = [n, yShape.length, ...pad(yShape), ...pad(broadcastStrides(aShape, yShape)), ...pad(broadcastStrides(bShape, yShape))];
      }
      L.launch({
        key: `binary:${op}:${mode}`,
        body: () => binaryWgsl(op, mode),
        bindings: [r("as_", a), r("bs", b), w("ys", y)],
        params,
        groups: groups(n),
      });
    },

    fill({ y }, { n, value }) {
      L.launch({ key: "fill", body: fillWgsl, bindings: [w("ys", y)], params: [n, f32(value)], groups: groups(n) });
    },

    copy({ x, y }, { n, srcOffset, dstOffset }) {
      const ex = L.entry(x);
      const ey = L.entry(y);
      if (ex.gpu !== ey.gpu) return L.copy(ex, srcOffset * 4, ey, dstOffset * 4, n * 4);
      const t = L.scratch(n * 4); // WebGPU forbids copying a buffer onto itself
      L.copy(ex, srcOffset * 4, t, 0, n * 4);
      L.copy(t, 0, ey, dstOffset * 4, n * 4);
      L.releaseScratch(t);
    },

    permute({ x, y }, { shape, perm }) {
      const rank = shape.length;
      if (rank > MAX_RANK) throw new ShapeError(`webgpu permute: rank ${rank} > ${MAX_RANK}`);
      const inStrides = new Array<number>(rank);
      let acc = 1;
      for (let i = rank - 1; i >= 0; i--) {
        inStrides[i] = acc;
        acc *= shape[i]!;
      }
      const outShape = perm.map((p) => shape[p]!);
      const st = perm.map((p) => inStrides[p]!);
      L.launch({
        key: "permute",
        body: permuteWgsl,
        bindings: [r("xs", x), w("ys", y)],
        params: [acc, rank, ...pad(outShape), ...pad(st)],
        groups: groups(acc),
      });
    },

    reduce({ x, y }, at) {
      reduceEntries(r("xs", x), w("ys", y), at);
    },

    gemm({ a, b, c }, { m, n, k, transA, transB, accumulate, alpha }) {
      const tilesN = Math.ceil(n / GEMM_TILE);
      const total = Math.ceil(m / GEMM_TILE) * tilesN;
      L.launch({
        key: `gemm:${transA ? "T" : "N"}${transB ? "T" : "N"}`,
        body: () => gemmWgsl(transA, transB),
        bindings: [r("a", a), r("b", b), w("c", c)],
        params: [m, n, k, accumulate ? 1 : 0, f32(alpha ?? 1), tilesN, total],
        groups: total,
      });
    },

    conv2d({ x, w: wt, y }, at) {
      const n = at.batch * at.cOut * at.outH * at.outW;
      L.launch({ key: "conv2d", body: conv2dWgsl, bindings: [r("xs", x), r("ws", wt), w("ys", y)], params: convParams(n, at), groups: groups(n) });
    },

    conv2dBackwardData({ dy, w: wt, dx }, at) {
      const n = at.batch * at.cIn * at.h * at.w;
      L.launch({
        key: "conv2dBackwardData", body: conv2dBackwardDataWgsl,
        bindings: [r("dys", dy), r("ws", wt), w("dx", dx)], params: convParams(n, at), groups: groups(n),
      });
    },

    conv2dBackwardFilter({ x, dy, dw }, at) {
      const n = at.cOut * at.cIn * at.kh * at.kw;
      L.launch({
        key: "conv2dBackwardFilter", body: conv2dBackwardFilterWgsl,
        bindings: [r("xs", x), r("dys", dy), w("dw", dw)], params: convParams(n, at), groups: groups(n),
      });
    },

    pool2d({ x, y }, at) {
      const n = at.planes * at.outH * at.outW;
      L.launch({ key: "pool2d", body: pool2dWgsl, bindings: [r("xs", x), w("ys", y)], params: poolParams(n, at), groups: groups(n) });
    },

    pool2dBackward({ dy, dx }, at) {
      const n = at.planes * at.h * at.w;
      L.launch({ key: "pool2dBackward", body: pool2dBackwardWgsl, bindings: [r("dys", dy), w("dx", dx)], params: poolParams(n, at), groups: groups(n) });
    },

    softmaxCrossEntropy({ logits, labels, loss, dlogits }, { rows, classes }) {
      const g = !!dlogits;
      L.launch({
        key: `softmaxCE:${g}`,
        body: () => softmaxCEWgsl(g),
        bindings: [r("logits", logits), r("labels", labels), w("loss", loss), ...(dlogits ? [w("dlogits", dlogits)] : [])],
        params: [rows, classes],
        groups: groups(rows),
      });
    },

    lifForward({ x, v0, alpha, theta, sub, minV, spikes, v }, { T, N, P, maxSpikes, hasMinV, reset }) {
      const mv = hasMinV && !!minV;
      const zero = reset === "zero";
      L.launch({
        key: `lifForward:${mv}:${zero}`,
        body: () => lifForwardWgsl(mv, zero),
        bindings: [
          r("xs", x), r("v0", v0), r("alpha", alpha), r("theta", theta), ...(zero ? [] : [r("sub", sub)]),
          ...(mv ? [r("minV", minV!)] : []), w("spikes", spikes), w("vs", v),
        ],
        params: [N, T, P, maxSpikes],
        groups: groups(N),
      });
    },

    lifBackward(io, at) {
      const { gS, gV, v, alpha, theta, sub, minV, dx, dv0, spikes, v0, dAlpha, dTheta } = io;
      const { T, N, P, hasMinV, surrogate, mode } = at;
      const zero = at.reset === "zero";
      const ext = zero || !!dTheta; // the general sweep (docs/gradients.md §5–§6) recomputes spikes from v
      const shape = {
        surrogate, exodus: mode === "exodus", hasMinV: hasMinV && !!minV, hasGV: !!gV,
        dAlpha: !!(dAlpha && (spikes || ext) && v0), zero, dTheta: !!dTheta, thetaInReset: !zero && !!at.thetaInReset,
      };
      const partial = shape.dAlpha ? L.scratch(N * 4) : null;
      const partialT = dTheta ? L.scratch(N * 4) : null;
      L.launch({
        key: `lifBackward:${surrogate.type}:${mode}:${shape.hasMinV}:${shape.hasGV}:${shape.dAlpha}:${zero}:${shape.dTheta}:${shape.thetaInReset}`,
        body: () => lifBackwardWgsl(shape),
        bindings: [
          r("gS", gS), ...(gV ? [r("gV", gV)] : []), r("vs", v), r("alpha", alpha), r("theta", theta), ...(zero ? [] : [r("sub", sub)]),
          ...(shape.hasMinV ? [r("minV", minV!)] : []),
          ...(partial ? [...(ext ? [] : [r("spikes", spikes!)]), r("v0", v0!)] : []),
          w("dx", dx), w("dv0", dv0), ...(partial ? [wE("partial", partial)] : []), ...(partialT ? [wE("partialT", partialT)] : []),
        ],
        params: [N, T, P, ...surrogateParams(surrogate).map(f32), spikeGradPeriod(at) ?? 0, ...(ext ? [at.maxSpikes] : [])],
        groups: groups(N),
      });
      if (partial) reduceAlpha(partial, dAlpha!, N, P);
      if (partialT) reduceAlpha(partialT, dTheta!, N, P);
    },

    leakyForward({ x, v0, alpha, y }, { T, N, P }) {
      L.launch({
        key: "leakyForward", body: leakyForwardWgsl,
        bindings: [r("xs", x), r("v0", v0), r("alpha", alpha), w("ys", y)], params: [N, T, P], groups: groups(N),
      });
    },

    leakyBackward({ gY, alpha, dx, dv0, y, v0, dAlpha }, { T, N, P }) {
      const da = !!(dAlpha && y && v0);
      const partial = da ? L.scratch(N * 4) : null;
      L.launch({
        key: `leakyBackward:${da}`,
        body: () => leakyBackwardWgsl(da),
        bindings: [
          r("gY", gY), r("alpha", alpha), ...(partial ? [r("ys", y!), r("v0", v0!)] : []),
          w("dx", dx), w("dv0", dv0), ...(partial ? [wE("partial", partial)] : []),
        ],
        params: [N, T, P],
        groups: groups(N),
      });
      if (partial) reduceAlpha(partial, dAlpha!, N, P);
    },

    spikeFn({ v, theta, s }, { n, P, maxSpikes }) {
      L.launch({ key: "spikeFn", body: spikeFnWgsl, bindings: [r("vs", v), r("theta", theta), w("ss", s)], params: [n, P, maxSpikes], groups: groups(n) });
    },

    surrogateGrad({ v, theta, g, dv }, { n, P, surrogate }) {
      L.launch({
        key: `surrogateGrad:${surrogate.type}`,
        body: () => surrogateGradWgsl(surrogate),
        bindings: [r("vs", v), r("theta", theta), r("gs", g), w("dv", dv)],
        params: [n, P, ...surrogateParams(surrogate).map(f32)],
        groups: groups(n),
      });
    },

    adamUpdate({ p, g, m, v }, { n, lr, beta1, beta2, eps, weightDecay, decoupled, step }) {
      const bc1 = 1 - Math.pow(beta1, step);
      const bc2 = 1 - Math.pow(beta2, step);
      L.launch({
        key: `adam:${decoupled}`,
        body: () => adamWgsl(decoupled),
        bindings: [w("ps", p), r("gs", g), w("ms", m), w("vs", v)],
        params: [n, ...[lr, beta1, beta2, eps, weightDecay, bc1, bc2, 1 - beta1, 1 - beta2].map(f32)],
        groups: groups(n),
      });
    },

    sgdUpdate({ p, g, buf }, { n, lr, momentum, dampening, nesterov, weightDecay, first }) {
      const mom = momentum !== 0;
      L.launch({
        key: `sgd:${mom}:${nesterov}:${first}`,
        body: () => sgdWgsl(mom, nesterov, first),
        bindings: [w("ps", p), r("gs", g), ...(mom ? [w("buf", buf)] : [])],
        params: [n, ...[lr, momentum, dampening, weightDecay].map(f32)],
        groups: groups(n),
      });
    },
  };
}


function convParams(n: number, a: Conv2dAttrs): Param[] {
  return [n, a.batch, a.cIn, a.h, a.w, a.cOut, a.kh, a.kw, a.strideH, a.strideW, a.padH, a.padW, a.outH, a.outW];
}

function poolParams(n: number, a: Pool2dAttrs): Param[] {
  return [n, a.planes, a.h, a.w, a.kh, a.kw, a.strideH, a.strideW, a.outH, a.outW, f32(a.mode === "avg" ? 1 / (a.kh * a.kw) : 1)];
}
