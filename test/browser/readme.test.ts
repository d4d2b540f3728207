/**
 * The README example trained in real Chromium (Debian's, through playwright-core) from the browser bundle,
 * in a page worker, against the same code run by Node on src/: on 2 wasm threads in a cross-origin isolated
 * page the losses are bit-identical; without COOP/COEP the page gets 1 thread and the same losses
 * (webgpu: webgpu.test.ts).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lib from "../../src/index.js";
import { launch, missing, serve } from "./harness.js";
// @ts-expect-error plain JS shared with the browser page
import { trainReadmeExample } from "./pages/readme-example.js";

const skip = missing();
const STEPS = 20;
const PAGE = "/test/browser/pages/readme.html";

interface WorkerResult { losses: number[]; threads: number; variant: string | null; adapter: string | null; ms: number; error?: string }

let nodeLosses: number[] = [];
before(async () => {
  if (skip) return;
  // Node on 2 kernel threads; the split is the same on 1 (tested below), so one reference serves both pages.
  await lib.setBackend("wasm", { threads: 2 });
  nodeLosses = (trainReadmeExample as (l: typeof lib, s: number) => number[])(lib, STEPS);
});
after(() => lib.getBackend("wasm").dispose());

async function inWorker(isolated: boolean, opts: { backend: string; threads?: number; steps: number }): Promise<WorkerResult & { isolated: boolean }> {
  const srv = await serve({ isolated });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(srv.url + PAGE);
    const r = (await page.evaluate(`window.run(${JSON.stringify(opts)})`)) as WorkerResult;
    if (r.error) throw new Error(`in the page worker: ${r.error}`);
    return { ...r, isolated: (await page.evaluate("self.crossOriginIsolated")) as boolean };
  } finally {
    await browser.close();
    await srv.close();
  }
}

test("README example in a page worker on 2 wasm threads (COOP/COEP): losses bit-identical to Node's", { skip: skip ?? false }, async () => {
  const r = await inWorker(true, { backend: "wasm", threads: 2, steps: STEPS });
  assert.equal(r.isolated, true);
  assert.equal(r.threads, 2);
  assert.equal(r.losses.length, STEPS);
  assert.deepEqual(r.losses, nodeLosses);
  // training moved: an identical constant would also be "bit-identical"
  assert.ok(nodeLosses[STEPS - 1]! < nodeLosses[0]!, `loss ${nodeLosses[0]} → ${nodeLosses[STEPS - 1]}`);
});

test("without COOP/COEP the page worker runs on 1 thread with the same losses; 1 wasm thread in Node agrees", { skip: skip ?? false }, async () => {
  const r = await inWorker(false, { backend: "wasm", threads: 2, steps: STEPS });
  assert.equal(r.isolated, false);
  assert.equal(r.threads, 1);
  assert.deepEqual(r.losses, nodeLosses);
  await lib.setBackend("wasm", { threads: 1 });
  assert.deepEqual((trainReadmeExample as (l: typeof lib, s: number) => number[])(lib, STEPS), nodeLosses);
});

test("on a page's main thread the wasm backend defaults to 1 thread and refuses 2 with a ConfigError naming the fix", { skip: skip ?? false }, async () => {
  const srv = await serve({ isolated: true });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(srv.url + PAGE);
    const r = (await page.evaluate(`(async () => {
      const lib = await import("/dist/browser/exodus-snn.js");
      const be = await lib.setBackend("wasm");
      let refused = "";
      try { await lib.setBackend("wasm", { threads: 2 }); } catch (e) { refused = e.name + ": " + e.message; }
      return { threads: be.threads, refused };
    })()`)) as { threads: number; refused: string };
    assert.equal(r.threads, 1);
    assert.match(r.refused, /^ConfigError: .*main thread.*Web Worker/);
  } finally {
    await browser.close();
    await srv.close();
  }
});
