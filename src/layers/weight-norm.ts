/**
 * Weight normalisation (Salimans & Kingma 2016; torch.nn.utils.weight_norm with dim=0): the weight is
 * reparametrised as w = g · v / ‖v‖ with one norm per output unit, so direction and scale train
 * separately. The paper's DVS network uses it on its conv layers. Parameters: weight_g [out,1,…], weight_v.
 */
import { noGrad } from "../tensor/autograd.js";
import { div, mul, reshape, sqrt, square, sum, tensor } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";

/** Per-output-row L2 norms of v as a plain array (used to initialise g so that w starts unchanged). */
export function rowNorms(v: Tensor): number[] {
  return noGrad(() => {
    const rows = v.shape[0]!;
    const flat = v.dataSync();
    const per = v.size / rows;
    const out: number[] = [];
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let i = 0; i < per; i++) s += flat[r * per + i]! ** 2;
      out.push(Math.sqrt(s));
    }
    return out;
  });
}

/** The g parameter for a given v: shape [out, 1, …, 1], value ‖v_row‖. */
export function initialGain(v: Tensor): Tensor {
  const shape = v.shape.map((d, i) => (i === 0 ? d : 1));
  return tensor(rowNorms(v), shape, { dtype: v.dtype, backend: v.backend });
}

/** Differentiable w = g · v / ‖v‖ (norm over every axis but the first). */
export function weightFromNorm(g: Tensor, v: Tensor): Tensor {
  const axes = v.shape.map((_, i) => i).slice(1);
  const norm = sqrt(sum(square(v), axes, true));
  return mul(reshape(g, norm.shape), div(v, norm));
}
