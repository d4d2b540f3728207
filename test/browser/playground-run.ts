/**
 * Drives the playground in real Chromium (playground*.test.ts): trains a few MNIST steps in its worker, reads
 * what its charts drew (loss points, raster spikes), draws a digit and asks the network, downloads the
 * weights and decodes them as safetensors; `check` holds the assertions both servings share.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeSafetensors } from "../../src/train/safetensors-codec.js";
import { launch, missing, ROOT, serve } from "./harness.js";

export const skip = missing();
const STEPS = 12;
const ARTIFACTS = join(ROOT, "runs/browser");

export async function trainPlayground(isolated: boolean, shot?: string) {
  const srv = await serve({ isolated });
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${srv.url}/playground/`);
    await page.selectOption("#task", "mnist");
    await page.fill("#steps", String(STEPS));
    await page.fill("#batch", "16");
    await page.click("#start");
    // page functions as source: this file is typed without the DOM library
    await page.waitForFunction(`/· done|error:/.test(document.getElementById("status").textContent)`, undefined, { timeout: 90_000 });
    const status = (await page.textContent("#status"))!;
    assert.doesNotMatch(status, /error:/, status);
    // one point per step on the loss curve (lineChart draws a circle per value), spikes in the raster
    const lossPoints = await page.locator("#loss svg circle").count();
    const rasterTitle = (await page.textContent("#raster svg text"))!;
    const acc = await page.locator("#acc svg circle").count();
    // draw a vertical bar (a "1") and ask the network
    const box = (await page.locator("#pad").boundingBox())!;
    await page.mouse.move(box.x + 140, box.y + 50);
    await page.mouse.down();
    await page.mouse.move(box.x + 140, box.y + 230, { steps: 10 });
    await page.mouse.up();
    await page.click("#classify");
    await page.waitForFunction(`document.getElementById("answer").textContent !== ""`, undefined, { timeout: 30_000 });
    const answer = (await page.textContent("#answer"))!;
    const download = page.waitForEvent("download");
    await page.click("#download");
    const file = await (await download).path();
    const weights = decodeSafetensors(new Uint8Array(readFileSync(file)));
    if (shot) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, shot), fullPage: true });
    }
    return { status, lossPoints, rasterTitle, acc, answer, weights, errors };
  } finally {
    await browser.close();
    await srv.close();
  }
}

export function check(r: Awaited<ReturnType<typeof trainPlayground>>, threads: RegExp): void {
  assert.deepEqual(r.errors, []);
  assert.match(r.status, threads);
  assert.match(r.status, new RegExp(`step ${STEPS} · loss \\d+\\.\\d+`));
  assert.equal(r.lossPoints, STEPS);
  assert.equal(r.acc, 2, "accuracy evaluated every 10 steps and at the end");
  const spikes = Number(/(\d+) spikes, 128 neurons/.exec(r.rasterTitle)?.[1]);
  assert.ok(spikes > 0, r.rasterTitle);
  assert.match(r.answer, /^the network says \d \(output spike counts( \d+){10}\)$/);
  const shapes = Object.fromEntries([...r.weights.tensors].map(([n, t]) => [n, t.shape]));
  assert.deepEqual(shapes, { "0.weight": [128, 784], "0.bias": [128], "1.tauMem": [1], "2.weight": [10, 128], "2.bias": [10], "3.tauMem": [1] });
  assert.equal(r.weights.metadata.task, "mnist");
}
