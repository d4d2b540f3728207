/** ref optimizer updates (PyTorch semantics for SGD with momentum/nesterov, Adam and AdamW). */
import type { ArrayKernels } from "../contract.js";

export const optim: Pick<ArrayKernels, "adamUpdate" | "sgdUpdate"> = {
  adamUpdate({ p, g, m, v }, { n, lr, beta1, beta2, eps, weightDecay, decoupled, step }) {
    const bc1 = 1 - Math.pow(beta1, step);
    const bc2 = 1 - Math.pow(beta2, step);
    for (let i = 0; i < n; i++) {
      let gi = g[i]!;
      if (decoupled) p[i] = p[i]! * (1 - lr * weightDecay);
      else if (weightDecay !== 0) gi += weightDecay * p[i]!;
      const mi = beta1 * m[i]! + (1 - beta1) * gi;
      const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i]! - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
    }
  },

  sgdUpdate({ p, g, buf }, { n, lr, momentum, dampening, nesterov, weightDecay, first }) {
    for (let i = 0; i < n; i++) {
      let d = g[i]! + weightDecay * p[i]!;
      if (momentum !== 0) {
        const b = first ? d : momentum * buf[i]! + (1 - dampening) * d;
        buf[i] = b;
        d = nesterov ? d + momentum * b : b;
      }
      p[i] = p[i]! - lr * d;
    }
  },
};
