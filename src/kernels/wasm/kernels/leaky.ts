/**
 * The leaky integrator's scans of the wasm backend (assembly/leaky.ts, docs/gradients.md §10), forward and
 * backward with the α-gradient; threads take blocks of neuron columns as the LIF scans do (lif.ts).
 */
import type { Kernels } from "../../contract.js";
import { off } from "../plan.js";
import type { WasmContext } from "./context.js";
import { dAlphaBlock } from "./lif.js";

export function leakyKernels(cx: WasmContext): Pick<Kernels, "leakyForward" | "leakyBackward"> {
  const { ex, heap, par } = cx;
  return {
    leakyForward: (io, at) => {
      const { T, N, P } = at;
      const { blocks, perNeuron } = par.neuronBlocks(T, N, P);
      const x = heap.p(io.x), v0 = heap.p(io.v0), alpha = heap.p(io.alpha), y = heap.p(io.y);
      par.run("leakyForward", blocks.map(([s, e]) =>
        [x + 4 * s, v0 + 4 * s, alpha + 4 * (perNeuron ? s : 0), y + 4 * s, T, e - s, perNeuron ? e - s : P, N]));
    },

    leakyBackward: (io, at) => {
      const { T, N, P } = at;
      const withAlpha = io.dAlpha && io.y && io.v0;
      if (io.dAlpha && !withAlpha) heap.view(io.dAlpha).fill(0, 0, P);
      const { blocks, perNeuron } = par.neuronBlocks(T, N, P);
      const gY = heap.p(io.gY), alpha = heap.p(io.alpha), dx = heap.p(io.dx), dv0 = heap.p(io.dv0);
      const y = heap.po(io.y), v0 = heap.po(io.v0), dAlpha = withAlpha ? heap.p(io.dAlpha!) : 0;
      const parts = blocks.map(([s, e], t) => {
        const Pb = perNeuron ? e - s : P;
        return [gY + 4 * s, alpha + 4 * (perNeuron ? s : 0), dx + 4 * s, dv0 + 4 * s, off(y, s), off(v0, s),
          dAlphaBlock(cx, dAlpha, perNeuron, P, t, s), T, e - s,
          Pb, heap.scratch(`lif${t}`, ex.lifScratchBytes(Pb)), N];
      });
      par.run("leakyBackward", parts);
      if (dAlpha && !perNeuron) par.sumInto(dAlpha, parts.slice(1).map((pt) => pt[6]!), P);
    },
  };
}
