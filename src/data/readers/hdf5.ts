/**
 * Guarded HDF5 reading through h5wasm. On corrupt files the HDF5 C library can abort the wasm module
 * (which then fails every later call) or stop answering, so reads run in a worker thread with a
 * deadline; an aborted, hung or crashed worker is replaced and the caller gets a FormatError. The worker only
 * copies raw datasets out (plus the float16 workaround of docs/datasets.md "Readers and writers"); all
 * validation happens in the caller, in typed code.
 */
import { statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { FormatError } from "../../errors.js";

/** What the worker reports for one dataset path. */
export interface H5Dataset {
  /** HDF5 type class of the element (0 int, 1 float, 3 string, 9 vlen…) and its byte size. */
  type: number;
  size: number;
  signed: boolean;
  shape: number[] | null;
  /** Base element type when `type` is VLEN. */
  vlen?: { type: number; size: number; signed: boolean };
  /** Numeric data: a typed array, one per row for VLEN; float16 comes back as raw Uint16Array bits. */
  value: unknown;
  /** True when `value` holds raw float16 bits (Uint16Array or Uint16Array[]). */
  f16?: boolean;
  /** h5wasm's message when it could not read the values. */
  error?: string;
}

export interface H5Read {
  paths: string[];
  /** null: path absent; "group": exists but is not a dataset. */
  datasets: Record<string, H5Dataset | null | "group">;
}

// Plain JS run with `eval: true` so it works the same under tsx and from dist/ (no loader needed).
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
// HDF5 prints its error stack straight to fd 2 (NODERAWFS); the caller gets a FormatError instead,
// so drop those writes in this thread only.
const fs = require("node:fs");
const writeSync = fs.writeSync;
fs.writeSync = function (fd, data, a, b, c) {
  if (fd === 2) return typeof data === "string" ? Buffer.byteLength(data) : typeof b === "number" ? b : data.byteLength - (a || 0);
  return writeSync.call(fs, fd, data, a, b, c);
};
for (const k of ["log", "warn", "error", "info"]) console[k] = () => {};
process.stderr.write = () => true;
process.stdout.write = () => true;
let lib = null;
// After an Emscripten abort (or a failed memory grow) the module is unusable; tell the caller to
// replace this worker instead of letting later files fail for no reason of their own.
let fatal = false;
function note(e) {
  const m = String((e && e.message) || e);
  if ((typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) || /Abort|enlarge memory|unreachable|out of bounds|OOM/i.test(m)) fatal = true;
  return m;
}
function f16Rows(Module, f, path, n) {
  const ptr = Module._malloc(8 * n);
  if (!ptr) throw new Error("malloc failed");
  try {
    const st = Module.get_dataset_data(f.file_id, path, null, null, null, BigInt(ptr));
    if (st < 0) throw new Error("get_dataset_data failed");
    const dv = new DataView(Module.HEAPU8.buffer);
    const rows = [];
    for (let i = 0; i < n; i++) {
      const len = dv.getUint32(ptr + 8 * i, true), p = dv.getUint32(ptr + 8 * i + 4, true);
      rows.push(new Uint16Array(Module.HEAPU8.buffer.slice(p, p + 2 * len)));
    }
    Module.reclaim_vlen_memory(f.file_id, path, "", BigInt(ptr));
    return rows;
  } finally { Module._free(ptr); }
}
function f16Flat(Module, f, path, n) {
  const ptr = Module._malloc(Math.max(2 * n, 2));
  if (!ptr) throw new Error("malloc failed");
  try {
    const st = Module.get_dataset_data(f.file_id, path, null, null, null, BigInt(ptr));
    if (st < 0) throw new Error("get_dataset_data failed");
    return new Uint16Array(Module.HEAPU8.buffer.slice(ptr, ptr + 2 * n));
  } finally { Module._free(ptr); }
}
parentPort.on("message", async (msg) => {
  try {
    if (!lib) lib = import(msg.h5url).then(async (m) => { const h5 = m.default; const Module = await h5.ready; return { h5, Module }; });
    const { h5, Module } = await lib;
    const f = new h5.File(msg.path, "r");
    try {
      const paths = f.paths();
      const datasets = {};
      for (const p of msg.datasets) {
        if (!paths.includes(p)) { datasets[p] = null; continue; }
        const o = f.get(p);
        if (!o || o.constructor.name !== "Dataset") { datasets[p] = "group"; continue; }
        const m = o.metadata;
        const d = { type: m.type, size: m.size, signed: m.signed, shape: m.shape };
        if (m.vlen_type) d.vlen = { type: m.vlen_type.type, size: m.vlen_type.size, signed: m.vlen_type.signed };
        const n = (m.shape || []).reduce((a, b) => a * b, 1);
        try {
          if (n > msg.maxElements) throw new Error("dataset has " + n + " elements, more than the file could hold");
          if (m.type === 9 && d.vlen && d.vlen.type === 1 && d.vlen.size === 2) { d.value = f16Rows(Module, f, p, n); d.f16 = true; }
          else if (m.type === 1 && m.size === 2) { d.value = f16Flat(Module, f, p, n); d.f16 = true; }
          else d.value = o.value;
        } catch (e) { d.error = note(e); d.value = null; }
        datasets[p] = d;
      }
      try { f.close(); } catch (e) { note(e); }
      parentPort.postMessage({ id: msg.id, ok: true, out: { paths, datasets }, fatal });
    } catch (e) {
      try { f.close(); } catch (e2) { note(e2); }
      throw e;
    }
  } catch (e) {
    const error = note(e);
    parentPort.postMessage({ id: msg.id, ok: false, error, fatal });
  }
});
`;

interface Pending {
  resolve: (r: H5Read) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  file: string;
  datasets: readonly string[];
  timeoutMs: number;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function killWorker(reason: (p: Pending) => Error): void {
  const w = worker;
  worker = null;
  for (const [id, p] of pending) {
    clearTimeout(p.timer);
    pending.delete(id);
    p.reject(reason(p));
  }
  if (w) void w.terminate();
}

/** Resend every pending read to a fresh worker (the old one was replaced). */
function requeueAll(): void {
  for (const [id, q] of pending) {
    pending.delete(id);
    clearTimeout(q.timer);
    readH5Datasets(q.file, q.datasets, { timeoutMs: q.timeoutMs }).then(q.resolve, q.reject);
  }
}

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.unref();
  w.on("message", (m: { id: number; ok: boolean; out?: H5Read; error?: string; fatal?: boolean }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.fatal) {
      // The module aborted on this file: fail it, and replace the worker before the next read.
      if (worker === w) worker = null;
      void w.terminate();
      p.reject(new FormatError(p.file, "HDF5", "a readable HDF5 file", `the HDF5 library aborted: ${m.error ?? "corrupt structure"}`));
      requeueAll();
      return;
    }
    if (m.ok && m.out) p.resolve(m.out);
    else p.reject(new FormatError(p.file, "HDF5 superblock", "a readable HDF5 file", m.error ?? "unknown h5wasm error"));
  });
  w.on("error", (e) => {
    if (worker === w) killWorker((p) => new FormatError(p.file, "HDF5", "a readable HDF5 file", `reader crashed: ${e.message}`));
  });
  w.on("exit", () => {
    if (worker === w) killWorker((p) => new FormatError(p.file, "HDF5", "a readable HDF5 file", "reader exited"));
  });
  worker = w;
  return w;
}

export interface H5ReadOptions {
  /** Deadline for the whole read; default 10 s plus 1 s per 10 MB. */
  timeoutMs?: number;
}

/** Read the listed dataset paths (relative, no leading '/') of an HDF5 file. */
export function readH5Datasets(path: string, datasets: readonly string[], opts: H5ReadOptions = {}): Promise<H5Read> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    return Promise.reject(new FormatError(path, "file", "an existing HDF5 file", (e as Error).message));
  }
  const timeoutMs = opts.timeoutMs ?? 10_000 + size / 10_000;
  const id = nextId++;
  return new Promise<H5Read>((resolve, reject) => {
    const w = getWorker();
    const timer = setTimeout(() => {
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      p.reject(new FormatError(path, "HDF5", "a well-formed HDF5 file", `the HDF5 library did not finish within ${timeoutMs} ms (corrupt file?)`));
      // The worker may be stuck in a loop inside wasm: replace it and resend the other files it held.
      const w = worker;
      worker = null;
      if (w) void w.terminate();
      requeueAll();
    }, timeoutMs);
    pending.set(id, { resolve, reject, timer, file: path, datasets, timeoutMs });
    w.ref();
    // Each element needs at least one byte on disk, so a larger count is a corrupt header.
    w.postMessage({ id, path, datasets, h5url: import.meta.resolve("h5wasm/node"), maxElements: Math.max(1024, size) });
  }).finally(() => {
    if (pending.size === 0) worker?.unref();
  });
}

/** Stop the reader worker (tests call this so the process can exit promptly). */
export function closeH5Reader(): void {
  killWorker((p) => new FormatError(p.file, "HDF5", "a readable HDF5 file", "reader closed"));
}

/** IEEE 754 half → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** number → IEEE 754 half bits, rounded to nearest, ties to even (what numpy's astype(float16) does). */
export function floatToHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const s = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  // 65520 is halfway between the largest half (65504) and 2^16, and rounds (to even) up to infinity.
  if (a >= 65520) return s | 0x7c00;
  // Subnormals are whole multiples of 2^-24; 1024 of them carry into the smallest normal, 0x0400.
  if (a < 2 ** -14) return s | roundHalfEven(a * 2 ** 24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  // a / 2^e is in [1, 2): scaling by powers of two and subtracting 1 are exact in float64.
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return s | 0x7c00;
  return s | ((e + 15) << 10) | m;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 === 1 ? r - 1 : r;
}
