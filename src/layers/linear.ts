/**
 * Linear: y = x·Wᵀ + b applied to every time step at once. Time is folded into the batch, so an input
 * [T, B, …, in] becomes one [T·B·…, in] gemm: synaptic layers never loop over time.
 * When the input is spikes (a spiking layer's output, `Tensor.spikes`, or declared with `sparseInput` /
 * markSpikeInput()), the backend may take its zero-skipping gemm path.
 */
import { ShapeError } from "../errors.js";
import { linear, reshape } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";
import { pytorchUniform, type InitOptions } from "./init.js";
import { initialGain, weightFromNorm } from "./weight-norm.js";

export interface LinearOptions extends InitOptions {
  /** Default true (PyTorch). The paper's networks use bias: false. */
  bias?: boolean;
  /** Reparametrise the weight as g·v/‖v‖ (parameters weight_g, weight_v). */
  weightNorm?: boolean;
  /** The input always holds spikes (mostly zeros), whatever the tensor says: pass aSparse to the gemm. */
  sparseInput?: boolean;
}

export class Linear extends Module {
  readonly weightNorm: boolean;
  readonly hasBias: boolean;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    if (!(Number.isInteger(inFeatures) && inFeatures > 0 && Number.isInteger(outFeatures) && outFeatures > 0)) {
      throw new ShapeError(`Linear: feature counts must be positive integers, got ${inFeatures} → ${outFeatures}`);
    }
    this.spikeInput = !!opts.sparseInput;
    this.weightNorm = !!opts.weightNorm;
    this.hasBias = opts.bias ?? true;
    // weight first, then bias: the same draw order as PyTorch's reset_parameters
    const w = pytorchUniform([outFeatures, inFeatures], inFeatures, opts);
    if (this.weightNorm) {
      this.registerParameter("weight_g", initialGain(w));
      this.registerParameter("weight_v", w);
    } else {
      this.registerParameter("weight", w);
    }
    if (this.hasBias) this.registerParameter("bias", pytorchUniform([outFeatures], inFeatures, opts));
  }

  /** The effective weight [out, in] (computed from g, v under weight normalisation). */
  weight(): Tensor {
    return this.weightNorm ? weightFromNorm(this.parameter("weight_g")!, this.parameter("weight_v")!) : this.parameter("weight")!;
  }

  forward(x: Tensor): Tensor {
    const inF = x.shape[x.rank - 1];
    if (x.rank < 2 || inF !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}→${this.outFeatures}): input [${x.shape.join(", ")}] must end in ${this.inFeatures} features`);
    }
    const rows = x.size / this.inFeatures;
    const y = linear(reshape(x, [rows, this.inFeatures]), this.weight(), this.parameter("bias") ?? null, { aSparse: this.inputIsSpikes(x) });
    return reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }

  override describe(): string {
    return `Linear(${this.inFeatures}, ${this.outFeatures}, bias=${this.hasBias}${this.weightNorm ? ", weightNorm" : ""})`;
  }
}
