/**
 * The BPTT engine: the neuron unrolled one time step at a time from generic tensor ops and differentiated
 * by the autograd tape — deliberately the way PyTorch SNN libraries do it (sinabs' lif_forward_single with
 * the EXODUS clip order, spec §1.3/§3.4). It is the reference and the speed baseline, and it never calls
 * the fused scan kernels. Arithmetic order matches the fused kernel op for op (α·(v − m·s) + x), so in
 * float32 the spikes are identical.
 */
import type { Tensor } from "../../tensor/tensor.js";
import {
  add, clampMinBy, mul, oneMinus, reshape, spikeFn, stack0, sub, unstack0,
} from "../../tensor/ops/index.js";
import type { SpikingDescription } from "../dynamics.js";
import type { SpikingEngine, SpikingParams, SpikingResult, SpikingRun } from "./types.js";

export const bpttEngine: SpikingEngine = (d: SpikingDescription, p: SpikingParams, r: SpikingRun): SpikingResult => {
  const [T, N] = r.x.shape as [number, number];
  const P = p.theta.size;
  const rows = [N / P, P];
  let vpost = reshape(r.v0, rows);
  let i = d.hasSynapse && r.i0 ? reshape(r.i0, rows) : null;
  const normFactor = d.normInput ? oneMinus(p.alphaMem) : null;
  const ss: Tensor[] = [];
  const vs: Tensor[] = [];
  const steps = unstack0(r.x);
  for (let t = 0; t < T; t++) {
    const inT = reshape(steps[t]!, rows);
    let cur = inT;
    if (i && p.alphaSyn) {
      i = add(mul(i, p.alphaSyn), d.decayEarly ? mul(inT, p.alphaSyn) : inT);
      cur = i;
    }
    if (normFactor) cur = mul(cur, normFactor);
    const u = add(mul(vpost, p.alphaMem), cur);
    const v = p.minV ? clampMinBy(u, p.minV) : u;
    const s = spikeFn(v, p.theta, d.spikeFn.maxSpikes, d.surrogate.spec);
    if (d.reset.kind === "subtract") {
      // p.sub may be the θ parameter itself (m = θ): autograd then follows θ into the reset too.
      vpost = sub(v, mul(s, p.sub));
    } else {
      // MembraneReset (SingleSpike): vpost = v·(1 − s) + r·s with s differentiable, not detached
      // (docs/gradients.md §5); r = 0 is the zero reset, written without the r·s term so the float32 ops
      // are the fused scan's.
      vpost = mul(v, oneMinus(s));
      if (d.reset.resetValue !== 0) vpost = add(vpost, mul(s, p.sub));
    }
    ss.push(s);
    vs.push(v);
  }
  return {
    spikes: reshape(stack0(ss), [T, N]),
    v: reshape(stack0(vs), [T, N]),
    vLast: reshape(vpost, [N]),
    iLast: i ? reshape(i, [N]) : null,
  };
};

/** Non-spiking leaky integrator (ExpLeak), unrolled. */
export function leakyBptt(x: Tensor, v0: Tensor, alpha: Tensor, normInput: boolean, decayEarly: boolean): Tensor {
  const [T, N] = x.shape as [number, number];
  const P = alpha.size;
  const rows = [N / P, P];
  let v = reshape(v0, rows);
  const norm = normInput ? oneMinus(alpha) : null;
  const out: Tensor[] = [];
  const steps = unstack0(x);
  for (let t = 0; t < T; t++) {
    let cur = reshape(steps[t]!, rows);
    if (norm) cur = mul(cur, norm);
    if (decayEarly) cur = mul(cur, alpha);
    v = add(mul(v, alpha), cur);
    out.push(v);
  }
  return reshape(stack0(out), [T, N]);
}
