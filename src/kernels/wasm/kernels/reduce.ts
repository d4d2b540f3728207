/**
 * Reductions and the softmax cross-entropy of the wasm backend (assembly/elementwise.ts). A reduction is cut
 * across threads by its outer index; the loss runs on one thread.
 */
import type { Kernels } from "../../contract.js";
import { REDUCE_OPS } from "../abi.js";
import type { WasmContext } from "./context.js";

export function reduceKernels({ ex, heap, par }: WasmContext): Pick<Kernels, "reduce" | "softmaxCrossEntropy"> {
  return {
    reduce: ({ x, y }, at) => {
      const px = heap.p(x), py = heap.p(y), { outer, mid, inner } = at;
      par.run("reduce", par.cut(outer, 1, outer * mid * inner).map(([s, e]) =>
        [px + 4 * s * mid * inner, py + 4 * s * inner, e - s, mid, inner, REDUCE_OPS[at.op]]));
    },

    softmaxCrossEntropy: ({ logits, labels, loss, dlogits }, at) => {
      ex.softmaxCrossEntropy(heap.p(logits), heap.p(labels), heap.p(loss), heap.po(dlogits), at.rows, at.classes);
    },
  };
}
