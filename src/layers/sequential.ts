/**
 * Sequential: runs child modules in order (named "0", "1", … like torch.nn.Sequential, so parameter names
 * such as "0.weight" match PyTorch state dicts). It knows nothing of its children: whether a Linear or
 * Conv2d sees spikes is a fact of its input tensor (`Tensor.spikes`, set by spiking layers and carried by
 * Flatten, Dropout and pooling), not of the container.
 */
import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";

export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }

  /**
   * Declares the network's own input spikes (event frames, rate codes): passed to the first child, so the
   * first Linear/Conv2d (through Flatten/Dropout/pooling) also takes the spike-sparse path when a batch is
   * sparse enough (the backend measures each batch and falls back to dense). Declared on the child rather
   * than applied in forward() so that callers that run `layers` one by one (the Trainer) see it too.
   */
  override markSpikeInput(): this {
    this.spikeInput = true;
    this.layers[0]?.markSpikeInput();
    return this;
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
