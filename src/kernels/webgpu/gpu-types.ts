/**
 * The slice of the WebGPU API the webgpu backend uses, as minimal local interfaces. Why local: `webgpu`
 * (Dawn for Node) is an optional dependency, so the library must type-check without it and without
 * `@webgpu/types`. Shapes follow the WebGPU spec; only the members used here are declared.
 */

export interface GpuBuffer {
  readonly size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface GpuBindGroupLayout { readonly label: string }
export interface GpuPipelineLayout { readonly label: string }
export interface GpuBindGroup { readonly label: string }
export interface GpuShaderModule {
  getCompilationInfo?(): Promise<{ messages: readonly { type: string; message: string; lineNum: number }[] }>;
}
export interface GpuComputePipeline { getBindGroupLayout(index: number): GpuBindGroupLayout }

export interface GpuComputePass {
  setPipeline(p: GpuComputePipeline): void;
  setBindGroup(index: number, g: GpuBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface GpuCommandBuffer { readonly label: string }

export interface GpuCommandEncoder {
  beginComputePass(desc?: object): GpuComputePass;
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  clearBuffer(buf: GpuBuffer, offset?: number, size?: number): void;
  finish(): GpuCommandBuffer;
}

export interface GpuQueue {
  submit(cmds: GpuCommandBuffer[]): void;
  writeBuffer(buf: GpuBuffer, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void;
  onSubmittedWorkDone(): Promise<void>;
}

export type GpuLimits = Readonly<Record<string, number>>;

export interface GpuBindGroupLayoutEntry {
  binding: number;
  visibility: number;
  buffer: { type: "uniform" | "storage" | "read-only-storage" };
}

export interface GpuDevice {
  readonly queue: GpuQueue;
  readonly limits: GpuLimits;
  readonly lost: Promise<{ message: string; reason?: string }>;
  onuncapturederror: ((ev: { error: { message: string } }) => void) | null;
  createBuffer(desc: { size: number; usage: number; mappedAtCreation?: boolean; label?: string }): GpuBuffer;
  createShaderModule(desc: { code: string; label?: string }): GpuShaderModule;
  createBindGroupLayout(desc: { entries: GpuBindGroupLayoutEntry[] }): GpuBindGroupLayout;
  createPipelineLayout(desc: { bindGroupLayouts: GpuBindGroupLayout[] }): GpuPipelineLayout;
  createComputePipeline(desc: {
    layout: GpuPipelineLayout;
    compute: { module: GpuShaderModule; entryPoint: string };
    label?: string;
  }): GpuComputePipeline;
  createBindGroup(desc: {
    layout: GpuBindGroupLayout;
    entries: { binding: number; resource: { buffer: GpuBuffer; offset?: number; size?: number } }[];
  }): GpuBindGroup;
  createCommandEncoder(): GpuCommandEncoder;
  pushErrorScope(filter: "validation" | "out-of-memory" | "internal"): void;
  popErrorScope(): Promise<{ message: string } | null>;
  destroy(): void;
}

export interface GpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

export interface GpuAdapter {
  readonly limits: GpuLimits;
  readonly info?: GpuAdapterInfo;
  requestDevice(desc?: { requiredLimits?: Record<string, number>; label?: string }): Promise<GpuDevice>;
}

export interface Gpu {
  requestAdapter(opts?: { powerPreference?: "high-performance" | "low-power" }): Promise<GpuAdapter | null>;
}

/** What `import("webgpu")` provides. */
export interface WebGpuModule {
  create(options: string[]): Gpu;
  globals: object;
}

/** WebGPU numeric flags (GPUBufferUsage, GPUMapMode, GPUShaderStage), so no global is needed. */
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MapMode = { READ: 0x1 } as const;
export const ShaderStage = { COMPUTE: 0x4 } as const;
