/**
 * The fused LIF scans of the wasm backend (assembly/lif-forward.ts, assembly/lif-backward.ts): forward
 * (docs/gradients.md §1) and the EXODUS / SLAYER backward (§3, §4) with the α- and θ-gradients (§2, §6).
 * Threads take blocks of neuron columns (Parallel.neuronBlocks); a gradient of shared parameters is summed
 * from per-block partial rows after the call.
 */
import { spikeGradPeriod, type Kernels } from "../../contract.js";
import { surrogateArgs } from "../abi.js";
import { off } from "../plan.js";
import type { WasmContext } from "./context.js";

/**
 * Where block t (columns from s) of a scan writes its α-gradient: its own slice of dAlpha when parameters
 * are per neuron; otherwise dAlpha itself for block 0 and a scratch row (summed in by sumInto) for the rest.
 */
export function dAlphaBlock(cx: WasmContext, dAlpha: number, perNeuron: boolean, P: number, t: number, s: number): number {
  return !dAlpha ? 0 : perNeuron ? dAlpha + 4 * s : t === 0 ? dAlpha : cx.heap.scratch(`dAlpha${t}`, 4 * P);
}

export function lifKernels(cx: WasmContext): Pick<Kernels, "lifForward" | "lifBackward"> {
  const { ex, heap, par } = cx;
  return {
    lifForward: (io, at) => {
      const { T, N, P } = at;
      const { blocks, perNeuron } = par.neuronBlocks(T, N, P);
      const x = heap.p(io.x), v0 = heap.p(io.v0), alpha = heap.p(io.alpha), theta = heap.p(io.theta), sub = heap.p(io.sub);
      const minV = at.hasMinV ? heap.po(io.minV) : 0, spikes = heap.p(io.spikes), v = heap.p(io.v);
      par.run("lifForward", blocks.map(([s, e], t) => {
        const q = perNeuron ? s : 0, Pb = perNeuron ? e - s : P;
        return [x + 4 * s, v0 + 4 * s, alpha + 4 * q, theta + 4 * q, sub + 4 * q, off(minV, q), spikes + 4 * s,
          v + 4 * s, T, e - s, Pb, at.maxSpikes, heap.scratch(`lif${t}`, ex.lifScratchBytes(Pb)), N, at.reset === "zero" ? 1 : 0];
      }));
    },

    lifBackward: (io, at) => {
      const { T, N, P } = at;
      const [kind, q0, q1, q2, q3, q4, q5] = surrogateArgs(at.surrogate);
      const withAlpha = io.dAlpha && io.spikes && io.v0;
      if (io.dAlpha && !withAlpha) heap.view(io.dAlpha).fill(0, 0, P);
      const { blocks, perNeuron } = par.neuronBlocks(T, N, P);
      const gV = heap.po(io.gV), v = heap.p(io.v), alpha = heap.p(io.alpha), theta = heap.p(io.theta);
      // gS the same at every step (at.gSP): the kernel reads one row of N; a shorter period is tiled to N here.
      let gS = heap.p(io.gS);
      const gSP = spikeGradPeriod(at);
      if (gSP !== undefined && gSP !== N) {
        const row = heap.scratch("lifGS", 4 * N);
        const dst = new Float32Array(heap.mem.buffer, row, N);
        // doubling copies: log2(N / gSP) calls, not N / gSP (a JS call per period cost 5 ms at N = 65,536)
        dst.set(heap.view(io.gS).subarray(0, gSP));
        for (let len = gSP; len < N; len *= 2) dst.copyWithin(len, 0, Math.min(len, N - len));
        gS = row;
      }
      const sub = heap.p(io.sub), minV = at.hasMinV ? heap.po(io.minV) : 0, dx = heap.p(io.dx), dv0 = heap.p(io.dv0);
      const spikes = heap.po(io.spikes), v0 = heap.po(io.v0), dAlpha = withAlpha ? heap.p(io.dAlpha!) : 0;
      const dTheta = heap.po(io.dTheta);
      const parts = blocks.map(([s, e], t) => {
        const q = perNeuron ? s : 0, Pb = perNeuron ? e - s : P;
        return [off(gS, s), off(gV, s), v + 4 * s, alpha + 4 * q, theta + 4 * q, sub + 4 * q, off(minV, q), dx + 4 * s,
          dv0 + 4 * s, off(spikes, s), off(v0, s), dAlphaBlock(cx, dAlpha, perNeuron, P, t, s), T, e - s, Pb, at.mode === "exodus" ? 1 : 0, kind,
          q0, q1, q2, q3, q4, q5, heap.scratch(`lif${t}`, ex.lifScratchBytes(Pb)), at.maxSpikes, N, gSP === undefined ? 1 : 0,
          at.reset === "zero" ? 1 : 0, !dTheta ? 0 : perNeuron ? dTheta + 4 * q : t === 0 ? dTheta : heap.scratch(`dTheta${t}`, 4 * P),
          at.thetaInReset ? 1 : 0];
      });
      par.run("lifBackward", parts);
      if (dAlpha && !perNeuron) par.sumInto(dAlpha, parts.slice(1).map((pt) => pt[11]!), P);
      if (dTheta && !perNeuron) par.sumInto(dTheta, parts.slice(1).map((pt) => pt[28]!), P);
    },
  };
}
