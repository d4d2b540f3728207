/**
 * The webgpu backend in real Chromium: navigator.gpu with SwiftShader (--enable-unsafe-webgpu; this machine
 * has no GPU), the README example in a page worker, losses within float32 tolerance of Node's wasm losses.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as lib from "../../src/index.js";
import { launch, missing, serve } from "./harness.js";
// @ts-expect-error plain JS shared with the browser page
import { trainReadmeExample } from "./pages/readme-example.js";

const skip = missing();
after(() => lib.getBackend("wasm").dispose());

test("webgpu backend in Chromium (SwiftShader, --enable-unsafe-webgpu) matches wasm within float32 tolerance", { skip: skip ?? false }, async () => {
  const steps = 3;
  await lib.setBackend("wasm", { threads: 1 });
  const nodeLosses = (trainReadmeExample as (l: typeof lib, s: number) => number[])(lib, steps);
  const srv = await serve({ isolated: true });
  const browser = await launch(true);
  let r: { losses: number[]; adapter: string | null; error?: string };
  try {
    const page = await browser.newPage();
    await page.goto(srv.url + "/test/browser/pages/readme.html");
    r = (await page.evaluate(`window.run(${JSON.stringify({ backend: "webgpu", steps })})`)) as typeof r;
  } finally {
    await browser.close();
    await srv.close();
  }
  if (r.error) throw new Error(`in the page worker: ${r.error}`);
  assert.match(r.adapter ?? "", /swiftshader/i);
  assert.equal(r.losses.length, steps);
  for (let i = 0; i < steps; i++) {
    const want = nodeLosses[i]!;
    assert.ok(Math.abs(r.losses[i]! - want) <= 1e-4 * Math.max(1, Math.abs(want)), `step ${i}: webgpu ${r.losses[i]} vs wasm ${want}`);
  }
});
