/**
 * Surrogate gradient functions σ(v, θ) (docs/neurons.md §2) as small value objects users can pass, inspect and
 * evaluate. Each carries a plain-data `spec` that kernels switch on.
 */
import type { SurrogateSpec } from "../kernels/contract.js";
import { surrogateValue } from "../kernels/surrogate-math.js";
import { ConfigError } from "../errors.js";

export abstract class Surrogate {
  abstract readonly spec: SurrogateSpec;
  /** σ(v, θ): the derivative used for ∂s/∂v at the pre-reset potential v. */
  value(v: number, theta: number): number {
    return surrogateValue(this.spec, v, theta);
  }
  toString(): string {
    const { type, ...rest } = this.spec;
    return `${type}(${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(", ")})`;
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new ConfigError(`${name} must be a positive finite number, got ${v}`);
  return v;
}

/** gradScale/w · exp(−|v − θ|/w), w = θ·gradWidth. The default; equals SLAYER's ρ (tauRho, scaleRho). */
export class SingleExponential extends Surrogate {
  readonly spec: SurrogateSpec;
  constructor(readonly opts: { gradWidth?: number; gradScale?: number } = {}) {
    super();
    this.spec = {
      type: "SingleExponential",
      gradWidth: positive("SingleExponential.gradWidth", opts.gradWidth ?? 0.5),
      gradScale: opts.gradScale ?? 1,
    };
  }
}

/** Peaks (= gradScale) at every multiple of θ; width not scaled by θ. */
export class PeriodicExponential extends Surrogate {
  readonly spec: SurrogateSpec;
  constructor(readonly opts: { gradWidth?: number; gradScale?: number } = {}) {
    super();
    this.spec = {
      type: "PeriodicExponential",
      gradWidth: positive("PeriodicExponential.gradWidth", opts.gradWidth ?? 0.5),
      gradScale: opts.gradScale ?? 1,
    };
  }
}

/** 1[v ≥ θ − window] / θ. */
export class Heaviside extends Surrogate {
  readonly spec: SurrogateSpec;
  constructor(readonly opts: { window?: number } = {}) {
    super();
    this.spec = { type: "Heaviside", window: opts.window ?? 1 };
  }
}

/** gradScale · N(v − θ; mu, sigma). */
export class Gaussian extends Surrogate {
  readonly spec: SurrogateSpec;
  constructor(readonly opts: { mu?: number; sigma?: number; gradScale?: number } = {}) {
    super();
    this.spec = { type: "Gaussian", mu: opts.mu ?? 0, sigma: positive("Gaussian.sigma", opts.sigma ?? 0.5), gradScale: opts.gradScale ?? 1 };
  }
}

/** gradScale·[(1+h)N(x;mu,σ) − h N(x;σ,sσ) − h N(x;−σ,sσ)], x = v − θ. */
export class MultiGaussian extends Surrogate {
  readonly spec: SurrogateSpec;
  constructor(readonly opts: { mu?: number; sigma?: number; h?: number; s?: number; gradScale?: number } = {}) {
    super();
    this.spec = {
      type: "MultiGaussian",
      mu: opts.mu ?? 0,
      sigma: positive("MultiGaussian.sigma", opts.sigma ?? 0.5),
      h: opts.h ?? 0.15,
      s: positive("MultiGaussian.s", opts.s ?? 6),
      gradScale: opts.gradScale ?? 1,
    };
  }
}

/** Builds a surrogate object from its plain-data spec (case files, configs). */
export function surrogateFromSpec(spec: { type: string } & Record<string, unknown>): Surrogate {
  const num = (k: string): number | undefined => {
    const v = spec[k];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigError(`surrogate.${k} must be a finite number, got ${JSON.stringify(v)}`);
    return v;
  };
  switch (spec.type) {
    case "SingleExponential": return new SingleExponential({ gradWidth: num("gradWidth"), gradScale: num("gradScale") });
    case "PeriodicExponential": return new PeriodicExponential({ gradWidth: num("gradWidth"), gradScale: num("gradScale") });
    case "Heaviside": return new Heaviside({ window: num("window") });
    case "Gaussian": return new Gaussian({ mu: num("mu"), sigma: num("sigma"), gradScale: num("gradScale") });
    case "MultiGaussian": return new MultiGaussian({ mu: num("mu"), sigma: num("sigma"), h: num("h"), s: num("s"), gradScale: num("gradScale") });
    default:
      throw new ConfigError(
        `unknown surrogate '${spec.type}'; use SingleExponential, PeriodicExponential, Heaviside, Gaussian or MultiGaussian`,
      );
  }
}
