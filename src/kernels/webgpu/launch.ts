/**
 * What a webgpu kernel hands the backend to run: a cached WGSL program, its storage bindings, scalar
 * parameter words and a workgroup count. Kept apart from backend.ts so the kernel table depends only on
 * this small interface.
 */
import type { Buf } from "../contract.js";
import type { PoolEntry } from "./pool.js";
import type { BindingDecl } from "./shaders/common.js";

/** A float parameter word (plain numbers are u32 words). */
export class F32 {
  constructor(readonly v: number) {}
}
export type Param = number | F32;
export const f32 = (v: number): F32 => new F32(v);

/** One storage binding of a launch. */
export interface Binding extends BindingDecl { entry: PoolEntry }

export interface Launch {
  /** Cache key: kernel name plus every attribute the WGSL text depends on. */
  key: string;
  /** WGSL after the header (only called on a cache miss). */
  body: () => string;
  bindings: Binding[];
  /** Parameter words 1.. (word 0 is the reserved zero). */
  params: Param[];
  /** Workgroups to run (flattened onto a 2-D grid). */
  groups: number;
}

/** The backend services kernels use. */
export interface Launcher {
  entry(buf: Buf): PoolEntry;
  scratch(bytes: number): PoolEntry;
  releaseScratch(e: PoolEntry): void;
  copy(src: PoolEntry, srcOffset: number, dst: PoolEntry, dstOffset: number, bytes: number): void;
  launch(l: Launch): void;
}
