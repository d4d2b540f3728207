/**
 * Surrogate derivatives σ(v, θ) of docs/gradients.md §9, as one scalar function shared by the ref kernels and the
 * neuron objects (the wasm and WGSL kernels carry their own copies, tested against this one).
 */
import type { SurrogateSpec } from "./contract.js";

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function normalPdf(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return (INV_SQRT_2PI / sigma) * Math.exp(-0.5 * z * z);
}

/** σ(v, θ) for one element. */
export function surrogateValue(s: SurrogateSpec, v: number, theta: number): number {
  switch (s.type) {
    case "SingleExponential": {
      const w = theta * s.gradWidth;
      return (s.gradScale / w) * Math.exp(-Math.abs(v - theta) / w);
    }
    case "PeriodicExponential": {
      // Width is not scaled by θ; peaks (= gradScale) at every multiple of θ (sinabs #97 semantics).
      const r = v / theta - 0.5;
      const p = theta * (2 * (r - Math.floor(r)) - 1);
      const z = v < theta ? v - theta : p;
      return s.gradScale * Math.exp(-Math.abs(z) / s.gradWidth);
    }
    case "Heaviside":
      return v >= theta - s.window ? 1 / theta : 0;
    case "Gaussian":
      return s.gradScale * normalPdf(v - theta, s.mu, s.sigma);
    case "MultiGaussian": {
      const x = v - theta;
      return (
        s.gradScale *
        ((1 + s.h) * normalPdf(x, s.mu, s.sigma) -
          s.h * normalPdf(x, s.sigma, s.s * s.sigma) -
          s.h * normalPdf(x, -s.sigma, s.s * s.sigma))
      );
    }
  }
}
