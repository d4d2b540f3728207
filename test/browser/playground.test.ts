/**
 * The playground in real Chromium, served with COOP/COEP: it trains MNIST steps on wasm threads in its
 * worker, draws its charts, answers a drawn digit and downloads safetensors weights (playground-run.ts).
 * The screenshot goes to runs/browser/playground.png (a CI artifact).
 */
import { test } from "node:test";
import { check, skip, trainPlayground } from "./playground-run.js";

test("playground (COOP/COEP): trains MNIST steps on wasm threads, draws loss/accuracy/raster, answers a drawing, downloads safetensors", { skip: skip ?? false }, async () => {
  check(await trainPlayground(true, "playground.png"), /mnist on wasm \((\d+) threads\)/);
});
