/**
 * The kernel contract: every numeric primitive exodus-snn runs, with its shapes and the spec equation it
 * implements, and the `Backend` interface that owns memory and runs kernels. Kernels never import tensor
 * code; tensor/ops/ calls them through kernels/registry.ts. Backward passes (EXODUS, SLAYER, conv filter
 * gradient) are just more kernels: gradients never appear in this interface.
 *
 * Conventions for every kernel:
 * - Outputs are allocated by the caller; a kernel writes all of an output (no stale data) unless an
 *   `accumulate` attribute says it adds.
 * - Attributes are plain JSON data; per-element parameters travel as buffers.
 * - Neuron sequences are time-major: a `[T, N]` block, `index = t·N + n`, neurons contiguous.
 * - Per-neuron parameters of length P are read at `n % P` (P divides N; P = 1 is a scalar). With rows ordered
 *   `n = b·F + f` this broadcasts a per-feature parameter of length F over the batch.
 */

import { ShapeError } from "../errors.js";

export type DType = "float32" | "float64";
export type BackendName = "ref" | "wasm" | "webgpu";
export type FArray = Float32Array | Float64Array;

/** A handle to memory owned by one backend. Contents are undefined until written. */
export interface Buf {
  readonly id: number;
  readonly dtype: DType;
  readonly length: number;
  readonly owner: BackendName;
}

// ---------------------------------------------------------------------------------------------------------
// Attributes

export type UnaryOp =
  | "neg" | "exp" | "log" | "abs" | "sqrt" | "relu" | "sigmoid" | "tanh" | "square" | "sign" | "reciprocal"
  | "scale" /* y = p·x */ | "addScalar" /* y = x + p */ | "powScalar" /* y = x^p */
  | "clampMin" /* y = max(x, p) */ | "clampMax" /* y = min(x, p) */
  | "gtScalar" /* y = x > p ? 1 : 0 */ | "geScalar" /* y = x >= p ? 1 : 0 */ | "isNonFinite" /* y = 1 if NaN/±Inf */;

export interface UnaryAttrs { op: UnaryOp; n: number; p?: number }

export type BinaryOp = "add" | "sub" | "mul" | "div" | "max" | "min" | "gt" | "ge" | "eq" | "pow";

/**
 * Numpy broadcasting: shapes are right-aligned; a dimension of 1 (or a missing one) repeats. yShape is the
 * output shape: both inputs broadcast to it, and it may be larger than broadcast(aShape, bShape) (that is
 * how a tensor is expanded in one pass: a = g, b = a scalar 0).
 */
export interface BinaryAttrs { op: BinaryOp; aShape: number[]; bShape: number[]; yShape: number[] }

/** y[i] = value for i in [0, n). */
export interface FillAttrs { n: number; value: number }

/** y[dstOffset + i] = x[srcOffset + i] for i in [0, n). */
export interface CopyAttrs { n: number; srcOffset: number; dstOffset: number }

/** y = x permuted: y.shape[i] = shape[perm[i]]. */
export interface PermuteAttrs { shape: number[]; perm: number[] }

/** x viewed as [outer, mid, inner]; y[o, i] = op over m of x[o, m, i]. `mean` divides by mid. */
export interface ReduceAttrs { op: "sum" | "max" | "min" | "mean"; outer: number; mid: number; inner: number }

/** c[m,n] (+)= alpha · Σ_k op(a)[m,k] · op(b)[k,n]; a is [m,k] (or [k,m] if transA), b is [k,n] (or [n,k]). */
export interface GemmAttrs {
  m: number; n: number; k: number;
  transA: boolean; transB: boolean;
  accumulate: boolean;
  alpha?: number;
  /** Caller's hint that `a` holds spikes (0/1 or small counts, mostly zero): a backend may skip zeros. */
  aSparse?: boolean;
}

/** x:[batch, cIn, h, w], w:[cOut, cIn, kh, kw], y:[batch, cOut, outH, outW]; cross-correlation as in PyTorch. */
export interface Conv2dAttrs {
  batch: number; cIn: number; h: number; w: number;
  cOut: number; kh: number; kw: number;
  strideH: number; strideW: number; padH: number; padW: number;
  outH: number; outW: number;
  /**
   * x holds spikes (mostly zeros): conv2d and conv2dBackwardFilter may skip its zeros (cost ∝ nonzeros), as
   * gemm's aSparse. A hint: results equal the dense kernels' within float32 summation order; backends
   * without such a path ignore it.
   */
  xSparse?: boolean;
}

/** x:[planes, h, w] → y:[planes, outH, outW]; window kh×kw, stride; no padding. avg = sum / (kh·kw). */
export interface Pool2dAttrs {
  mode: "sum" | "avg";
  planes: number; h: number; w: number;
  kh: number; kw: number; strideH: number; strideW: number;
  outH: number; outW: number;
}

/** logits:[rows, classes], labels:[rows] (class index as a float). loss[r] = −log softmax(logits[r])[label]. */
export interface SoftmaxCEAttrs { rows: number; classes: number }

/** Surrogate ∂s/∂v, evaluated at the pre-reset potential v (docs/gradients.md §1, §9). Plain data so kernels can switch on it. */
export type SurrogateSpec =
  | { type: "SingleExponential"; gradWidth: number; gradScale: number }
  | { type: "PeriodicExponential"; gradWidth: number; gradScale: number }
  | { type: "Heaviside"; window: number }
  | { type: "Gaussian"; mu: number; sigma: number; gradScale: number }
  | { type: "MultiGaussian"; mu: number; sigma: number; h: number; s: number; gradScale: number };

/** Shapes for the LIF scans: x, spikes, v are [T, N]; per-neuron params have length P (read at n % P). */
export interface LifAttrs {
  T: number; N: number; P: number;
  /** Spikes per step cap: 0 = MultiSpike (unlimited), 1 = SingleSpike, k = MaxSpike(k). */
  maxSpikes: number;
  /** Whether minV (θlow) is given; v is clipped to it before spiking (docs/gradients.md §1). */
  hasMinV: boolean;
  /**
   * The reset after a spike (docs/gradients.md §2, §5). "subtract" (default): vpost = v − m·s. "zero":
   * vpost = v·(1 − s), SingleSpike only (maxSpikes = 1); `sub` is then not read.
   */
  reset?: "subtract" | "zero";
}

export interface LifBackwardAttrs extends LifAttrs {
  surrogate: SurrogateSpec;
  /** exodus: factor α(1 − mσ) (docs/gradients.md §3). slayer: m := 0, factor α (§4). */
  mode: "exodus" | "slayer";
  /**
   * gS is the same at every step: gSP values (gSP divides N), step t, neuron n reads gS[n % gSP]. What a
   * sum or mean over time (and batch) hands back; the [T, N] tensor is then never written. Absent: gS is [T, N].
   */
  gSP?: number;
  /**
   * The subtract value m is the threshold itself (m = θ, one tensor): dTheta then also collects the reset's
   * θ-path −α·s_t·dx_{t+1} (docs/gradients.md §6). Ignored for reset "zero". Default false.
   */
  thetaInReset?: boolean;
}

/**
 * LifBackwardAttrs.gSP, checked for every backend: undefined when gS is [T, N], else the period, which must be a
 * positive integer dividing N. lifScan only sends such periods; any other caller gets a ShapeError here rather
 * than NaNs (ref) or a copy loop that never ends (wasm's tiling).
 */
export function spikeGradPeriod(at: LifBackwardAttrs): number | undefined {
  const p = at.gSP;
  if (p === undefined) return undefined;
  if (!(Number.isInteger(p) && p >= 1 && at.N % p === 0)) {
    throw new ShapeError(`lifBackward: gSP = ${p} must be a positive integer dividing N = ${at.N} (or absent, for a [T, N] gS)`);
  }
  return p;
}

/** Leaky integrator (synaptic current / ExpLeak): y_t = α·y_{t−1} + x_t, y_{−1} = v0. */
export interface LeakyAttrs { T: number; N: number; P: number }

export interface AdamAttrs {
  n: number; lr: number; beta1: number; beta2: number; eps: number;
  weightDecay: number;
  /** AdamW: decay applied to the weights directly instead of through the gradient. */
  decoupled: boolean;
  /** 1-based step count for bias correction. */
  step: number;
}

export interface SgdAttrs { n: number; lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number; first: boolean }

export interface SpikeAttrs { n: number; P: number; maxSpikes: number }
export interface SurrogateAttrs { n: number; P: number; surrogate: SurrogateSpec }

// ---------------------------------------------------------------------------------------------------------
// The kernel set. Backward kernels are named after the input they differentiate.

export interface Kernels {
  /** y = op(x) elementwise. */
  unary(io: { x: Buf; y: Buf }, at: UnaryAttrs): void;
  /** y = a op b with broadcasting. For comparisons y ∈ {0, 1}. */
  binary(io: { a: Buf; b: Buf; y: Buf }, at: BinaryAttrs): void;
  fill(io: { y: Buf }, at: FillAttrs): void;
  copy(io: { x: Buf; y: Buf }, at: CopyAttrs): void;
  permute(io: { x: Buf; y: Buf }, at: PermuteAttrs): void;
  reduce(io: { x: Buf; y: Buf }, at: ReduceAttrs): void;
  gemm(io: { a: Buf; b: Buf; c: Buf }, at: GemmAttrs): void;
  conv2d(io: { x: Buf; w: Buf; y: Buf }, at: Conv2dAttrs): void;
  /** dx = conv2d_x_backward(dy, w). */
  conv2dBackwardData(io: { dy: Buf; w: Buf; dx: Buf }, at: Conv2dAttrs): void;
  /** dw = conv2d_weight_backward(x, dy). */
  conv2dBackwardFilter(io: { x: Buf; dy: Buf; dw: Buf }, at: Conv2dAttrs): void;
  pool2d(io: { x: Buf; y: Buf }, at: Pool2dAttrs): void;
  pool2dBackward(io: { dy: Buf; dx: Buf }, at: Pool2dAttrs): void;
  /** loss:[rows]; dlogits (optional):[rows, classes] = softmax − onehot (not scaled). */
  softmaxCrossEntropy(io: { logits: Buf; labels: Buf; loss: Buf; dlogits?: Buf }, at: SoftmaxCEAttrs): void;

  /**
   * Spiking core forward scan, docs/gradients.md §1 (one pass over T per neuron):
   *   u_t = α(v_{t−1} − m·s_{t−1}) + x_t   (with v_{−1} − m·s_{−1} := v0),   v_t = max(u_t, θlow),
   *   s_t = min(⌊v_t/θ⌋, maxSpikes)·1[v_t ≥ θ].
   * reset "zero": u_t = α·v_{t−1}·(1 − s_{t−1}) + x_t instead (docs/gradients.md §5).
   * x, spikes, v: [T, N]; v0: [N]; alpha, theta, sub (m), minV: [P]. v is pre-reset, post-clip.
   */
  lifForward(
    io: { x: Buf; v0: Buf; alpha: Buf; theta: Buf; sub: Buf; minV?: Buf; spikes: Buf; v: Buf },
    at: LifAttrs,
  ): void;

  /**
   * Spiking core backward, docs/gradients.md §3 (O(T) reverse recursion per neuron):
   *   y_t = σ_t·gS_t + gV_t;  λ_{T−1} = y_{T−1};  λ_t = y_t + nc_{t+1}·α(1 − m·σ_t)·λ_{t+1};
   *   dx_t = nc_t·λ_t;  dv0 = α·dx_0;  dα_p = Σ_{n%P=p} Σ_t dx_t·vpost_{t−1}  (vpost_{−1} = v0).
   * mode "slayer" uses m := 0. gV optional (zero). dAlpha needs spikes and v0. gS is [T, N], or [gSP] read
   * at n % gSP when attrs.gSP is set (a gradient broadcast over time).
   * reset "zero" (docs/gradients.md §5): the factor is α(1 − s_t − v_t·σ_t) (slayer: α(1 − s_t)), spikes are
   * recomputed from v. dTheta (optional, [P]): dθ_p = Σ_{n%P=p} Σ_t −σ_t·∂L/∂s_t (+ the reset path when
   * attrs.thetaInReset), docs/gradients.md §6.
   */
  lifBackward(
    io: {
      gS: Buf; gV?: Buf; v: Buf; alpha: Buf; theta: Buf; sub: Buf; minV?: Buf;
      dx: Buf; dv0: Buf; spikes?: Buf; v0?: Buf; dAlpha?: Buf; dTheta?: Buf;
    },
    at: LifBackwardAttrs,
  ): void;

  /** y_t = α·y_{t−1} + x_t (the leaky integrator, docs/gradients.md §10). x, y: [T, N]; v0: [N]; alpha: [P]. */
  leakyForward(io: { x: Buf; v0: Buf; alpha: Buf; y: Buf }, at: LeakyAttrs): void;
  /** docs/gradients.md §10: g_t = α·g_{t+1} + gY_t; dx = g; dv0 = α·g_0; dα_p = Σ g_t·y_{t−1} (needs y, v0). */
  leakyBackward(
    io: { gY: Buf; alpha: Buf; dx: Buf; dv0: Buf; y?: Buf; v0?: Buf; dAlpha?: Buf },
    at: LeakyAttrs,
  ): void;

  /** Elementwise spike function for the BPTT path: s = min(⌊v/θ⌋, cap)·1[v ≥ θ]. v, s: [n]; theta: [P]. */
  spikeFn(io: { v: Buf; theta: Buf; s: Buf }, at: SpikeAttrs): void;
  /** dv = σ(v, θ)·g (BPTT path). */
  surrogateGrad(io: { v: Buf; theta: Buf; g: Buf; dv: Buf }, at: SurrogateAttrs): void;

  adamUpdate(io: { p: Buf; g: Buf; m: Buf; v: Buf }, at: AdamAttrs): void;
  /** buf is the momentum buffer (ignored when momentum = 0). */
  sgdUpdate(io: { p: Buf; g: Buf; buf: Buf }, at: SgdAttrs): void;
}

export type KernelName = keyof Kernels;
export type KernelIo<K extends KernelName> = Parameters<Kernels[K]>[0];
export type KernelAttrs<K extends KernelName> = Parameters<Kernels[K]>[1];

/** The same kernels over typed arrays: what CPU implementations (ref, wasm fallbacks) are written against. */
type ArrayIo<I> = { [P in keyof I]: undefined extends I[P] ? FArray | undefined : FArray };
export type ArrayKernels = { [K in KernelName]: (io: ArrayIo<KernelIo<K>>, at: KernelAttrs<K>) => void };

export interface MemoryStats {
  /** Bytes held by live buffers. */
  bytesInUse: number;
  /** Bytes the backend has reserved from the system (≥ bytesInUse; pools keep freed blocks). */
  bytesReserved: number;
  buffers: number;
}

export interface Backend {
  readonly name: BackendName;
  /** ref: float32 and float64; wasm and webgpu: float32. */
  readonly dtypes: readonly DType[];
  /** Contents undefined. */
  alloc(dtype: DType, length: number): Buf;
  /** A double free throws and names the buffer. */
  free(buf: Buf): void;
  upload(buf: Buf, src: ArrayLike<number>): void;
  /** Waits for pending work on buf; returns a copy. */
  download(buf: Buf): Promise<FArray>;
  /** CPU backends only: a copy, now. */
  downloadSync?(buf: Buf): FArray;
  /** CPU backends only: a zero-copy live view, valid until the next alloc or free. */
  view?(buf: Buf): FArray;
  /** ref exports a complete table; others may be partial (registry falls back, see registry.ts). */
  readonly kernels: Partial<Kernels>;
  /** Kernels run in call order; this waits for all. */
  sync(): Promise<void>;
  memoryStats(): MemoryStats;
  dispose(): void;
}

export const ALL_KERNELS: readonly KernelName[] = [
  "unary", "binary", "fill", "copy", "permute", "reduce", "gemm",
  "conv2d", "conv2dBackwardData", "conv2dBackwardFilter", "pool2d", "pool2dBackward",
  "softmaxCrossEntropy", "lifForward", "lifBackward", "leakyForward", "leakyBackward",
  "spikeFn", "surrogateGrad", "adamUpdate", "sgdUpdate",
] as const satisfies readonly KernelName[];
