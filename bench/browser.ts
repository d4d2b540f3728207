/**
 * `npm run bench:browser`: one training step of the README example network (784 → 256 LIF → 10 LIF,
 * T = 25, B = 8, EXODUS, Adam) on the wasm backend with 2 kernel threads, in Node and in Debian's Chromium
 * (a module worker of a cross-origin isolated page, the browser bundle), in the same run. Prints the first
 * step (compilation and warm-up included) and the median of the steady steps for both, and their ratio
 * (goal: browser ≤ 1.2× Node). Needs `npm run build` and /usr/bin/chromium (.ci/setup-system).
 */
import * as lib from "../src/index.js";
import { launch, missing, serve } from "../test/browser/harness.js";
// @ts-expect-error plain JS shared with the browser page
import { trainReadmeExample } from "../test/browser/pages/readme-example.js";

const STEPS = Number(process.env.BENCH_STEPS ?? 60);
const WARM = 10;
const THREADS = 2;

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const why = missing();
if (why) {
  console.error(`bench:browser: ${why}`);
  process.exit(2);
}

// Node first, then the browser: the two never run at once on the shared cores.
const t0 = performance.now();
await lib.setBackend("wasm", { threads: THREADS });
const nodeLoad = performance.now() - t0;
const nodeTimes: number[] = [];
const nodeLosses = (trainReadmeExample as (l: typeof lib, s: number, t: number[]) => number[])(lib, STEPS, nodeTimes);
lib.getBackend("wasm").dispose();

const srv = await serve({ isolated: true });
const browser = await launch();
const chromiumVersion = browser.version();
let web: { losses: number[]; times: number[]; threads: number; variant: string; error?: string };
try {
  const page = await browser.newPage();
  await page.goto(`${srv.url}/test/browser/pages/readme.html`);
  web = (await page.evaluate(`window.run(${JSON.stringify({ backend: "wasm", threads: THREADS, steps: STEPS })})`)) as typeof web;
} finally {
  await browser.close();
  await srv.close();
}
if (web.error) throw new Error(`bench:browser: the page worker failed: ${web.error}`);

const same = web.losses.length === nodeLosses.length && web.losses.every((v, i) => v === nodeLosses[i]);
const nodeMed = median(nodeTimes.slice(WARM));
const webMed = median(web.times.slice(WARM));
console.log(`bench:browser — README network (784→256→10 LIF, T=25, B=8, EXODUS, Adam), wasm, ${THREADS} threads, ${STEPS} steps (median over steps ${WARM + 1}..${STEPS})`);
console.log(`chromium: ${chromiumVersion} (module worker, cross-origin isolated), node: ${process.version}`);
console.log(`            first step   median step`);
console.log(`node        ${nodeTimes[0]!.toFixed(1).padStart(7)} ms   ${nodeMed.toFixed(2).padStart(8)} ms   (backend start ${nodeLoad.toFixed(0)} ms)`);
console.log(`chromium    ${web.times[0]!.toFixed(1).padStart(7)} ms   ${webMed.toFixed(2).padStart(8)} ms   (${web.threads} threads, ${web.variant} SIMD)`);
console.log(`browser / node (median step): ${(webMed / nodeMed).toFixed(2)}× (goal ≤ 1.2×); losses bit-identical: ${same ? "yes" : "NO"}`);
if (!same) process.exitCode = 1;
