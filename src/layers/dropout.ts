/**
 * Dropout: in training, zero each element with probability p and scale survivors by 1/(1−p); identity in
 * eval mode. Masks come from a seeded Rng (the trainer reseeds it per epoch) so runs are reproducible and
 * a resumed run draws the same masks as an uninterrupted one. Spikes in, spikes out (`Tensor.spikes`).
 */
import { ConfigError } from "../errors.js";
import { mul, tensor } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Rng } from "../util/rng.js";
import { Module } from "./module.js";

export class Dropout extends Module {
  rng: Rng;
  constructor(readonly p = 0.5, opts: { rng?: Rng } = {}) {
    super();
    if (!(p >= 0 && p < 1)) throw new ConfigError(`Dropout: p must be in [0, 1), got ${p}`);
    this.rng = opts.rng ?? new Rng(0);
  }

  forward(x: Tensor): Tensor {
    const spikes = this.inputIsSpikes(x);
    if (!this.training || this.p === 0) {
      // identity: the input itself goes on, so a declared spike input is recorded on it
      if (spikes) x.spikes = true;
      return x;
    }
    const keepScale = 1 / (1 - this.p);
    const m = new Float64Array(x.size);
    for (let i = 0; i < m.length; i++) m[i] = this.rng.random() >= this.p ? keepScale : 0;
    const y = mul(x, tensor(m, x.shape, { dtype: x.dtype, backend: x.backend }));
    y.spikes = spikes; // spikes with some zeroed and the rest scaled by 1/(1−p): still mostly zeros
    return y;
  }

  override describe(): string {
    return `Dropout(p=${this.p})`;
  }
}
