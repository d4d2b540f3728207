/**
 * Flatten: [T, B, d1, d2, …] → [T, B, d1·d2·…]. Keeps the two leading (time, batch) axes, unlike
 * torch.nn.Flatten's start_dim=1, because every module here maps time-major to time-major. Spikes in,
 * spikes out (`Tensor.spikes`).
 */
import { ShapeError } from "../errors.js";
import { reshape } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";

export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    if (x.rank < 2) throw new ShapeError(`Flatten: input must be [T, B, ...], got [${x.shape.join(", ")}]`);
    const y = reshape(x, [x.shape[0]!, x.shape[1]!, -1]);
    y.spikes = this.inputIsSpikes(x);
    return y;
  }
}
