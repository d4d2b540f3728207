#!/usr/bin/env node
// Writes dist/browser/exodus-snn.js: src/browser.ts as one ESM bundle for browsers (esbuild), with the wasm
// kernel modules next to it (the bundle fetches them from its own URL). Run by `npm run build` after the
// wasm build. `#platform` resolves to the browser host; a Node built-in anywhere in the graph fails the build.
import { copyFileSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist/browser");
const wasmDir = join(root, "src/kernels/wasm/build");
mkdirSync(outDir, { recursive: true });

const browserPlatform = {
  name: "browser-platform",
  setup(b) {
    // tsconfig's paths send #platform to the Node host (for tsc and tsx); the browser bundle takes the other.
    b.onResolve({ filter: /^#platform$/ }, () => ({ path: join(root, "src/kernels/wasm/platform/browser.ts") }));
  },
};

const t0 = Date.now();
const result = await build({
  entryPoints: [join(root, "src/browser.ts")],
  outfile: join(outDir, "exodus-snn.js"),
  write: false,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
  plugins: [browserPlatform],
});
// each file written under a temp name, then moved: a failed build never leaves half a bundle
for (const f of result.outputFiles) {
  const tmp = `${f.path}.tmp-${process.pid}`;
  writeFileSync(tmp, f.contents);
  renameSync(tmp, f.path);
}
const wasm = readdirSync(wasmDir).filter((f) => f.endsWith(".wasm"));
if (wasm.length === 0) throw new Error(`build-browser: no .wasm in ${wasmDir}; run 'npm run build:wasm' first`);
for (const f of wasm) copyFileSync(join(wasmDir, f), join(outDir, f));
const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
console.log(`build-browser: dist/browser/exodus-snn.js (${(bytes / 1024).toFixed(0)} KiB with map) + ${wasm.length} .wasm (${Date.now() - t0} ms)`);
