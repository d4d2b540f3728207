/** ref reductions over the middle axis of an [outer, mid, inner] view, and softmax cross-entropy. */
import type { ArrayKernels } from "../contract.js";

export const reduce: Pick<ArrayKernels, "reduce" | "softmaxCrossEntropy"> = {
  reduce({ x, y }, { op, outer, mid, inner }) {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let base = o * mid * inner + i;
        let acc = op === "max" ? -Infinity : op === "min" ? Infinity : 0;
        for (let m = 0; m < mid; m++, base += inner) {
          const v = x[base]!;
          if (op === "max") acc = v > acc || Number.isNaN(v) ? v : acc;
          else if (op === "min") acc = v < acc || Number.isNaN(v) ? v : acc;
          else acc += v;
        }
        y[o * inner + i] = op === "mean" ? acc / mid : acc;
      }
    }
  },

  softmaxCrossEntropy({ logits, labels, loss, dlogits }, { rows, classes }) {
    for (let r = 0; r < rows; r++) {
      const off = r * classes;
      let mx = -Infinity;
      for (let c = 0; c < classes; c++) mx = Math.max(mx, logits[off + c]!);
      let z = 0;
      for (let c = 0; c < classes; c++) z += Math.exp(logits[off + c]! - mx);
      const lbl = labels[r]!;
      loss[r] = Math.log(z) + mx - logits[off + lbl]!;
      if (dlogits) {
        for (let c = 0; c < classes; c++) {
          dlogits[off + c] = Math.exp(logits[off + c]! - mx) / z - (c === lbl ? 1 : 0);
        }
      }
    }
  },
};
