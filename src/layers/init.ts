/**
 * PyTorch's default initialisation for synaptic layers: kaiming_uniform(a=√5) on the weight, which works
 * out to U(±1/√fan_in), and the same bound for the bias. Matching it keeps hyper-parameters ported from
 * PyTorch scripts (sinabs, the EXODUS paper code) meaningful here.
 */
import type { BackendName, Backend, DType } from "../kernels/contract.js";
import { uniform } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Rng } from "../util/rng.js";

export interface InitOptions {
  /** Seeded generator for the initial values; default Rng(0) so an unseeded model is still reproducible. */
  rng?: Rng;
  dtype?: DType;
  backend?: Backend | BackendName;
}

/** U(−1/√fanIn, 1/√fanIn) of the given shape (kaiming_uniform with a = √5 reduces to this bound). */
export function pytorchUniform(shape: readonly number[], fanIn: number, opts: InitOptions): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return uniform(shape, opts.rng ?? new Rng(0), -bound, bound, { dtype: opts.dtype, backend: opts.backend });
}
