/**
 * The batch worker of WorkerFeed (feed.ts): builds its own copy of the task from the table, then answers
 * requests in order. Each stream keeps its own Rng, advanced exactly as the trainer's inline encoding would.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Rng } from "../util/rng.js";
import { serializeError, type FeedReply, type FeedRequest } from "./feed.js";
import { createTask } from "./tasks/table.js";
import type { Split, Task, TaskOptions } from "./tasks/types.js";

const port = parentPort!;
const { name, options } = workerData as { name: string; options: TaskOptions };
const send = (m: FeedReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

interface Stream {
  split: Split;
  batches: number[][];
  rng: Rng;
}

let task: Task;
const streams = new Map<number, Stream>();
// Requests are served one after another: encode is async for datasets on disk, and a stream's draws
// must happen in batch order.
let queue: Promise<void> = Promise.resolve();

async function serve(m: FeedRequest): Promise<void> {
  if (m.type === "open") {
    streams.set(m.id, { split: m.split, batches: m.batches, rng: new Rng(m.seed) });
  } else if (m.type === "drop") {
    streams.delete(m.id);
  } else {
    const s = streams.get(m.id);
    if (!s) return; // dropped while the request was in flight
    try {
      const data = await task.encode(s.split, s.batches[m.k]!, s.rng);
      const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
      send({ type: "batch", id: m.id, k: m.k, data: own }, [own.buffer as ArrayBuffer]);
    } catch (e) {
      streams.delete(m.id);
      send({ type: "error", id: m.id, error: serializeError(e) });
    }
  }
}

try {
  task = await createTask(name, options);
  port.on("message", (m: FeedRequest) => {
    queue = queue.then(() => serve(m)).catch((e: unknown) => void process.stderr.write(`exodus-snn batch worker: ${String(e)}\n`));
  });
  send({ type: "ready" });
} catch (e) {
  send({ type: "error", id: 0, error: serializeError(e) });
}
