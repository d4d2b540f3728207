/**
 * Tensor: shape, dtype, a reference-counted buffer on one backend, and autograd bookkeeping. No math here
 * (tensor/ops/ has the differentiable ops). Memory is released by dispose() or by the end of the step
 * scope the tensor was created in (tensor/memory.ts); tensors made outside any scope are also released
 * when garbage-collected.
 */
import type { Backend, Buf, DType, FArray } from "../kernels/contract.js";
import { ConfigError, DisposedError, ShapeError } from "../errors.js";
import { newTensorId, onCreate, onDispose } from "./memory.js";
import type { Node } from "./autograd.js";

/** A reference-counted buffer; views (reshape, detach) share one. */
export class Storage {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly buf: Buf,
  ) {}
  release(): void {
    if (--this.refs === 0) this.backend.free(this.buf);
  }
}

export class Tensor {
  /** Creation order (memory.ts hands them out; autograd asks memory.ts what was created since a mark). */
  readonly id = newTensorId();
  readonly size: number;
  requiresGrad = false;
  /** Accumulated gradient of a leaf after backward(); persistent until zeroGrad()/dispose(). */
  grad: Tensor | null = null;
  /** The op that produced this tensor (null for leaves) and which of its outputs this is. */
  node: Node | null = null;
  outIndex = 0;
  /** Optional label used in error messages (e.g. the parameter's name). */
  name?: string;
  /**
   * These values are spikes: mostly zeros (spike counts, or spikes pooled or dropped out). A spiking layer
   * sets it on its output; reshape, sum/avg pooling and Dropout carry it; matmul/linear/conv2d read it to
   * take the backend's spike-sparse path. A hint, like the kernels' aSparse/xSparse: results equal the
   * dense path's within float32 summation order.
   */
  spikes = false;
  private storage_: Storage | null;

  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    storage: Storage,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
    this.storage_ = storage;
    onCreate(this);
  }

  get backend(): Backend {
    return this.storage.backend;
  }

  get storage(): Storage {
    if (!this.storage_) {
      throw new DisposedError(
        `tensor #${this.id}${this.name ? ` '${this.name}'` : ""} [${this.shape.join(",")}] was used after its memory was released ` +
          `(dispose() or the end of its step scope); keep() it or compute it inside the scope that uses it`,
      );
    }
    return this.storage_;
  }

  get buf(): Buf {
    return this.storage.buf;
  }

  get disposed(): boolean {
    return this.storage_ === null;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Releases this tensor's reference to its memory (idempotent). */
  dispose(): void {
    if (!this.storage_) return;
    const s = this.storage_;
    this.storage_ = null;
    onDispose(this);
    s.release();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** A copy of the contents (CPU backends). */
  dataSync(): FArray {
    const b = this.backend;
    if (!b.downloadSync) {
      throw new ConfigError(`backend '${b.name}' cannot read synchronously; use 'await tensor.data()'`);
    }
    return b.downloadSync(this.buf);
  }

  async data(): Promise<FArray> {
    return this.backend.download(this.buf);
  }

  /** The single value of a one-element tensor (CPU backends). */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item() needs a one-element tensor, got shape [${this.shape.join(",")}]`);
    return this.dataSync()[0]!;
  }

  /** Nested arrays for printing and tests. */
  toArray(): unknown {
    const d = this.dataSync();
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return d[off];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /** A new tensor sharing this memory with a different shape (same size); no grad link (see ops.reshape). */
  shareAs(shape: readonly number[]): Tensor {
    const s = this.storage;
    s.refs++;
    return new Tensor(shape, this.dtype, s);
  }

  toString(): string {
    return `Tensor(${this.name ? this.name + ", " : ""}[${this.shape.join(", ")}], ${this.dtype}, ${this.backend.name})`;
  }
}
