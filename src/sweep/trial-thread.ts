/**
 * Worker-thread entry that trains trials, one at a time, as the worker's main thread sends them. Training
 * keeps its thread busy for whole epochs (kernels are synchronous), so it runs here and the main thread
 * stays free to renew the BullMQ job lock; otherwise a long epoch would let the lock lapse and a second
 * worker would start the same trial. The thread lives across trials, so module loading is paid once.
 */
import { parentPort } from "node:worker_threads";
import { runTrial, type TrialResult } from "./run-trial.js";
import type { TrialSpec } from "./spec.js";

export interface ThreadRequest {
  spec: TrialSpec;
  runDir: string;
  worker: string;
}

export type ThreadMessage =
  | { kind: "epoch"; epoch: number }
  | { kind: "done"; result: TrialResult }
  | { kind: "error"; name: string; message: string };

const post = (m: ThreadMessage) => parentPort!.postMessage(m);
parentPort!.on("message", (r: ThreadRequest) => {
  runTrial(r.spec, r.runDir, { worker: r.worker, onEpoch: (m) => post({ kind: "epoch", epoch: m.epoch }) }).then(
    (result) => post({ kind: "done", result }),
    (e: unknown) => post({ kind: "error", name: e instanceof Error ? e.name : "Error", message: e instanceof Error ? e.message : String(e) }),
  );
});
