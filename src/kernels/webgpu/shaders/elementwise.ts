/**
 * WGSL elementwise kernels: unary, binary (numpy broadcasting via shape/stride words), fill, permute,
 * spikeFn (the spike count, docs/gradients.md §1), surrogateGrad (§9). Each function returns the shader body that
 * follows `header()`; its comment lists the parameter words (word 0 is reserved, see common.ts).
 * Structural choices (op, broadcast mode, surrogate type) are baked in; sizes and scalars are uniforms.
 */
import type { BinaryOp, SurrogateSpec, UnaryOp } from "../../contract.js";
import { MAIN_1D, SPIKE_FN, surrogateWgsl } from "./common.js";

/** Largest rank of broadcast / permute shapes (uniform words are fixed-size). */
export const MAX_RANK = 8;

const POW = `
// Math.pow semantics where WGSL's pow is undefined (x < 0, x = 0, y = 0).
fn jspow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (x == 0.0) { return select(inf_(), 0.0, y > 0.0); }
  let r = exp2(y * log2(abs(x)));
  if (x > 0.0) { return r; }
  if (trunc(y) != y) { return nan_(); }
  return select(r, -r, trunc(y * 0.5) * 2.0 != y);
}`;

function unaryExpr(op: UnaryOp): string {
  switch (op) {
    case "neg": return "-x";
    case "exp": return "exp(x)";
    case "log": return "log(x)";
    case "abs": return "abs(x)";
    case "sqrt": return "sqrt(x)";
    case "relu": return "select(0.0, x, x > 0.0)";
    case "sigmoid": return "1.0 / (1.0 + exp(-x))";
    // Stable tanh: exp(−2|x|) never overflows.
    case "tanh": return "sign(x) * (1.0 - exp(-2.0 * abs(x))) / (1.0 + exp(-2.0 * abs(x)))";
    case "square": return "x * x";
    case "sign": return "select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0)";
    case "reciprocal": return "1.0 / x";
    case "scale": return "p * x";
    case "addScalar": return "x + p";
    case "powScalar": return "jspow(x, p)";
    case "clampMin": return "select(x, p, x < p)";
    case "clampMax": return "select(x, p, x > p)";
    case "gtScalar": return "select(0.0, 1.0, x > p)";
    case "geScalar": return "select(0.0, 1.0, x >= p)";
    case "isNonFinite": return "select(0.0, 1.0, nonfinite_(x))";
  }
}

/** unary: y = op(x). Words: 1 n, 2 p. */
export function unaryWgsl(op: UnaryOp): string {
  return `${POW}
${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  let x = xs[gi];
  let p = pf(2u);
  ys[gi] = ${unaryExpr(op)};
}`;
}

function binaryExpr(op: BinaryOp): string {
  switch (op) {
    case "add": return "a + b";
    case "sub": return "a - b";
    case "mul": return "a * b";
    case "div": return "a / b";
    case "max": return "select(b, a, a >= b)";
    case "min": return "select(b, a, a <= b)";
    case "gt": return "select(0.0, 1.0, a > b)";
    case "ge": return "select(0.0, 1.0, a >= b)";
    case "eq": return "select(0.0, 1.0, a == b)";
    case "pow": return "jspow(a, b)";
  }
}

/**
 * binary: y = a op b. mode "same" (both full), "bScalar", "aScalar", or "bcast" (general numpy broadcasting).
 * Words: 1 n, 2 rank, then 8 yShape, 8 aStrides, 8 bStrides (bcast only, right-aligned, stride 0 = repeat).
 */
export function binaryWgsl(op: BinaryOp, mode: "same" | "bScalar" | "aScalar" | "bcast"): string {
  let idx: string;
  if (mode === "same") idx = "let ia = gi; let ib = gi;";
  else if (mode === "bScalar") idx = "let ia = gi; let ib = 0u;";
  else if (mode === "aScalar") idx = "let ia = 0u; let ib = gi;";
  else
    idx = `var ia = 0u; var ib = 0u; var rem = gi;
  let r = pu(2u);
  for (var d = 0u; d < r; d++) {
    let k = r - 1u - d;
    let dim = pu(3u + k);
    let c = rem % dim;
    rem = rem / dim;
    ia += c * pu(${3 + MAX_RANK}u + k);
    ib += c * pu(${3 + 2 * MAX_RANK}u + k);
  }`;
  return `${POW}
${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  ${idx}
  let a = as_[ia];
  let b = bs[ib];
  ys[gi] = ${binaryExpr(op)};
}`;
}

/** fill: y[i] = value. Words: 1 n, 2 value. */
export function fillWgsl(): string {
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  ys[gi] = pf(2u);
}`;
}

/** permute: y[i] = x[src(i)], out shape and source strides per output dim. Words: 1 n, 2 rank, 8 outShape, 8 strides. */
export function permuteWgsl(): string {
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  let r = pu(2u);
  var rem = gi;
  var src = 0u;
  for (var d = 0u; d < r; d++) {
    let k = r - 1u - d;
    let dim = pu(3u + k);
    src += (rem % dim) * pu(${3 + MAX_RANK}u + k);
    rem = rem / dim;
  }
  ys[gi] = xs[src];
}`;
}

/** spikeFn (BPTT path, docs/gradients.md §1): s = min(⌊v/θ⌋, cap)·1[v ≥ θ]. Words: 1 n, 2 P, 3 cap. */
export function spikeFnWgsl(): string {
  return `${SPIKE_FN}
${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  ss[gi] = spikeCount(vs[gi], theta[gi % pu(2u)], pu(3u));
}`;
}

/** surrogateGrad (BPTT path, docs/gradients.md §9): dv = σ(v, θ)·g. Words: 1 n, 2 P, 3..7 surrogate. */
export function surrogateGradWgsl(s: SurrogateSpec): string {
  return `${surrogateWgsl(s, 3)}
${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  dv[gi] = surr(vs[gi], theta[gi % pu(2u)]) * gs[gi];
}`;
}
