/**
 * The neuron ops: fused whole-sequence scans (LIF core with the EXODUS or SLAYER backward, leaky
 * integrator) and the elementwise spike function with a surrogate VJP that the BPTT engine composes per
 * time step. Layout: x, spikes, v are time-major [T, N]; per-neuron params have length P (row n uses n % P).
 */
import type { SurrogateSpec } from "../../kernels/contract.js";
import { ShapeError } from "../../errors.js";
import { record, recordRepeated, RepeatedGrad } from "../autograd.js";
import { fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { emptyLike, kernel, sameDevice } from "./core.js";
import { expandRepeated } from "./reduce.js";

export interface LifScanOptions {
  maxSpikes: number;
  surrogate: SurrogateSpec;
  mode: "exodus" | "slayer";
  /** "subtract" (default) or "zero" (vpost = v·(1 − s), SingleSpike; docs/gradients.md §5). */
  reset?: "subtract" | "zero";
}

function checkParam(p: Tensor, N: number, what: string): number {
  const P = p.size;
  if (P < 1 || N % P !== 0) throw new ShapeError(`${what} has ${P} values, which does not divide the ${N} neuron rows`);
  return P;
}

/**
 * docs/gradients.md §1 forward and §3 backward in one differentiable op. Returns pre-reset v and spikes. θ is
 * differentiable (docs/gradients.md §6); passing the θ tensor itself as `membraneSubtract` ties the reset to it (m = θ),
 * and its gradient then includes the reset path.
 */
export function lifScan(
  x: Tensor,
  v0: Tensor,
  alpha: Tensor,
  theta: Tensor,
  membraneSubtract: Tensor,
  minV: Tensor | null,
  opts: LifScanOptions,
): { spikes: Tensor; v: Tensor } {
  if (x.rank !== 2) throw new ShapeError(`lifScan: x must be [T, N], got ${fmt(x.shape)}`);
  const [T, N] = x.shape as [number, number];
  if (v0.size !== N) throw new ShapeError(`lifScan: initial state has ${v0.size} values for ${N} neurons`);
  const P = checkParam(alpha, N, "alpha");
  for (const [t, w] of [[theta, "threshold"], [membraneSubtract, "membrane subtract"], ...(minV ? [[minV, "minVMem"]] : [])] as [Tensor, string][]) {
    if (t.size !== P) throw new ShapeError(`lifScan: ${w} has ${t.size} values but alpha has ${P}; per-neuron parameters must match`);
  }
  sameDevice("lifScan", x, v0, alpha, theta, membraneSubtract, ...(minV ? [minV] : []));
  const spikes = emptyLike(x);
  const v = emptyLike(x);
  const at = { T, N, P, maxSpikes: opts.maxSpikes, hasMinV: !!minV, ...(opts.reset === "zero" ? { reset: "zero" as const } : {}) };
  kernel(
    x.backend,
    "lifForward",
    { x: x.buf, v0: v0.buf, alpha: alpha.buf, theta: theta.buf, sub: membraneSubtract.buf, ...(minV ? { minV: minV.buf } : {}), spikes: spikes.buf, v: v.buf },
    at,
  );
  const inputs = [x, v0, alpha, theta];
  recordRepeated(`lifScan[${opts.mode}]`, inputs, [spikes, v], ([gSIn, gVIn]) => {
    const made: Tensor[] = [];
    const full = (g: Tensor | RepeatedGrad): Tensor => {
      if (!(g instanceof RepeatedGrad)) return g;
      const f = expandRepeated(g);
      made.push(f);
      return f;
    };
    // A spike gradient that is the same at every step (a sum or mean over time and batch, e.g. a spike-count
    // loss) is read in place: its period divides N, so step t, neuron n reads base[n % gSP].
    let gs: Tensor;
    let gSP: number | undefined;
    if (gSIn instanceof RepeatedGrad && N % gSIn.base.size === 0) {
      gs = gSIn.base;
      gSP = gSIn.base.size;
    } else if (gSIn) {
      gs = full(gSIn);
    } else {
      gs = emptyLike(x);
      made.push(gs);
      kernel(x.backend, "fill", { y: gs.buf }, { n: gs.size, value: 0 });
    }
    const gV = gVIn ? full(gVIn) : null;
    const dx = emptyLike(x);
    const dv0 = emptyLike(v0);
    const dAlpha = alpha.requiresGrad ? emptyLike(alpha) : null;
    const dTheta = theta.requiresGrad ? emptyLike(theta) : null;
    kernel(
      x.backend,
      "lifBackward",
      {
        gS: gs.buf, ...(gV ? { gV: gV.buf } : {}), v: v.buf, alpha: alpha.buf, theta: theta.buf, sub: membraneSubtract.buf,
        ...(minV ? { minV: minV.buf } : {}), dx: dx.buf, dv0: dv0.buf,
        ...(dAlpha ? { spikes: spikes.buf, v0: v0.buf, dAlpha: dAlpha.buf } : {}),
        ...(dTheta ? { spikes: spikes.buf, dTheta: dTheta.buf } : {}),
      },
      {
        ...at, surrogate: opts.surrogate, mode: opts.mode, ...(gSP !== undefined ? { gSP } : {}),
        ...(dTheta && membraneSubtract === theta ? { thetaInReset: true } : {}),
      },
    );
    for (const t of made) t.dispose();
    return [dx, dv0, dAlpha, dTheta];
  });
  return { spikes, v };
}

/** y_t = α·y_{t−1} + x_t over [T, N], with the O(T) reverse backward (docs/gradients.md §10). */
export function leakyScan(x: Tensor, v0: Tensor, alpha: Tensor): Tensor {
  if (x.rank !== 2) throw new ShapeError(`leakyScan: x must be [T, N], got ${fmt(x.shape)}`);
  const [T, N] = x.shape as [number, number];
  if (v0.size !== N) throw new ShapeError(`leakyScan: initial state has ${v0.size} values for ${N} neurons`);
  const P = checkParam(alpha, N, "alpha");
  sameDevice("leakyScan", x, v0, alpha);
  const y = emptyLike(x);
  const at = { T, N, P };
  kernel(x.backend, "leakyForward", { x: x.buf, v0: v0.buf, alpha: alpha.buf, y: y.buf }, at);
  record("leakyScan", [x, v0, alpha], [y], ([g]) => {
    const dx = emptyLike(x);
    const dv0 = emptyLike(v0);
    const dAlpha = alpha.requiresGrad ? emptyLike(alpha) : null;
    kernel(
      x.backend,
      "leakyBackward",
      { gY: g!.buf, alpha: alpha.buf, dx: dx.buf, dv0: dv0.buf, ...(dAlpha ? { y: y.buf, v0: v0.buf, dAlpha: dAlpha.buf } : {}) },
      at,
    );
    return [dx, dv0, dAlpha];
  });
  return y;
}

/**
 * Elementwise spike function s = min(⌊v/θ⌋, cap)·1[v ≥ θ] with the surrogate VJP σ(v, θ)·g — the way
 * PyTorch SNN libraries write their autograd.Function. θ has P values (element i uses i % P); its
 * gradient is ∂s/∂θ = −σ (the surrogate sees v − θ, docs/gradients.md §6), summed per value.
 */
export function spikeFn(v: Tensor, theta: Tensor, maxSpikes: number, surrogate: SurrogateSpec): Tensor {
  const P = checkParam(theta, v.size, "threshold");
  sameDevice("spikeFn", v, theta);
  const s = emptyLike(v);
  kernel(v.backend, "spikeFn", { v: v.buf, theta: theta.buf, s: s.buf }, { n: v.size, P, maxSpikes });
  record("spikeFn", [v, theta], [s], ([g]) => {
    const dv = emptyLike(v);
    kernel(v.backend, "surrogateGrad", { v: v.buf, theta: theta.buf, g: g!.buf, dv: dv.buf }, { n: v.size, P, surrogate });
    if (!theta.requiresGrad) return [dv, null];
    const sums = emptyLike(theta);
    kernel(v.backend, "reduce", { x: dv.buf, y: sums.buf }, { op: "sum", outer: 1, mid: v.size / P, inner: P });
    const dTheta = emptyLike(theta);
    kernel(v.backend, "unary", { x: sums.buf, y: dTheta.buf }, { op: "neg", n: P });
    sums.dispose();
    return [dv, dTheta];
  });
  return s;
}

