/**
 * Conv2d on time-major input [T, B, C, H, W]: time folds into the batch, one conv for all steps, then the
 * output is viewed as [T, B, O, H', W']. Cross-correlation with PyTorch's semantics (stride, zero padding,
 * groups = 1) and PyTorch's default initialisation (fan_in = C·kh·kw); optional weight normalisation.
 */
import { ShapeError } from "../errors.js";
import { conv2d, reshape } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";
import { pytorchUniform, type InitOptions } from "./init.js";
import { initialGain, weightFromNorm } from "./weight-norm.js";

export type Pair = number | [number, number];

export interface Conv2dOptions extends InitOptions {
  stride?: Pair;
  padding?: Pair;
  bias?: boolean;
  weightNorm?: boolean;
  /**
   * The input always holds spikes (mostly zeros, e.g. event-camera frames), whatever the tensor says:
   * conv kernels may skip the zeros. A spiking layer's output (`Tensor.spikes`) needs no declaration.
   */
  sparseInput?: boolean;
}

/** A kernel size, stride or padding as (rows, columns). */
export const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v);

export class Conv2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly weightNorm: boolean;
  readonly hasBias: boolean;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super();
    this.spikeInput = !!opts.sparseInput;
    this.kernelSize = pair(kernelSize, 1);
    this.stride = pair(opts.stride, 1);
    this.padding = pair(opts.padding, 0);
    const dims = [inChannels, outChannels, ...this.kernelSize, ...this.stride];
    if (dims.some((d) => !Number.isInteger(d) || d < 1) || this.padding.some((p) => !Number.isInteger(p) || p < 0)) {
      throw new ShapeError(`Conv2d: channels, kernel and stride must be positive integers and padding ≥ 0, got in=${inChannels} out=${outChannels} kernel=${this.kernelSize} stride=${this.stride} padding=${this.padding}`);
    }
    this.weightNorm = !!opts.weightNorm;
    this.hasBias = opts.bias ?? true;
    const fanIn = inChannels * this.kernelSize[0] * this.kernelSize[1];
    const w = pytorchUniform([outChannels, inChannels, ...this.kernelSize], fanIn, opts);
    if (this.weightNorm) {
      this.registerParameter("weight_g", initialGain(w));
      this.registerParameter("weight_v", w);
    } else {
      this.registerParameter("weight", w);
    }
    if (this.hasBias) this.registerParameter("bias", pytorchUniform([outChannels], fanIn, opts));
  }

  weight(): Tensor {
    return this.weightNorm ? weightFromNorm(this.parameter("weight_g")!, this.parameter("weight_v")!) : this.parameter("weight")!;
  }

  /** Output spatial size for an input of h × w. */
  outputSize(h: number, w: number): [number, number] {
    const [kh, kw] = this.kernelSize;
    return [
      Math.floor((h + 2 * this.padding[0] - kh) / this.stride[0]) + 1,
      Math.floor((w + 2 * this.padding[1] - kw) / this.stride[1]) + 1,
    ];
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 5 || x.shape[2] !== this.inChannels) {
      throw new ShapeError(`Conv2d(${this.inChannels}→${this.outChannels}): input must be [T, B, ${this.inChannels}, H, W], got [${x.shape.join(", ")}]`);
    }
    const [T, B, C, H, W] = x.shape as [number, number, number, number, number];
    const y = conv2d(reshape(x, [T * B, C, H, W]), this.weight(), this.parameter("bias") ?? null, { stride: this.stride, padding: this.padding, sparseInput: this.inputIsSpikes(x) });
    return reshape(y, [T, B, ...y.shape.slice(1)]);
  }

  override describe(): string {
    return `Conv2d(${this.inChannels}, ${this.outChannels}, kernel=${this.kernelSize.join("×")}, stride=${this.stride.join(",")}, padding=${this.padding.join(",")}, bias=${this.hasBias}${this.weightNorm ? ", weightNorm" : ""})`;
  }
}
