/**
 * Optimizer updates of the wasm backend (assembly/optim.ts), PyTorch semantics; Adam's bias corrections are
 * computed here once per call in f64. Parameters are cut into blocks of 4 across the threads.
 */
import type { Kernels } from "../../contract.js";
import { off } from "../plan.js";
import type { WasmContext } from "./context.js";

export function optimKernels({ heap, par }: WasmContext): Pick<Kernels, "adamUpdate" | "sgdUpdate"> {
  return {
    adamUpdate: ({ p, g, m, v }, at) => {
      const invBc1 = 1 / (1 - Math.pow(at.beta1, at.step));
      const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(at.beta2, at.step));
      const pp = heap.p(p), pg = heap.p(g), pm = heap.p(m), pv = heap.p(v);
      par.run("adamUpdate", par.cut(at.n, 4, at.n).map(([s, e]) => [pp + 4 * s, pg + 4 * s, pm + 4 * s, pv + 4 * s,
        e - s, at.lr, at.beta1, at.beta2, at.eps, at.weightDecay, at.decoupled ? 1 : 0, invBc1, invSqrtBc2]));
    },

    sgdUpdate: ({ p, g, buf }, at) => {
      const pp = heap.p(p), pg = heap.p(g), pb = at.momentum !== 0 ? heap.p(buf) : 0;
      par.run("sgdUpdate", par.cut(at.n, 4, at.n).map(([s, e]) => [pp + 4 * s, pg + 4 * s, off(pb, s), e - s,
        at.lr, at.momentum, at.dampening, at.nesterov ? 1 : 0, at.weightDecay, at.first ? 1 : 0]));
    },
  };
}
