/**
 * Every import points down: each file under src/ belongs to one layer, and may import only its own layer
 * or a layer on a lower tier. The checker (./imports.ts) is unit-tested first on a tiny in-memory tree, so
 * a pass on src/ means "no upward arrow", not "the checker saw nothing".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { checkLayering, describeViolation, importsOf, layerOf, valueImportCycles, type Exception, type LayerRow } from "./imports.js";

/**
 * The layers, bottom (tier 0) to top. A file may import its own layer and any layer on a lower tier;
 * layers that share a tier are siblings and may not import each other.
 *
 * - errors, util: the typed errors and dependency-free helpers (seeded RNG, stats, atomic file writes).
 * - kernels, data, report: three independent wings on the helpers. kernels holds the backend contract,
 *   the registry and the backends; data reads, simulates and loads datasets (plain arrays, no tensors);
 *   report draws SVG charts and the HTML run report from plain numbers, so that train/, experiments/ and
 *   cli/ can all use it.
 * - tensor → layers → neurons → train: the main stack. `Module` (layers/module.ts) is infrastructure the
 *   neurons extend, so neurons sit above layers; a layer learns that its input is spikes from the tensor
 *   (`Tensor.spikes`), not by knowing neuron classes.
 * - experiments, nir: consumers of the stack (paper reproductions and gradcheck; NIR import/export).
 * - sweep: runs many `train` runs and experiments' trials through a queue.
 * - cli, then the package entry points (index.ts, core.ts, browser.ts, webgpu.ts), which may import anything.
 *
 * `import type` counts as an arrow: a type-only import is erased at runtime, but the importer still cannot
 * be read, compiled or moved without the module it names, and the next edit turns it into a value import.
 * Upward arrows are removed by moving code down; one that must stay is listed in EXCEPTIONS with its reason.
 */
const LAYERS: readonly LayerRow[] = [
  { layer: "errors", tier: 0, paths: ["errors.ts"] },
  { layer: "util", tier: 1, paths: ["util/"] },
  { layer: "kernels", tier: 2, paths: ["kernels/"] },
  { layer: "data", tier: 2, paths: ["data/"] },
  { layer: "report", tier: 2, paths: ["report/"] },
  { layer: "tensor", tier: 3, paths: ["tensor/"] },
  { layer: "layers", tier: 4, paths: ["layers/"] },
  { layer: "neurons", tier: 5, paths: ["neurons/"] },
  { layer: "train", tier: 6, paths: ["train/"] },
  { layer: "experiments", tier: 7, paths: ["experiments/"] },
  { layer: "nir", tier: 7, paths: ["nir/"] },
  { layer: "sweep", tier: 8, paths: ["sweep/"] },
  { layer: "cli", tier: 9, paths: ["cli/"] },
  { layer: "entry", tier: 10, paths: ["index.ts", "core.ts", "browser.ts", "webgpu.ts"] },
];

/** Upward imports kept on purpose (file → file, both relative to the repository root), each with its reason. */
const EXCEPTIONS: readonly Exception[] = [];

const repo = fileURLToPath(new URL("../../", import.meta.url));

function sourceTree(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) files.set(relative(repo, p).split(sep).join("/"), readFileSync(p, "utf8"));
    }
  };
  walk(join(repo, "src"));
  return files;
}

/** package.json "imports" (e.g. `#platform`), mapped from the built file to its source. */
function packageAliases(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { imports?: Record<string, string | Record<string, string>> };
  const out: Record<string, string> = {};
  for (const [name, target] of Object.entries(pkg.imports ?? {})) {
    const t = typeof target === "string" ? target : (target.default ?? Object.values(target)[0]!);
    out[name] = t.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts");
  }
  return out;
}

test("the checker finds every kind of import arrow", () => {
  const src = [
    'import { a } from "./a.js";',
    'import type { B } from "../b.js";',
    'import { type C, type D } from "./c.js";',
    'import { type E, e } from "./e.js";',
    'import "./side-effect.js";',
    'export { f } from "./f.js";',
    'export type { G } from "./g.js";',
    'export * from "./h.js";',
    'const i = await import("./i.js");',
    'type J = import("./j.js").J;',
    'const w = new URL("./worker.js", import.meta.url);',
    'const notAWorker = new URL("https://example.org/x.js");',
    '// import { nope } from "./comment.js";',
    'const s = "import { nope } from \\"./string.js\\"";',
    'const dyn = await import(name);',
    'import { readFileSync } from "node:fs";',
  ].join("\n");
  const got = importsOf("src/x/k.ts", src).map((e) => `${e.kind}:${e.specifier}:${e.typeOnly ? "type" : "value"}`);
  assert.deepEqual(got, [
    "import:./a.js:value",
    "import:../b.js:type",
    "import:./c.js:type",
    "import:./e.js:value",
    "import:./side-effect.js:value",
    "export:./f.js:value",
    "export:./g.js:type",
    "export:./h.js:value",
    "dynamic:./i.js:value",
    "type-query:./j.js:type",
    "worker-url:./worker.js:value",
    "import:node:fs:value",
  ]);
});

test("the checker flags upward and sibling arrows and nothing else (in-memory tree)", () => {
  const table: LayerRow[] = [
    { layer: "base", tier: 0, paths: ["base.ts"] },
    { layer: "low", tier: 1, paths: ["low/"] },
    { layer: "side", tier: 1, paths: ["side/"] },
    { layer: "high", tier: 2, paths: ["high/"] },
  ];
  const files = new Map<string, string>([
    ["src/base.ts", "export const base = 1;"],
    ["src/low/a.ts", 'import { base } from "../base.js";\nimport { b } from "./b.js";\nexport const a = base + b;'],
    ["src/low/b.ts", 'import type { H } from "../high/h.js";\nexport const b = 2;'], // type-only, still upward
    ["src/low/c.ts", 'export async function c() { return (await import("../high/h.js")).h; }'], // dynamic upward
    ["src/side/s.ts", 'export { a } from "../low/a.js";'], // sibling on the same tier
    ["src/high/h.ts", 'import { a } from "../low/a.js";\nimport { s } from "../side/s.js";\nexport type H = number;\nexport const h = a;'],
    ["src/stray.ts", "export {};"],
  ]);
  const r = checkLayering(files, table);
  assert.deepEqual(r.violations.map((v) => describeViolation(v, table)).sort(), [
    "src/low/b.ts (layer low) imports src/high/h.ts (layer high, above it) [type only]",
    "src/low/c.ts (layer low) imports src/high/h.ts (layer high, above it)",
    "src/side/s.ts (layer side) imports src/low/a.ts (layer low, a sibling on the same tier)",
  ]);
  assert.deepEqual(r.unmapped, ["src/stray.ts"]);
  assert.equal(r.edges, 7);

  // an exception silences exactly its arrow, and one that matches nothing is reported as stale
  const exceptions: Exception[] = [
    { from: "src/low/c.ts", to: "src/high/h.ts", reason: "test" },
    { from: "src/low/a.ts", to: "src/high/h.ts", reason: "stale" },
  ];
  const r2 = checkLayering(files, table, { exceptions });
  assert.equal(r2.violations.length, 2);
  assert.deepEqual(r2.unusedExceptions.map((e) => e.reason), ["stale"]);
});

test("the cycle finder sees circles through value imports only", () => {
  const files = new Map<string, string>([
    ["src/a.ts", 'import { b } from "./b.js";\nexport const a = 1;'],
    ["src/b.ts", 'import { c } from "./c.js";\nexport const b = 1;'],
    ["src/c.ts", 'import { a } from "./a.js";\nexport const c = 1;'], // a → b → c → a
    ["src/d.ts", 'import type { E } from "./e.js";\nexport type D = 1;'],
    ["src/e.ts", 'import type { D } from "./d.js";\nexport type E = 1;'], // types only: erased
    ["src/f.ts", 'export const f = async () => (await import("./g.js")).g;'],
    ["src/g.ts", 'import { f } from "./f.js";\nexport const g = f;'], // one side lazy
  ]);
  assert.deepEqual(valueImportCycles(files), [["src/a.ts", "src/b.ts", "src/c.ts"]]);
});

test("the layer table places files by longest prefix", () => {
  assert.equal(layerOf("src/kernels/wasm/backend.ts", LAYERS)?.layer, "kernels");
  assert.equal(layerOf("src/index.ts", LAYERS)?.layer, "entry");
  assert.equal(layerOf("src/errors.ts", LAYERS)?.layer, "errors");
  assert.equal(layerOf("test/helpers.ts", LAYERS), null);
});

test("every import under src/ points down (or sideways within its layer)", () => {
  const files = sourceTree();
  const r = checkLayering(files, LAYERS, { aliases: packageAliases(), exceptions: EXCEPTIONS });
  assert.ok(files.size > 100 && r.edges > 500, `the check saw ${files.size} files and ${r.edges} imports: too few, is the walk broken?`);
  assert.deepEqual(r.unmapped, [], "files in no layer: add their folder to LAYERS in test/architecture/layering.test.ts");
  assert.deepEqual(r.unusedExceptions, [], "stale EXCEPTIONS (the import is gone): delete them");
  const lines = r.violations.map((v) => describeViolation(v, LAYERS));
  assert.equal(lines.length, 0, `${lines.length} upward import(s):\n  ${lines.join("\n  ")}`);
});

test("no two modules under src/ import each other in a circle (static value imports)", () => {
  // e.g. tensor.ts ↔ memory.ts: memory.ts takes Tensor as a type only and autograd asks it about ownership
  const cycles = valueImportCycles(sourceTree(), packageAliases());
  assert.deepEqual(cycles, [], `import circles:\n  ${cycles.map((c) => c.join(" → ")).join("\n  ")}`);
});
