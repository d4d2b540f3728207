/**
 * SumPool2d and AvgPool2d on time-major input [T, B, C, H, W] (time folded into the batch). Sum pooling is
 * what sinabs uses between spiking layers (it keeps spike counts integral); average pooling is the paper's
 * DVS choice. No padding; stride defaults to the window. Spikes in, spikes out (`Tensor.spikes`): pooled
 * spikes stay mostly zeros.
 */
import { ShapeError } from "../errors.js";
import { avgPool2d, reshape, sumPool2d } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";
import type { Pair } from "./conv2d.js";

const pair = (v: Pair, name: string): [number, number] => {
  const p: [number, number] = typeof v === "number" ? [v, v] : v;
  if (p.some((d) => !Number.isInteger(d) || d < 1)) throw new ShapeError(`${name} must be positive integers, got ${p}`);
  return p;
};

abstract class Pool2dBase extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  constructor(kernelSize: Pair, stride?: Pair) {
    super();
    this.kernelSize = pair(kernelSize, `${this.constructor.name} kernel size`);
    this.stride = pair(stride ?? kernelSize, `${this.constructor.name} stride`);
  }
  protected abstract pool(x: Tensor): Tensor;
  forward(x: Tensor): Tensor {
    if (x.rank !== 5) throw new ShapeError(`${this.constructor.name}: input must be [T, B, C, H, W], got [${x.shape.join(", ")}]`);
    const [T, B, C, H, W] = x.shape as [number, number, number, number, number];
    const y = this.pool(reshape(x, [T * B, C, H, W]));
    const out = reshape(y, [T, B, ...y.shape.slice(1)]);
    out.spikes = this.inputIsSpikes(x); // pooled spikes stay mostly zeros
    return out;
  }
  override describe(): string {
    return `${this.constructor.name}(kernel=${this.kernelSize.join("×")}, stride=${this.stride.join(",")})`;
  }
}

export class SumPool2d extends Pool2dBase {
  protected pool(x: Tensor): Tensor {
    return sumPool2d(x, this.kernelSize, this.stride);
  }
}

export class AvgPool2d extends Pool2dBase {
  protected pool(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.stride);
  }
}
