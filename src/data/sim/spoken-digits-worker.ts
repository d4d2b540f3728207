/**
 * Worker thread of the spoken-digits generator: receives batches of sample specs, answers with their
 * spikes (buffers transferred, not copied). One espeak-ng process at a time per worker.
 */
import { parentPort } from "node:worker_threads";
import type { CochleaParams } from "../audio/cochlea.js";
import { synthSample, type SampleSpec } from "../audio/speech-synth.js";

interface Job {
  id: number;
  params: CochleaParams;
  specs: SampleSpec[];
}

parentPort!.on("message", (job: Job) => {
  try {
    const rows = job.specs.map((s) => synthSample(s, job.params));
    const transfer = rows.flatMap((r) => [r.times.buffer, r.units.buffer]);
    parentPort!.postMessage({ id: job.id, rows: rows.map((r) => ({ times: r.times, units: r.units, seconds: r.seconds })) }, transfer as ArrayBuffer[]);
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({ id: job.id, error: { name: err.name, message: err.message } });
  }
});
