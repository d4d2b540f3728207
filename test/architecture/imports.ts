/**
 * The layering checker behind layering.test.ts: finds every module a TypeScript file imports, maps both ends
 * to a layer and reports each import that points to a layer above the importer. Pure functions over an
 * in-memory file map, so the checker itself can be tested on a tiny example without touching src/.
 */
import ts from "typescript";
import { posix } from "node:path";

/** One import arrow found in a file: the specifier as written and whether only types cross it. */
export interface ImportEdge {
  specifier: string;
  typeOnly: boolean;
  kind: "import" | "export" | "dynamic" | "type-query" | "worker-url";
}

/**
 * Every module `source` refers to: static `import` (incl. `import type` and side-effect imports),
 * `export … from`, dynamic `import("literal")`, type positions `import("literal").X`, and worker entry
 * points written as `new URL("./file.js", import.meta.url)`. Specifiers that are not string literals are
 * invisible to any static check and are skipped.
 */
export function importsOf(fileName: string, source: string): ImportEdge[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: ImportEdge[] = [];
  const literal = (n: ts.Node | undefined): string | null => (n && ts.isStringLiteralLike(n) ? n.text : null);
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) {
      const spec = literal(n.moduleSpecifier);
      const c = n.importClause;
      // `import type {…}` or `import { type A, type B }` with no value binding: erased at runtime, still an arrow
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (spec !== null) out.push({ specifier: spec, typeOnly, kind: "import" });
    } else if (ts.isExportDeclaration(n)) {
      const spec = literal(n.moduleSpecifier);
      if (spec !== null) out.push({ specifier: spec, typeOnly: n.isTypeOnly, kind: "export" });
    } else if (ts.isImportTypeNode(n)) {
      const arg = n.argument;
      const spec = ts.isLiteralTypeNode(arg) ? literal(arg.literal) : null;
      if (spec !== null) out.push({ specifier: spec, typeOnly: true, kind: "type-query" });
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const spec = literal(n.arguments[0]);
      if (spec !== null) out.push({ specifier: spec, typeOnly: false, kind: "dynamic" });
    } else if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "URL" && n.arguments?.length === 2) {
      const spec = literal(n.arguments[0]);
      const base = n.arguments[1]!.getText(sf);
      if (spec !== null && base === "import.meta.url" && /^\.\.?\//.test(spec) && /\.(js|ts)$/.test(spec)) out.push({ specifier: spec, typeOnly: false, kind: "worker-url" });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/**
 * The file an import specifier names, as a path in the same form as the keys of `files`, or null for
 * packages and node built-ins. `aliases` maps package "imports" subpaths (e.g. `#platform`) to files.
 * Relative `.js` specifiers name the `.ts` source (NodeNext style); a path with no such file (a `.json`,
 * a generated file) is returned as written, so it still maps to the layer of the folder it lies in.
 */
export function resolveSpecifier(from: string, specifier: string, files: ReadonlySet<string>, aliases: Readonly<Record<string, string>> = {}): string | null {
  if (specifier in aliases) return aliases[specifier]!;
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return null;
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [joined, joined.replace(/\.js$/, ".ts"), joined.replace(/\.mjs$/, ".mts"), `${joined}.ts`, `${joined}/index.ts`];
  return candidates.find((c) => files.has(c)) ?? joined;
}

/** A layer: a name, its tier (higher = further up) and the path prefixes (relative to the root) it owns. */
export interface LayerRow {
  layer: string;
  tier: number;
  /** A prefix ending in "/" owns a folder; any other entry is one file. */
  paths: readonly string[];
}

/** An upward arrow that is allowed on purpose: both ends as files relative to the root, and why. */
export interface Exception {
  from: string;
  to: string;
  reason: string;
}

export interface Violation {
  from: string;
  fromLayer: string;
  to: string;
  toLayer: string;
  typeOnly: boolean;
}

/** The layer owning `file` (path relative to `root`): the longest matching prefix wins; null when none. */
export function layerOf(file: string, table: readonly LayerRow[], root = "src/"): LayerRow | null {
  if (!file.startsWith(root)) return null;
  const rel = file.slice(root.length);
  let best: LayerRow | null = null;
  let bestLen = -1;
  for (const row of table) {
    for (const p of row.paths) {
      const hit = p.endsWith("/") ? rel.startsWith(p) : rel === p;
      if (hit && p.length > bestLen) {
        best = row;
        bestLen = p.length;
      }
    }
  }
  return best;
}

export interface LayeringReport {
  /** Imports into a layer of a higher tier, or a different layer of the same tier (siblings stay apart). */
  violations: Violation[];
  /** Files under the root that no row of the table owns (the table must place every file). */
  unmapped: string[];
  /** Exceptions that matched no import (stale: delete them). */
  unusedExceptions: Exception[];
  /** How many import arrows were examined, to show the check saw the code. */
  edges: number;
}

/**
 * A file may import its own layer and any layer of a strictly lower tier. Layers sharing a tier are
 * siblings and may not import each other.
 */
export function checkLayering(files: ReadonlyMap<string, string>, table: readonly LayerRow[], opts: { root?: string; aliases?: Readonly<Record<string, string>>; exceptions?: readonly Exception[] } = {}): LayeringReport {
  const root = opts.root ?? "src/";
  const names = new Set(files.keys());
  const violations: Violation[] = [];
  const unmapped: string[] = [];
  const used = new Set<Exception>();
  let edges = 0;
  for (const [file, source] of files) {
    const from = layerOf(file, table, root);
    if (!from) {
      unmapped.push(file);
      continue;
    }
    for (const edge of importsOf(file, source)) {
      const target = resolveSpecifier(file, edge.specifier, names, opts.aliases);
      if (target === null) continue;
      edges++;
      const to = layerOf(target, table, root);
      if (!to || to.layer === from.layer || to.tier < from.tier) continue;
      const ex = opts.exceptions?.find((e) => e.from === file && e.to === target);
      if (ex) {
        used.add(ex);
        continue;
      }
      violations.push({ from: file, fromLayer: from.layer, to: target, toLayer: to.layer, typeOnly: edge.typeOnly });
    }
  }
  return { violations, unmapped, unusedExceptions: (opts.exceptions ?? []).filter((e) => !used.has(e)), edges };
}

/** One line per violation, in the form the test prints. */
export function describeViolation(v: Violation, table: readonly LayerRow[]): string {
  const tierOf = (l: string) => table.find((r) => r.layer === l)!.tier;
  const where = tierOf(v.toLayer) === tierOf(v.fromLayer) ? "a sibling on the same tier" : "above it";
  return `${v.from} (layer ${v.fromLayer}) imports ${v.to} (layer ${v.toLayer}, ${where})${v.typeOnly ? " [type only]" : ""}`;
}

/**
 * Groups of files that import each other in a circle through static value imports (type-only imports are
 * erased and dynamic imports load lazily, so neither makes a load-order circle). Each group is sorted; an
 * empty list means the static module graph is acyclic.
 */
export function valueImportCycles(files: ReadonlyMap<string, string>, aliases: Readonly<Record<string, string>> = {}): string[][] {
  const names = new Set(files.keys());
  const graph = new Map<string, string[]>();
  for (const [file, source] of files) {
    const targets = importsOf(file, source)
      .filter((e) => !e.typeOnly && (e.kind === "import" || e.kind === "export"))
      .map((e) => resolveSpecifier(file, e.specifier, names, aliases))
      .filter((t): t is string => t !== null && names.has(t));
    graph.set(file, targets);
  }
  // Tarjan's strongly connected components
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || graph.get(v)!.includes(v)) out.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}
