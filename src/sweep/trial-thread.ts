/**
 * Worker-thread entry that trains trials, one at a time, as the worker's main thread sends them. Training
 * keeps its thread busy for whole epochs (kernels are synchronous), so it runs here and the main thread
 * stays free to renew the BullMQ job lock; otherwise a long epoch would let the lock lapse and a second
 * worker would start the same trial. The thread lives across trials, so module loading is paid once (and an
 * accuracy experiment's frames are loaded once for all its runs, see experiments/accuracy-event.ts).
 */
import { parentPort } from "node:worker_threads";
import type { RunResult } from "../experiments/accuracy.js";
import type { AccuracyRunSpec } from "../experiments/accuracy-event.js";
import { runTrial, type TrialResult } from "./run-trial.js";
import type { TrialSpec } from "./spec.js";

export type ThreadRequest =
  | { kind: "trial"; spec: TrialSpec; runDir: string; worker: string }
  | { kind: "accuracy-run"; run: AccuracyRunSpec };

export type ThreadMessage =
  | { kind: "epoch"; epoch: number }
  | { kind: "done"; result: TrialResult | RunResult }
  | { kind: "error"; name: string; message: string };

const post = (m: ThreadMessage) => parentPort!.postMessage(m);

function run(r: ThreadRequest): Promise<TrialResult | RunResult> {
  if (r.kind === "accuracy-run") return import("../experiments/accuracy-event.js").then((m) => m.runAccuracyJob(r.run));
  return runTrial(r.spec, r.runDir, { worker: r.worker, onEpoch: (m) => post({ kind: "epoch", epoch: m.epoch }) });
}

parentPort!.on("message", (r: ThreadRequest) => {
  run(r).then(
    (result) => post({ kind: "done", result }),
    (e: unknown) => post({ kind: "error", name: e instanceof Error ? e.name : "Error", message: e instanceof Error ? e.message : String(e) }),
  );
});
