/**
 * WGSL reductions: reduce over the middle axis of an [outer, mid, inner] view (sum/mean/max/min, NaN
 * propagates through max/min as in ref), and softmax cross-entropy (loss = logsumexp − logit[label];
 * dlogits = softmax − onehot). Two reduce layouts: one invocation per output (coalesced when inner is
 * large), or one workgroup per output with a shared-memory tree (when there are few, long rows).
 */
import { MAIN_1D, WG } from "./common.js";

type ReduceOp = "sum" | "max" | "min" | "mean";

function comb(op: ReduceOp): string {
  if (op === "max") return "fn comb(a: f32, b: f32) -> f32 { return select(a, b, b > a || isnan_(b)); }";
  if (op === "min") return "fn comb(a: f32, b: f32) -> f32 { return select(a, b, b < a || isnan_(b)); }";
  return "fn comb(a: f32, b: f32) -> f32 { return a + b; }";
}

function init(op: ReduceOp): string {
  return op === "max" ? "-inf_()" : op === "min" ? "inf_()" : "0.0";
}

/** One invocation per output (o, i). Words: 1 outer·inner, 2 mid, 3 inner, 4 scale (f32, with `scaled`). */
export function reduceThreadWgsl(op: ReduceOp, scaled = false): string {
  const out = scaled ? "acc * pf(4u)" : op === "mean" ? "acc / f32(mid)" : "acc";
  return `${comb(op)}
${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  let mid = pu(2u); let inner = pu(3u);
  let o = gi / inner; let i = gi % inner;
  var base = o * mid * inner + i;
  var acc = ${init(op)};
  for (var m = 0u; m < mid; m++) { acc = comb(acc, xs[base]); base += inner; }
  ys[gi] = ${out};
}`;
}

/**
 * One workgroup per (output, chunk of mid); lanes stride over the chunk, then a tree in workgroup memory.
 * With chunks > 1 this is the first pass of a two-pass reduction: y is [outer, chunks, inner].
 * Words: 1 outer·inner·chunks, 2 mid, 3 inner, 4 chunk length, 5 chunks.
 */
export function reduceGroupWgsl(op: ReduceOp, finalMean: boolean): string {
  return `${comb(op)}
var<workgroup> sh: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= pu(1u)) { return; }
  let mid = pu(2u); let inner = pu(3u); let len = pu(4u); let chunks = pu(5u);
  let c = g % chunks; let oi = g / chunks;
  let o = oi / inner; let i = oi % inner;
  let base = o * mid * inner + i;
  let m1 = min(mid, (c + 1u) * len);
  var acc = ${init(op)};
  for (var m = c * len + lid; m < m1; m += ${WG}u) { acc = comb(acc, xs[base + m * inner]); }
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { sh[lid] = comb(sh[lid], sh[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { ys[(o * chunks + c) * inner + i] = ${finalMean ? "sh[0] / f32(mid)" : "sh[0]"}; }
}`;
}

/** softmaxCrossEntropy, one invocation per row. Words: 1 rows, 2 classes. */
export function softmaxCEWgsl(withGrad: boolean): string {
  return `${MAIN_1D}
  if (gi >= pu(1u)) { return; }
  let C = pu(2u);
  let off = gi * C;
  var mx = -inf_();
  for (var c = 0u; c < C; c++) { mx = max(mx, logits[off + c]); }
  var z = 0.0;
  for (var c = 0u; c < C; c++) { z += exp(logits[off + c] - mx); }
  let lbl = u32(labels[gi]);
  loss[gi] = log(z) + mx - logits[off + lbl];
  ${withGrad ? `for (var c = 0u; c < C; c++) {
    dlogits[off + c] = exp(logits[off + c] - mx) / z - select(0.0, 1.0, c == lbl);
  }` : ""}
}`;
}
