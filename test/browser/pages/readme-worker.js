// A page worker: starts the backend the page asks for, trains the README example, posts the losses back.
import * as lib from "../../../dist/browser/exodus-snn.js";
import { trainReadmeExample, trainReadmeExampleAsync } from "./readme-example.js";

self.onmessage = async (e) => {
  const { backend, threads, steps } = e.data;
  try {
    const be = await lib.setBackend(backend, backend === "wasm" ? { threads } : undefined);
    const t0 = performance.now();
    const times = [];
    const losses = backend === "webgpu" ? await trainReadmeExampleAsync(lib, steps) : trainReadmeExample(lib, steps, times);
    const adapter = be.adapterInfo ? `${be.adapterInfo.vendor} ${be.adapterInfo.architecture} ${be.adapterInfo.description ?? ""}`.trim() : null;
    self.postMessage({ losses, times, adapter, threads: be.threads ?? 1, variant: be.variant ?? null, ms: performance.now() - t0 });
  } catch (err) {
    self.postMessage({ error: String(err && err.stack || err) });
  }
};
