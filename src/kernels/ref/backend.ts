/**
 * The ref backend: buffers are plain Float32Array/Float64Array on the JS heap, kernels are the ref table.
 * Slow and obviously correct; float64 capable, so gradient checks run here.
 */
import type { Backend, Buf, DType, FArray, MemoryStats } from "../contract.js";
import { kernelsOverViews } from "../array-backend.js";
import { refArrayKernels } from "./index.js";
import { DisposedError } from "../../errors.js";

let nextId = 1;

export class RefBackend implements Backend {
  readonly name = "ref" as const;
  readonly dtypes: readonly DType[] = ["float32", "float64"];
  private readonly store = new Map<number, FArray>();
  private bytes = 0;
  readonly kernels = kernelsOverViews(refArrayKernels, (b) => this.view(b));

  alloc(dtype: DType, length: number): Buf {
    const arr = dtype === "float64" ? new Float64Array(length) : new Float32Array(length);
    const buf: Buf = { id: nextId++, dtype, length, owner: "ref" };
    this.store.set(buf.id, arr);
    this.bytes += arr.byteLength;
    return buf;
  }

  free(buf: Buf): void {
    const arr = this.store.get(buf.id);
    if (!arr) throw new DisposedError(`ref backend: buffer #${buf.id} (${buf.dtype}[${buf.length}]) freed twice or never allocated here`);
    this.bytes -= arr.byteLength;
    this.store.delete(buf.id);
  }

  view(buf: Buf): FArray {
    const arr = this.store.get(buf.id);
    if (!arr) throw new DisposedError(`ref backend: buffer #${buf.id} is not live (used after free?)`);
    return arr;
  }

  upload(buf: Buf, src: ArrayLike<number>): void {
    this.view(buf).set(src);
  }

  downloadSync(buf: Buf): FArray {
    return this.view(buf).slice();
  }

  async download(buf: Buf): Promise<FArray> {
    return this.downloadSync(buf);
  }

  async sync(): Promise<void> {}

  memoryStats(): MemoryStats {
    return { bytesInUse: this.bytes, bytesReserved: this.bytes, buffers: this.store.size };
  }

  dispose(): void {
    this.store.clear();
    this.bytes = 0;
  }
}
