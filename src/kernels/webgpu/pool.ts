/**
 * GPU buffer pool for the webgpu backend. Freed buffers go back to a free list keyed by size class and are
 * handed out again; reuse is safe without waiting because every read and write the backend issues is
 * ordered on the one device queue. Size classes: powers of two up to 4 KiB, then quarter octaves (≤ 25%
 * slack), so a training step's repeating allocation pattern is served from the pool.
 */
import { ConfigError } from "../../errors.js";
import { type GpuBuffer, type GpuDevice, Usage } from "./gpu-types.js";

export interface PoolEntry { readonly gpu: GpuBuffer; readonly bytes: number }

export class BufferPool {
  private readonly free = new Map<number, GpuBuffer[]>();
  private pooledBytes = 0;
  private liveBytes = 0;
  private liveCount = 0;

  constructor(
    private readonly device: GpuDevice,
    /** Largest storage binding the device allows (bytes). */
    readonly maxBinding: number,
  ) {}

  sizeClass(bytes: number): number {
    const b = Math.max(bytes, 4);
    let cls: number;
    if (b <= 4096) cls = Math.max(256, 2 ** Math.ceil(Math.log2(b)));
    else {
      const step = 2 ** Math.floor(Math.log2(b)) / 4;
      cls = Math.ceil(b / step) * step;
    }
    return Math.min(cls, Math.max(this.maxBinding - (this.maxBinding % 4), b));
  }

  acquire(bytes: number): PoolEntry {
    if (bytes > this.maxBinding) {
      throw new ConfigError(
        `webgpu: a buffer of ${bytes} bytes exceeds this adapter's maxStorageBufferBindingSize (${this.maxBinding}); ` +
          `use a smaller batch or sequence chunk, or the wasm backend`,
      );
    }
    const cls = this.sizeClass(bytes);
    const list = this.free.get(cls);
    let gpu = list?.pop();
    if (gpu) this.pooledBytes -= cls;
    else gpu = this.device.createBuffer({ size: cls, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST });
    this.liveBytes += cls;
    this.liveCount++;
    return { gpu, bytes: cls };
  }

  release(e: PoolEntry): void {
    let list = this.free.get(e.bytes);
    if (!list) this.free.set(e.bytes, (list = []));
    list.push(e.gpu);
    this.pooledBytes += e.bytes;
    this.liveBytes -= e.bytes;
    this.liveCount--;
  }

  /** Destroys pooled (not live) buffers. Call only with no unsubmitted commands referencing them. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }

  stats(): { bytesInUse: number; bytesReserved: number; buffers: number } {
    return { bytesInUse: this.liveBytes, bytesReserved: this.liveBytes + this.pooledBytes, buffers: this.liveCount };
  }
}
