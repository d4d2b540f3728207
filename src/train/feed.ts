/**
 * Where a training step's input comes from. A feed encodes an epoch's batches in order from one Rng stream,
 * exactly as calling task.encode batch after batch would, so results do not depend on which feed ran:
 * - InlineFeed encodes on the calling thread when a batch is asked for;
 * - WorkerFeed builds its own copy of the task in a worker thread (from the task's table name and options)
 *   and encodes batch k+1 (and k+2) while the trainer runs step k, so decoding, binning and cache reads
 *   never stall a step. Each batch comes back as a transferred buffer (no copy).
 */
import { Worker } from "node:worker_threads";
import * as errors from "../errors.js";
import { Rng } from "../util/rng.js";
import type { Split, Task, TaskOptions } from "./tasks/types.js";

export interface BatchStream {
  next(): Promise<Float32Array>;
  /** Stops early (frees the batches prepared ahead). */
  close(): void;
}

export interface BatchFeed {
  stream(split: Split, batches: readonly (readonly number[])[], seed: number): BatchStream;
  close(): Promise<void>;
}

export class InlineFeed implements BatchFeed {
  constructor(readonly task: Task) {}
  stream(split: Split, batches: readonly (readonly number[])[], seed: number): BatchStream {
    const rng = new Rng(seed);
    let k = 0;
    return {
      next: async () => {
        if (k >= batches.length) throw new errors.ConfigError(`batch stream: all ${batches.length} batches were taken`);
        return this.task.encode(split, batches[k++]!, rng);
      },
      close: () => {},
    };
  }
  async close(): Promise<void> {}
}

/** Messages between WorkerFeed and feed-worker.ts. */
export type FeedRequest =
  | { type: "open"; id: number; split: Split; batches: number[][]; seed: number }
  | { type: "get"; id: number; k: number }
  | { type: "drop"; id: number };
export type FeedReply =
  | { type: "ready" }
  | { type: "batch"; id: number; k: number; data: Float32Array }
  | { type: "error"; id: number; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  props: Record<string, unknown>;
}

export function serializeError(e: unknown): SerializedError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, props: { ...err } };
}

/** The same error class on this side (instanceof and the CLI's exit codes keep working). */
export function reviveError(s: SerializedError): Error {
  const cls = (errors as Record<string, unknown>)[s.name];
  const proto = typeof cls === "function" && cls.prototype instanceof Error ? (cls.prototype as Error) : Error.prototype;
  const e = Object.assign(Object.create(proto) as Error, s.props);
  Object.defineProperty(e, "message", { value: s.message, enumerable: false, writable: true });
  Object.defineProperty(e, "name", { value: s.name, enumerable: false, writable: true });
  Error.captureStackTrace(e, reviveError);
  return e;
}

/** How far the worker runs ahead of the trainer (batches held in memory besides the one training). */
const AHEAD = 2;

export class WorkerFeed implements BatchFeed {
  private nextId = 1;
  private readonly waiting = new Map<string, { resolve: (d: Float32Array) => void; reject: (e: Error) => void }>();
  private readonly arrived = new Map<string, Float32Array>();
  private readonly failed = new Map<number, Error>();
  private dead: Error | null = null;
  private closing = false;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (m: FeedReply) => {
      if (m.type === "batch") {
        const key = `${m.id}:${m.k}`;
        const w = this.waiting.get(key);
        if (w) {
          this.waiting.delete(key);
          w.resolve(m.data);
        } else this.arrived.set(key, m.data);
      } else if (m.type === "error") {
        const e = reviveError(m.error);
        this.failed.set(m.id, e);
        for (const [key, w] of this.waiting) if (key.startsWith(`${m.id}:`)) (this.waiting.delete(key), w.reject(e));
      }
    });
    const die = (e: Error) => {
      this.dead = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    worker.on("error", die);
    worker.on("exit", (code) => {
      if (!this.closing) die(new Error(`the batch worker exited (code ${code})`));
    });
  }

  /** Starts a worker that builds `createTask(name, options)`; resolves once it is ready. */
  static async start(name: string, options: TaskOptions): Promise<WorkerFeed> {
    const here = import.meta.url;
    let worker: Worker;
    if (here.endsWith(".ts")) {
      // Running from sources under tsx (tests, benches): a worker does not inherit the tsx loader, so a tiny
      // ESM bootstrap registers it and then imports the worker's .ts file.
      const tsx = import.meta.resolve("tsx/esm/api");
      const target = new URL("./feed-worker.ts", here).href;
      const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(target)});`;
      worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: { name, options }, execArgv: [] });
    } else {
      worker = new Worker(new URL("./feed-worker.js", here), { workerData: { name, options }, execArgv: [] });
    }
    await new Promise<void>((resolve, reject) => {
      // Only our own listeners come off afterwards: removeAllListeners would also drop the Worker's internal
      // ones that start its message port, and no later message would arrive.
      const done = (e?: Error) => {
        worker.off("message", onMsg).off("error", onError).off("exit", onExit);
        if (e) reject(e);
        else resolve();
      };
      const onMsg = (m: FeedReply) => {
        if (m.type === "ready") done();
        else if (m.type === "error") done(reviveError(m.error));
      };
      const onError = (e: Error) => done(e);
      const onExit = (code: number) => done(new Error(`the batch worker exited during start-up (code ${code})`));
      worker.on("message", onMsg).on("error", onError).on("exit", onExit);
    });
    return new WorkerFeed(worker);
  }

  stream(split: Split, batches: readonly (readonly number[])[], seed: number): BatchStream {
    const id = this.nextId++;
    this.post({ type: "open", id, split, batches: batches.map((b) => Array.from(b)), seed });
    let asked = 0, taken = 0;
    const ask = () => {
      while (asked < batches.length && asked < taken + 1 + AHEAD) this.post({ type: "get", id, k: asked++ });
    };
    ask();
    return {
      next: () => {
        if (taken >= batches.length) return Promise.reject(new errors.ConfigError(`batch stream: all ${batches.length} batches were taken`));
        const key = `${id}:${taken++}`;
        ask();
        const failed = this.failed.get(id) ?? this.dead;
        if (failed) return Promise.reject(failed);
        const ready = this.arrived.get(key);
        if (ready) {
          this.arrived.delete(key);
          return Promise.resolve(ready);
        }
        return new Promise((resolve, reject) => this.waiting.set(key, { resolve, reject }));
      },
      close: () => {
        this.post({ type: "drop", id });
        for (const key of [...this.arrived.keys()]) if (key.startsWith(`${id}:`)) this.arrived.delete(key);
        this.failed.delete(id);
      },
    };
  }

  private post(m: FeedRequest): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}
