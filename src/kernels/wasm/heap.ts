/**
 * The JS side's allocator of the wasm linear memory: float32 buffers and per-purpose scratch blocks, carved
 * from one bump pointer above the module's static data (heapBase) and recycled by size class, so a training
 * loop that allocates the same sizes every step reuses blocks and linear memory stops growing. Kernels never
 * allocate (assembly/index.ts): they get byte offsets of these blocks.
 */
import { ConfigError, DisposedError } from "../../errors.js";
import type { Buf, DType, MemoryStats } from "../contract.js";
import type { WasmMemory } from "./abi.js";

interface Block { ptr: number; bytes: number; buf: Buf; view: Float32Array | null }

const ALIGN = 64;
const COLOR_MIN_BYTES = 1 << 20;
const COLOR_STEP = 4160;
const COLORS = 16;
const PAGE = 65536;
let nextId = 1;

/** Size class of a block: multiples of 64 B, then eighths of the next power of two (≤ 12.5 % waste). */
export function sizeClass(bytes: number): number {
  if (bytes <= ALIGN) return ALIGN;
  const p2 = 2 ** Math.ceil(Math.log2(bytes));
  const step = Math.max(ALIGN, p2 / 8);
  return Math.ceil(bytes / step) * step;
}

export class WasmHeap {
  private top: number;
  private readonly base: number;
  private readonly freeLists = new Map<number, number[]>();
  private readonly live = new Map<number, Block>();
  private readonly scratchBlocks = new Map<string, { ptr: number; bytes: number }>();
  private bytesInUse = 0;
  private color = 0;

  /** `heapBase`: the first byte after the module's static data (its heapBase() export). */
  constructor(readonly mem: WasmMemory, heapBase: number) {
    this.base = Math.ceil(Math.max(heapBase, ALIGN) / ALIGN) * ALIGN;
    this.top = this.base;
  }

  private reserve(bytes: number): number {
    const cls = sizeClass(bytes);
    const list = this.freeLists.get(cls);
    if (list && list.length > 0) return list.pop()!;
    // Cache colouring: large blocks of one size class would otherwise sit exactly a power of two apart,
    // so the streams of a scan (v, gS, dx) collide in the same cache sets and DRAM banks. A rotating
    // offset of k·4160 B (65 lines) between new large blocks measured +25 % on the EXODUS backward.
    if (cls >= COLOR_MIN_BYTES) this.top += (this.color++ % COLORS) * COLOR_STEP;
    const ptr = this.top;
    this.top += cls;
    const need = this.top - this.mem.buffer.byteLength;
    if (need > 0) {
      // Grow by at least 1/8 of the current size so a growing workload does few (detaching) grows.
      const pages = Math.max(Math.ceil(need / PAGE), Math.ceil(this.mem.buffer.byteLength / PAGE / 8));
      try {
        this.mem.grow(pages);
      } catch {
        try {
          this.mem.grow(Math.ceil(need / PAGE));
        } catch {
          this.top -= cls;
          throw new ConfigError(
            `the wasm backend needs ${((this.top + cls) / 2 ** 30).toFixed(2)} GiB, more than one wasm memory holds (4 GiB); ` +
              `lower --batch-size or --steps, downsample the input, or free tensors the step keeps (tidy/dispose)`,
          );
        }
      }
    }
    return ptr;
  }

  private release(ptr: number, bytes: number): void {
    const cls = sizeClass(bytes);
    let list = this.freeLists.get(cls);
    if (!list) this.freeLists.set(cls, (list = []));
    list.push(ptr);
  }

  /** A reusable JS-owned scratch block per purpose (gemm packing, im2col); grows, never shrinks. */
  scratch(slot: string, bytes: number): number {
    const have = this.scratchBlocks.get(slot);
    if (have && have.bytes >= bytes) return have.ptr;
    if (have) this.release(have.ptr, have.bytes);
    const sz = sizeClass(Math.max(bytes, 64));
    const ptr = this.reserve(sz);
    this.scratchBlocks.set(slot, { ptr, bytes: sz });
    return ptr;
  }

  alloc(dtype: DType, length: number): Buf {
    if (dtype !== "float32") {
      throw new ConfigError(`wasm backend: dtype '${dtype}' is not supported (float32 only); use the ref backend for float64 (setBackend("ref"))`);
    }
    if (!Number.isInteger(length) || length < 0) throw new ConfigError(`wasm backend: invalid buffer length ${length}`);
    const bytes = length * 4;
    const ptr = this.reserve(bytes);
    const buf: Buf = { id: nextId++, dtype, length, owner: "wasm" };
    this.live.set(buf.id, { ptr, bytes, buf, view: null });
    this.bytesInUse += bytes;
    return buf;
  }

  free(buf: Buf): void {
    const b = this.live.get(buf.id);
    if (!b) {
      throw new DisposedError(`wasm backend: buffer #${buf.id} (${buf.dtype}[${buf.length}]) freed twice or never allocated here`);
    }
    this.live.delete(buf.id);
    this.bytesInUse -= b.bytes;
    this.release(b.ptr, b.bytes);
  }

  private block(buf: Buf): Block {
    const b = this.live.get(buf.id);
    if (!b) throw new DisposedError(`wasm backend: buffer #${buf.id} (${buf.dtype}[${buf.length}]) is not live here (used after free?)`);
    return b;
  }

  /** Byte offset of a live buffer, for kernel calls. */
  p(buf: Buf): number {
    return this.block(buf).ptr;
  }

  /** p() of an optional buffer; 0 (the kernels' "absent") when it is not given. */
  po(buf: Buf | undefined): number {
    return buf ? this.block(buf).ptr : 0;
  }

  /** Live view over linear memory; invalid after the next alloc/free (memory.grow detaches the buffer). */
  view(buf: Buf): Float32Array {
    const b = this.block(buf);
    if (b.view && b.view.buffer === this.mem.buffer) return b.view;
    b.view = new Float32Array(this.mem.buffer, b.ptr, buf.length);
    return b.view;
  }

  stats(): MemoryStats {
    return { bytesInUse: this.bytesInUse, bytesReserved: this.top - this.base, buffers: this.live.size };
  }

  /** Forgets every buffer and scratch block (the backend's dispose); linear memory keeps its size. */
  reset(): void {
    this.live.clear();
    this.freeLists.clear();
    this.scratchBlocks.clear();
    this.top = this.base;
    this.bytesInUse = 0;
  }
}
