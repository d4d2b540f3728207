/**
 * Optimizers over a parameter list: SGD (momentum, dampening, Nesterov), Adam and AdamW, and makeOptimizer,
 * which builds one from a run's configuration. Updates are the in-place tensor ops applySgd/applyAdam
 * (tensor/ops/inplace.ts: the backend's fused update kernels on the parameters' memory); state buffers
 * (momentum, m, v) are kept tensors, exported and restored by checkpoints so a resumed run continues bit
 * for bit.
 */
import { ConfigError } from "../errors.js";
import { keep } from "../tensor/memory.js";
import { applyAdam, applySgd, assignInPlace, zerosLike } from "../tensor/ops/index.js";
import type { Tensor } from "../tensor/tensor.js";

export interface OptimizerState {
  step: number;
  /** name → tensor (e.g. "m.3" for param 3's first moment). */
  buffers: Map<string, Tensor>;
}

export abstract class Optimizer {
  lr: number;
  stepCount = 0;
  constructor(readonly params: readonly Tensor[], lr: number) {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new ConfigError(`learning rate must be a positive finite number, got ${lr}`);
    this.lr = lr;
  }

  zeroGrad(): void {
    for (const p of this.params) {
      if (p.grad) {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  /** Applies one update to every parameter that has a gradient. */
  abstract step(): void;

  /** Named state tensors (for checkpoints). */
  abstract stateBuffers(): [string, Tensor][];

  /** Restores state tensors by name (values are copied into the optimizer's buffers). */
  loadStateBuffers(values: Map<string, Float32Array | Float64Array>, step: number): void {
    this.stepCount = step;
    this.ensureState();
    for (const [name, t] of this.stateBuffers()) {
      const v = values.get(name);
      if (!v) throw new ConfigError(`optimizer state '${name}' missing from checkpoint`);
      if (v.length !== t.size) throw new ConfigError(`optimizer state '${name}' has ${v.length} values, expected ${t.size}`);
      assignInPlace(t, v);
    }
  }

  protected abstract ensureState(): void;

  dispose(): void {
    for (const [, t] of this.stateBuffers()) t.dispose();
  }
}

function zerosKept(p: Tensor): Tensor {
  return keep(zerosLike(p));
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private bufs: Tensor[] | null = null;

  constructor(params: readonly Tensor[], opts: SgdOptions) {
    super(params, opts.lr);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = !!opts.nesterov;
    this.weightDecay = opts.weightDecay ?? 0;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ConfigError("SGD: Nesterov momentum requires momentum > 0 and dampening = 0 (as in PyTorch)");
    }
  }

  protected ensureState(): void {
    if (!this.bufs) this.bufs = this.params.map(zerosKept);
  }

  step(): void {
    this.ensureState();
    const first = this.stepCount === 0;
    this.stepCount++;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      applySgd(p, p.grad, this.bufs![i]!, {
        lr: this.lr, momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay, first,
      });
    });
  }

  stateBuffers(): [string, Tensor][] {
    return this.momentum > 0 && this.bufs ? this.bufs.map((b, i) => [`momentum.${i}`, b]) : [];
  }
}

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** AdamW: decoupled weight decay (default weight decay 0.01 as in PyTorch's AdamW when this is set). */
  decoupled?: boolean;
}

export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  private m: Tensor[] | null = null;
  private v: Tensor[] | null = null;

  constructor(params: readonly Tensor[], opts: AdamOptions) {
    super(params, opts.lr);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.decoupled = !!opts.decoupled;
    this.weightDecay = opts.weightDecay ?? (this.decoupled ? 0.01 : 0);
    for (const b of this.betas) if (!(b >= 0 && b < 1)) throw new ConfigError(`Adam: betas must be in [0, 1), got ${this.betas}`);
  }

  protected ensureState(): void {
    if (!this.m) {
      this.m = this.params.map(zerosKept);
      this.v = this.params.map(zerosKept);
    }
  }

  step(): void {
    this.ensureState();
    this.stepCount++;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      applyAdam(p, p.grad, this.m![i]!, this.v![i]!, {
        lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps,
        weightDecay: this.weightDecay, decoupled: this.decoupled, step: this.stepCount,
      });
    });
  }

  stateBuffers(): [string, Tensor][] {
    if (!this.m) return [];
    return [...this.m.map((t, i): [string, Tensor] => [`m.${i}`, t]), ...this.v!.map((t, i): [string, Tensor] => [`v.${i}`, t])];
  }
}

/** AdamW = Adam with decoupled weight decay (Loshchilov & Hutter). */
export class AdamW extends Adam {
  constructor(params: readonly Tensor[], opts: Omit<AdamOptions, "decoupled">) {
    super(params, { ...opts, decoupled: true });
  }
}

export type OptimizerName = "adam" | "adamw" | "sgd";

/** The optimizer fields of a run's configuration (TrainConfig has them). */
export interface OptimizerConfig {
  optimizer: OptimizerName;
  lr: number;
  /** Default 0 (adam, sgd) or 0.01 (adamw, as PyTorch's AdamW). */
  weightDecay?: number;
  /** SGD only; default 0.9. */
  momentum?: number;
}

export function makeOptimizer(cfg: OptimizerConfig, params: readonly Tensor[]): Optimizer {
  switch (cfg.optimizer) {
    case "adam":
      return new Adam(params, { lr: cfg.lr, weightDecay: cfg.weightDecay ?? 0 });
    case "adamw":
      return new AdamW(params, { lr: cfg.lr, weightDecay: cfg.weightDecay ?? 0.01 });
    case "sgd":
      return new SGD(params, { lr: cfg.lr, momentum: cfg.momentum ?? 0.9, weightDecay: cfg.weightDecay ?? 0 });
    default:
      throw new ConfigError(`unknown optimizer '${String(cfg.optimizer)}'; use adam, adamw or sgd`);
  }
}
