/**
 * Worker-thread entry that trains one trial. Training keeps its thread busy for whole epochs (kernels are
 * synchronous), so it runs here and the worker's main thread stays free to renew the BullMQ job lock;
 * otherwise a long epoch would let the lock lapse and a second worker would start the same trial.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runTrial } from "./run-trial.js";
import type { TrialSpec } from "./spec.js";

export type ThreadMessage =
  | { kind: "epoch"; epoch: number; epochs: number; test_accuracy: number }
  | { kind: "done"; result: Awaited<ReturnType<typeof runTrial>> }
  | { kind: "error"; name: string; message: string };

const { spec, runDir, worker } = workerData as { spec: TrialSpec; runDir: string; worker: string };
const post = (m: ThreadMessage) => parentPort!.postMessage(m);
runTrial(spec, runDir, { worker, onEpoch: (m) => post({ kind: "epoch", epoch: m.epoch, epochs: spec.epochs, test_accuracy: m.test_accuracy }) }).then(
  (result) => post({ kind: "done", result }),
  (e: unknown) => post({ kind: "error", name: e instanceof Error ? e.name : "Error", message: e instanceof Error ? e.message : String(e) }),
);
