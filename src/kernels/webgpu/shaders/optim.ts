/**
 * WGSL optimizer updates with PyTorch semantics (as ref/optim.ts): Adam / AdamW and SGD with momentum,
 * dampening, nesterov and weight decay. Bias corrections are computed on the CPU in float64 and passed in.
 */
import { MAIN_1D } from "./common.js";

/** Words: 1 n, 2 lr, 3 beta1, 4 beta2, 5 eps, 6 weightDecay, 7 bc1, 8 bc2, 9 1−beta1, 10 1−beta2 (f32; 1−β from float64). */
export function adamWgsl(decoupled: boolean): string {
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  let lr = pf(2u); let b1 = pf(3u); let b2 = pf(4u); let eps = pf(5u); let wd = pf(6u);
  var pi = ps[gi];
  var g = gs[gi];
  ${decoupled ? "pi = pi * (1.0 - lr * wd);" : "g = g + wd * pi;"}
  let mi = b1 * ms[gi] + pf(9u) * g;
  let vi = b2 * vs[gi] + pf(10u) * g * g;
  ms[gi] = mi;
  vs[gi] = vi;
  ps[gi] = pi - (lr * (mi / pf(7u))) / (sqrt(vi / pf(8u)) + eps);
}`;
}

/** Words: 1 n, 2 lr, 3 momentum, 4 dampening, 5 weightDecay (f32). */
export function sgdWgsl(momentum: boolean, nesterov: boolean, first: boolean): string {
  const mom = momentum
    ? `let b = ${first ? "d" : "pf(3u) * buf[gi] + (1.0 - pf(4u)) * d"};
  buf[gi] = b;
  d = ${nesterov ? "d + pf(3u) * b" : "b"};`
    : "";
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  var d = gs[gi] + pf(5u) * ps[gi];
  ${mom}
  ps[gi] = ps[gi] - pf(2u) * d;
}`;
}
