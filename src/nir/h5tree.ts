/**
 * A NIR file as a plain tree of HDF5 groups and datasets (nir's own serialisation: datasets only, no
 * attributes). Reading goes through the guarded worker reader (src/data/readers/hdf5.ts) because a corrupt
 * file can hang or abort h5wasm; writing our own tree runs h5wasm in this thread into a temporary file
 * that is read back as bytes, so callers never see a half-written .nir.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FormatError } from "../errors.js";
import { readH5Datasets, type H5Dataset } from "../data/readers/hdf5.js";

/** One dataset: numbers (stored as float32, float64 or int64) or UTF-8 strings, row-major. */
export type H5Value =
  | { kind: "num"; dtype: "f32" | "f64" | "i64"; shape: number[]; data: ArrayLike<number> }
  | { kind: "str"; shape: number[]; data: string[] };

export interface H5Group {
  kind: "group";
  children: Map<string, H5Group | H5Value>;
}

export const group = (entries: [string, H5Group | H5Value][] = []): H5Group => ({ kind: "group", children: new Map(entries) });
export const str = (s: string): H5Value => ({ kind: "str", shape: [], data: [s] });
export const f32 = (data: ArrayLike<number>, shape: number[] = [data.length]): H5Value => ({ kind: "num", dtype: "f32", shape, data });
export const f64 = (data: ArrayLike<number>, shape: number[] = [data.length]): H5Value => ({ kind: "num", dtype: "f64", shape, data });
export const i64 = (data: ArrayLike<number>, shape: number[] = [data.length]): H5Value => ({ kind: "num", dtype: "i64", shape, data });

/** Writes the tree as an HDF5 file and returns its bytes (h5wasm cannot hand out an in-memory image). */
export async function writeH5Tree(root: H5Group): Promise<Uint8Array> {
  const h5 = (await import("h5wasm/node")).default;
  await h5.ready;
  const dir = mkdtempSync(join(tmpdir(), "exodus-nir-"));
  const path = join(dir, "graph.nir");
  try {
    const f = new h5.File(path, "w");
    try {
      writeGroup(f, root);
    } finally {
      f.close();
    }
    return new Uint8Array(readFileSync(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type H5Writable = Pick<import("h5wasm").Group, "create_group" | "create_dataset">;

function writeGroup(g: H5Writable, node: H5Group): void {
  for (const [name, v] of node.children) {
    if (v.kind === "group") writeGroup(g.create_group(name), v);
    else if (v.kind === "str") g.create_dataset({ name, data: v.shape.length === 0 ? v.data[0]! : v.data, shape: v.shape });
    else if (v.dtype === "i64") g.create_dataset({ name, data: BigInt64Array.from(Array.from(v.data, (x) => BigInt(Math.round(x)))), shape: v.shape, dtype: "<q" });
    else if (v.dtype === "f64") g.create_dataset({ name, data: Float64Array.from(v.data), shape: v.shape, dtype: "<d" });
    else g.create_dataset({ name, data: Float32Array.from(v.data), shape: v.shape, dtype: "<f" });
  }
}

/** Reads every dataset of an HDF5 file into a tree (two guarded passes: list the paths, then read them). */
export async function readH5Tree(path: string): Promise<H5Group> {
  const listing = await readH5Datasets(path, []);
  const paths = listing.paths.map((p) => p.replace(/^\//, "")).filter((p) => p.length > 0);
  const read = await readH5Datasets(path, paths);
  const root = group();
  for (const p of [...paths].sort()) {
    const d = read.datasets[p];
    const parts = p.split("/");
    let g = root;
    for (const part of parts.slice(0, -1)) {
      let c = g.children.get(part);
      if (!c) {
        c = group();
        g.children.set(part, c);
      }
      if (c.kind !== "group") throw new FormatError(path, p, "a group", "a dataset has the same name");
      g = c;
    }
    const leaf = parts[parts.length - 1]!;
    if (d === "group") {
      if (!g.children.has(leaf)) g.children.set(leaf, group());
    } else if (d) {
      g.children.set(leaf, toValue(path, p, d));
    }
  }
  return root;
}

/** Same as readH5Tree for bytes in memory (the reader works on files, so they go through a temp file). */
export async function readH5TreeBytes(bytes: Uint8Array, name = "<bytes>"): Promise<H5Group> {
  const dir = mkdtempSync(join(tmpdir(), "exodus-nir-"));
  const path = join(dir, "in.nir");
  try {
    writeFileSync(path, bytes);
    try {
      return await readH5Tree(path);
    } catch (e) {
      if (e instanceof FormatError) {
        // name the caller's file, not our temporary copy
        const prefix = `${e.file}: at ${e.where}: expected ${e.expected}`;
        const detail = e.message.startsWith(prefix) ? e.message.slice(prefix.length).replace(/^ \((.*)\)$/s, "$1") : e.message;
        throw new FormatError(name, e.where, e.expected, detail || undefined);
      }
      throw e;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function toValue(file: string, p: string, d: H5Dataset): H5Value {
  if (d.error) throw new FormatError(file, p, "a readable dataset", d.error);
  const shape = d.shape ?? [];
  const v = d.value;
  if (typeof v === "string") return { kind: "str", shape, data: [v] };
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) return { kind: "str", shape, data: v as string[] };
  if (typeof v === "bigint" || typeof v === "number") return { kind: "num", dtype: typeof v === "bigint" ? "i64" : "f64", shape, data: [Number(v)] };
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return { kind: "num", dtype: "i64", shape, data: Array.from(v, Number) };
  if (v instanceof Float32Array) return { kind: "num", dtype: "f32", shape, data: v };
  if (v instanceof Float64Array) return { kind: "num", dtype: "f64", shape, data: v };
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { kind: "num", dtype: d.type === 1 ? "f64" : "i64", shape, data: Array.from(v as unknown as ArrayLike<number>) };
  if (d.f16) throw new FormatError(file, p, "float32, float64 or integer data", "float16 parameters are not supported in NIR files");
  throw new FormatError(file, p, "a numeric or string dataset", `HDF5 type class ${d.type}`);
}
