#!/usr/bin/env node
// Builds the wasm CPU kernels (src/kernels/wasm/assembly/*.ts, AssemblyScript) with the installed asc into
// src/kernels/wasm/build/{simd,relaxed}.wasm, and copies them to dist/kernels/wasm/build/ so both tsx (src)
// and the compiled package (dist) find them next to backend.js. Run by `npm run build:wasm` / `npm run build`.
// Variants: plain SIMD and relaxed SIMD (FMA in gemm), each single- and multi-threaded; the backend picks one
// at load by feature detection.
import asc from "assemblyscript/asc";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "src/kernels/wasm/assembly/index.ts");
const outDir = join(root, "src/kernels/wasm/build");
const distDir = join(root, "dist/kernels/wasm/build");
mkdirSync(outDir, { recursive: true });
mkdirSync(distDir, { recursive: true });

// The JS side owns linear memory (allocator in heap.ts): stub runtime, no AS heap use in kernels.
const common = ["--runtime", "stub", "-O3", "--noAssert", "--initialMemory", "1", "--enable", "simd"];
// The "-mt" builds import one shared memory (4 GiB maximum) so worker threads can run the same kernels on
// the same buffers (backend.ts threads option, parallel.ts); the others own a private memory (no cross-origin isolation
// needed in browsers).
const mt = ["--enable", "threads", "--importMemory", "--sharedMemory", "--maximumMemory", "65536"];
const variants = [
  { name: "simd", flags: [] },
  { name: "relaxed", flags: ["--enable", "relaxed-simd"] },
  { name: "simd-mt", flags: mt },
  { name: "relaxed-mt", flags: ["--enable", "relaxed-simd", ...mt] },
];

async function build(v) {
  const out = join(outDir, `${v.name}.wasm`);
  const t0 = Date.now();
  const { error, stderr } = await asc.main([entry, "-o", out, ...common, ...v.flags]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${v.name} failed: ${error.message}`);
    process.exit(1);
  }
  copyFileSync(out, join(distDir, `${v.name}.wasm`));
  console.log(`build-wasm: ${v.name}.wasm (${Date.now() - t0} ms)`);
}

// `--variant NAME` builds one (a child of the run below). Otherwise the variants build in child processes,
// one per core: asc is single-threaded and each variant takes ~5 s.
const only = process.argv.indexOf("--variant");
if (only >= 0) {
  await build(variants.find((v) => v.name === process.argv[only + 1]));
} else {
  const queue = [...variants];
  const runOne = async () => {
    for (let v = queue.shift(); v; v = queue.shift()) {
      const code = await new Promise((resolve) => {
        spawn(process.execPath, [fileURLToPath(import.meta.url), "--variant", v.name], { stdio: "inherit" }).on("close", resolve);
      });
      if (code !== 0) process.exit(code ?? 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), variants.length) }, runOne));
}
