/**
 * The browser build as a user's bundler sees it: `import { LIF, Linear, Sequential, Adam } from "exodus-snn"`
 * bundled by esbuild for the browser resolves through the package's "browser" condition and builds with no
 * shims, and the shipped bundle uses no Node globals (a `Buffer` in the safetensors codec once slipped in).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { build } from "esbuild";
import { BUNDLE, ROOT } from "./harness.js";

test("a browser bundle of `import { LIF, Linear, Sequential, Adam } from \"exodus-snn\"` builds with no shims", async () => {
  const r = await build({
    stdin: { contents: `import { LIF, Linear, Sequential, Adam } from "exodus-snn"; console.log(LIF, Linear, Sequential, Adam);`, resolveDir: ROOT, loader: "js" },
    bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent", metafile: true,
  });
  assert.deepEqual(r.errors, []);
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((f) => f.endsWith("dist/browser/exodus-snn.js")), inputs.join(", "));
});

test("the browser bundle names no Node built-in and uses no Node global", () => {
  const js = readFileSync(BUNDLE, "utf8");
  for (const bad of [/["']node:[a-z_/]+["']/, /\bBuffer\.(from|alloc|concat)\b/, /\bprocess\.(env|argv|execArgv|pid|emitWarning)\b/, /\brequire\(/]) {
    assert.doesNotMatch(js, bad);
  }
});
