/**
 * Sequential: runs child modules in order (named "0", "1", … like torch.nn.Sequential, so parameter names
 * such as "0.weight" match PyTorch state dicts). A Linear or Conv2d after a spiking layer (possibly through
 * Flatten/Dropout/pooling) is told its input is sparse spikes.
 */
import { SpikingLayer } from "../neurons/spiking-layer.js";
import type { Tensor } from "../tensor/tensor.js";
import { Conv2d } from "./conv2d.js";
import { Dropout } from "./dropout.js";
import { Flatten } from "./flatten.js";
import { Linear } from "./linear.js";
import { Module } from "./module.js";
import { AvgPool2d, SumPool2d } from "./pool.js";

export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
    this.markSparseInputs(false);
  }

  /**
   * Declares the network's own input spikes (event frames, rate codes): the first Linear/Conv2d then also takes
   * the spike-sparse path when a batch is sparse enough (it measures each batch and falls back to dense).
   */
  markSpikeInput(): this {
    this.markSparseInputs(true);
    return this;
  }

  private markSparseInputs(spikesIn: boolean): void {
    for (const m of this.layers) {
      if ((m instanceof Linear || m instanceof Conv2d) && spikesIn) m.sparseInput = true;
      if (m instanceof SpikingLayer) spikesIn = true;
      else if (!(m instanceof Flatten || m instanceof Dropout || m instanceof SumPool2d || m instanceof AvgPool2d)) spikesIn = false;
    }
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): Module {
    const m = this.layers[i < 0 ? this.layers.length + i : i];
    if (!m) throw new RangeError(`Sequential has ${this.layers.length} layers, no index ${i}`);
    return m;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this.layers) h = m.forward(h);
    return h;
  }
}
