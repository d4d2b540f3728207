/**
 * The webgpu backend: WGSL kernels on Dawn (`webgpu` npm package, an optional dependency loaded lazily so
 * Node without it never loads Dawn). Data stays on the device; kernels are encoded into one command
 * encoder in call order and submitted in batches (at a download, sync, upload, or every 256 dispatches).
 * Each dispatch gets a 256-byte slot of a uniform ring for its scalar parameters; pipelines are cached by
 * kernel + structural attributes (op, transposes, surrogate type, optional inputs), so changing sizes or
 * learning rates never recompiles. float32 only.
 */
import { BackendUnavailableError, ConfigError, DisposedError, ExodusError } from "../../errors.js";
import type { Backend, Buf, DType, FArray, Kernels, MemoryStats } from "../contract.js";
import {
  type Gpu,
  type GpuAdapter,
  type GpuAdapterInfo,
  type GpuBindGroupLayout,
  type GpuBuffer,
  type GpuCommandEncoder,
  type GpuComputePipeline,
  type GpuDevice,
  MapMode,
  ShaderStage,
  Usage,
  type WebGpuModule,
} from "./gpu-types.js";
import { webgpuKernels } from "./kernels.js";
import { BufferPool, type PoolEntry } from "./pool.js";
import { F32, type Launch, type Launcher } from "./launch.js";
import { header, PARAM_SLOT_BYTES, PARAM_WORDS } from "./shaders/common.js";

const RING_SLOTS = 256;
const MAX_GROUPS = 65535;

let nextId = 1;

export class WebGpuBackend implements Backend, Launcher {
  readonly name = "webgpu" as const;
  readonly dtypes: readonly DType[] = ["float32"];
  readonly kernels: Kernels;
  private readonly live = new Map<number, PoolEntry>();
  private readonly pool: BufferPool;
  private readonly pipelines = new Map<string, GpuComputePipeline>();
  private readonly layouts = new Map<string, GpuBindGroupLayout>();
  private readonly ring: GpuBuffer;
  private readonly staging = new ArrayBuffer(RING_SLOTS * PARAM_SLOT_BYTES);
  private readonly stagingU32 = new Uint32Array(this.staging);
  private readonly stagingF32 = new Float32Array(this.staging);
  private slot = 0;
  private encoder: GpuCommandEncoder | null = null;
  private errors: string[] = [];
  private disposed = false;

  private constructor(
    private gpu: Gpu | null,
    readonly device: GpuDevice,
    readonly adapterInfo: GpuAdapterInfo | undefined,
  ) {
    const maxBinding = device.limits["maxStorageBufferBindingSize"] ?? 134217728;
    this.pool = new BufferPool(device, Math.min(maxBinding, device.limits["maxBufferSize"] ?? maxBinding));
    this.ring = device.createBuffer({ size: RING_SLOTS * PARAM_SLOT_BYTES, usage: Usage.UNIFORM | Usage.COPY_DST });
    device.onuncapturederror = (ev) => {
      if (this.errors.length < 10) this.errors.push(ev.error.message);
    };
    void device.lost.then((info) => {
      if (!this.disposed) this.errors.push(`device lost: ${info.message}`);
    });
    this.kernels = webgpuKernels(this);
  }

  /** Starts Dawn, picks an adapter and opens a device with the adapter's largest buffer limits. */
  static async create(options: string[] = []): Promise<WebGpuBackend> {
    // A browser has WebGPU as navigator.gpu; Node gets it from the `webgpu` package (Dawn).
    const nav = (globalThis as { navigator?: { gpu?: Gpu } }).navigator;
    const gpu = nav?.gpu ?? (await loadDawn()).create(options);
    const adapter: GpuAdapter | null = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) {
      throw new BackendUnavailableError(
        nav?.gpu ? "no WebGPU adapter found: this browser has WebGPU but no usable GPU adapter (headless Chromium: " +
          "launch with --enable-unsafe-webgpu for its SwiftShader adapter); use the wasm backend" :
        "no WebGPU adapter found: Dawn needs a Vulkan driver. Install your GPU's Vulkan ICD (NVIDIA: the " +
          "proprietary driver's Vulkan part; check with `vulkaninfo --summary`), or for a CPU fallback on Debian 12 " +
          "add 'deb http://deb.debian.org/debian bookworm-backports main' and run " +
          "`apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1` (lavapipe; Debian's own Mesa 22 is not found)",
      );
    }
    const want = [
      "maxStorageBufferBindingSize", "maxBufferSize", "maxStorageBuffersPerShaderStage",
      "maxComputeWorkgroupStorageSize", "maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX",
    ];
    const requiredLimits: Record<string, number> = {};
    for (const k of want) {
      const v = adapter.limits[k];
      if (typeof v === "number") requiredLimits[k] = v;
    }
    const device = await adapter.requestDevice({ requiredLimits, label: "exodus-snn" });
    return new WebGpuBackend(gpu, device, adapter.info);
  }

  // ------------------------------------------------------------------------------------------------------
  // Memory

  alloc(dtype: DType, length: number): Buf {
    if (dtype !== "float32") {
      throw new ConfigError(`webgpu backend is float32 only (asked for ${dtype}); use the ref backend for float64`);
    }
    const entry = this.pool.acquire(length * 4);
    const buf: Buf = { id: nextId++, dtype, length, owner: "webgpu" };
    this.live.set(buf.id, entry);
    return buf;
  }

  free(buf: Buf): void {
    const e = this.live.get(buf.id);
    if (!e) throw new DisposedError(`webgpu backend: buffer #${buf.id} (${buf.dtype}[${buf.length}]) freed twice or never allocated here`);
    this.live.delete(buf.id);
    this.pool.release(e);
  }

  /** The pool entry behind a Buf (for kernels). */
  entry(buf: Buf): PoolEntry {
    const e = this.live.get(buf.id);
    if (!e) throw new DisposedError(`webgpu backend: buffer #${buf.id} is not live (used after free?)`);
    return e;
  }

  /** A temporary device buffer; release with `releaseScratch` (safe right after encoding its last use). */
  scratch(bytes: number): PoolEntry {
    return this.pool.acquire(bytes);
  }

  releaseScratch(e: PoolEntry): void {
    this.pool.release(e);
  }

  upload(buf: Buf, src: ArrayLike<number>): void {
    const e = this.entry(buf);
    if (src.length > buf.length) throw new ConfigError(`webgpu upload: ${src.length} values into a buffer of ${buf.length}`);
    const data = src instanceof Float32Array ? src : Float32Array.from(src);
    this.flush(); // earlier kernels must see the old contents
    if (data.length > 0) this.device.queue.writeBuffer(e.gpu, 0, data);
  }

  async download(buf: Buf): Promise<FArray> {
    const e = this.entry(buf);
    const bytes = Math.max(4, buf.length * 4);
    const staging = this.device.createBuffer({ size: bytes, usage: Usage.MAP_READ | Usage.COPY_DST });
    this.enc().copyBufferToBuffer(e.gpu, 0, staging, 0, bytes);
    this.flush();
    try {
      await staging.mapAsync(MapMode.READ);
      this.throwErrors();
      return new Float32Array(staging.getMappedRange().slice(0, buf.length * 4));
    } finally {
      staging.destroy();
    }
  }

  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwErrors();
  }

  memoryStats(): MemoryStats {
    return this.pool.stats();
  }

  /** Returns pooled buffers to the driver. */
  trim(): void {
    this.flush();
    this.pool.trim();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.flush();
    this.device.destroy();
    this.live.clear();
    this.gpu = null; // dawn.node keeps Node alive while its GPU object is reachable
  }

  // ------------------------------------------------------------------------------------------------------
  // Encoding

  private enc(): GpuCommandEncoder {
    if (this.disposed) throw new ExodusError("webgpu backend used after dispose()");
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  /** Submits everything encoded so far (parameter slots first). */
  flush(): void {
    if (!this.encoder) return;
    if (this.slot > 0) this.device.queue.writeBuffer(this.ring, 0, this.staging, 0, this.slot * PARAM_SLOT_BYTES);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.slot = 0;
  }

  private throwErrors(): void {
    if (this.errors.length) {
      const msg = this.errors.join("\n");
      this.errors = [];
      throw new ExodusError(`webgpu: device error: ${msg}`);
    }
  }

  /** Encodes a buffer-to-buffer copy (distinct buffers) in call order. */
  copy(src: PoolEntry, srcOffset: number, dst: PoolEntry, dstOffset: number, bytes: number): void {
    if (bytes > 0) this.enc().copyBufferToBuffer(src.gpu, srcOffset, dst.gpu, dstOffset, bytes);
  }

  private layout(sig: string): GpuBindGroupLayout {
    let l = this.layouts.get(sig);
    if (!l) {
      const entries = [...sig].map((c, i) => ({
        binding: i,
        visibility: ShaderStage.COMPUTE,
        buffer: { type: c === "w" ? ("storage" as const) : c === "r" ? ("read-only-storage" as const) : ("uniform" as const) },
      }));
      l = this.device.createBindGroupLayout({ entries });
      this.layouts.set(sig, l);
    }
    return l;
  }

  /** Encodes one compute dispatch. */
  launch(l: Launch): void {
    if (l.groups <= 0) return;
    const sig = l.bindings.map((b) => (b.write ? "w" : "r")).join("") + "u";
    const key = `${l.key}|${sig}`;
    const layout = this.layout(sig);
    let pipe = this.pipelines.get(key);
    if (!pipe) {
      const code = header(l.bindings) + l.body();
      const module = this.device.createShaderModule({ code, label: l.key });
      pipe = this.device.createComputePipeline({
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: "main" },
        label: l.key,
      });
      this.pipelines.set(key, pipe);
    }
    if (l.params.length + 1 > PARAM_WORDS) throw new Error(`webgpu: too many parameters for ${l.key}`);
    if (this.slot >= RING_SLOTS) this.flush();
    const enc = this.enc();
    // An input bound to the same buffer as an output would be a writable-aliasing error: read a copy.
    const temps: PoolEntry[] = [];
    const bindings = l.bindings.map((b) => {
      if (b.write || !l.bindings.some((o) => o.write && o.entry.gpu === b.entry.gpu)) return b;
      const t = this.pool.acquire(b.entry.bytes);
      enc.copyBufferToBuffer(b.entry.gpu, 0, t.gpu, 0, b.entry.bytes);
      temps.push(t);
      return { ...b, entry: t };
    });
    const base = this.slot * PARAM_WORDS;
    this.stagingU32[base] = 0;
    l.params.forEach((p, i) => {
      if (p instanceof F32) this.stagingF32[base + 1 + i] = p.v;
      else this.stagingU32[base + 1 + i] = p >>> 0;
    });
    const group = this.device.createBindGroup({
      layout,
      entries: [
        ...bindings.map((b, i) => ({ binding: i, resource: { buffer: b.entry.gpu } })),
        { binding: bindings.length, resource: { buffer: this.ring, offset: this.slot * PARAM_SLOT_BYTES, size: PARAM_SLOT_BYTES } },
      ],
    });
    this.slot++;
    const gx = Math.min(l.groups, MAX_GROUPS);
    const gy = Math.ceil(l.groups / gx);
    if (gy > MAX_GROUPS) throw new ConfigError(`webgpu: ${l.groups} workgroups exceed the dispatch limit for ${l.key}`);
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(gx, gy);
    pass.end();
    for (const t of temps) this.pool.release(t);
  }
}

async function loadDawn(): Promise<WebGpuModule> {
  try {
    // a variable specifier: bundlers leave the optional Node-only package alone
    const spec = "webgpu";
    return (await import(spec)) as WebGpuModule;
  } catch (e) {
    throw new BackendUnavailableError(
      `the webgpu backend needs the optional npm package 'webgpu' (Dawn for Node): npm install webgpu@0.6.2 ` +
        `(${(e as Error).message})`,
    );
  }
}

/** Factory for the registry: starts Dawn and opens a device; throws BackendUnavailableError when it cannot. */
export async function createWebGpuBackend(): Promise<WebGpuBackend> {
  return WebGpuBackend.create();
}
