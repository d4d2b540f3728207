/**
 * Worker threads for the wasm backend: each worker instantiates the same "-mt" kernel module on the same
 * shared linear memory, so a kernel call can be cut into blocks (rows of a gemm, columns of a neuron scan,
 * ranges of an elementwise op) that run at once. The calling thread runs block 0 itself and then waits:
 * calls stay synchronous, as the Backend contract wants. Dispatch is a sequence number and a few float64
 * arguments in a SharedArrayBuffer per worker, Atomics.notify / Atomics.wait on both sides (no
 * postMessage, no event loop): about 10–30 µs, which is why parallel.ts only splits calls worth ≥ ~0.2 ms.
 * Threads are started by the host (platform/: worker_threads in Node, Blob-URL Web Workers in a browser);
 * `ready()` awaits their handshake without blocking, which a browser needs (see platform/browser.ts).
 */
import { platform } from "#platform";
import type { ThreadHandle } from "./platform/api.js";

const MAX_ARGS = 32;
// ctrl words: 0 job sequence (−1: exit), 1 finished sequence, 2 export index, 3 argument count, 4 error flag,
// 5 state (0 starting, 1 ready, 2 failed to start)
const SEQ = 0, DONE = 1, FN = 2, NARGS = 3, ERR = 4, STATE = 5;
/** How long a first call waits for a worker to come up before running without it. */
const START_TIMEOUT_MS = 20_000;

// The thread's body, as source: it runs in a fresh realm (worker_threads or a Web Worker) with no project code.
const THREAD_BODY = `(data) => {
  const { module, memory, ctrl, args, names } = data;
  const c = new Int32Array(ctrl), a = new Float64Array(args);
  let fns;
  try {
    const inst = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error("kernel aborted"); } } });
    fns = names.map((n) => inst.exports[n]);
    Atomics.store(c, ${STATE}, 1);
  } catch (e) {
    Atomics.store(c, ${STATE}, 2);
  }
  Atomics.notify(c, ${STATE});
  if (!fns) return;
  let seen = 0;
  for (;;) {
    // a short spin catches the next call of a busy training step without a futex round trip
    let spins = 0;
    while (Atomics.load(c, ${SEQ}) === seen && spins < 20000) spins++;
    if (Atomics.load(c, ${SEQ}) === seen) Atomics.wait(c, ${SEQ}, seen);
    seen = Atomics.load(c, ${SEQ});
    if (seen < 0) break;
    try {
      fns[c[${FN}]](...a.subarray(0, c[${NARGS}]));
      c[${ERR}] = 0;
    } catch (e) {
      c[${ERR}] = 1;
    }
    Atomics.store(c, ${DONE}, seen);
    Atomics.notify(c, ${DONE});
  }
}`;

interface Slot { worker: ThreadHandle; ctrl: Int32Array; args: Float64Array; seq: number; ready: boolean }

export class KernelThreads {
  private readonly slots: Slot[] = [];
  private readonly index = new Map<string, number>();

  /** `extra` workers besides the calling thread, each instantiating `module` on `memory`. */
  constructor(module: object, memory: object, extra: number, private readonly names: readonly string[]) {
    names.forEach((n, i) => this.index.set(n, i));
    for (let w = 0; w < extra; w++) {
      const ctrl = new SharedArrayBuffer(64);
      const args = new SharedArrayBuffer(MAX_ARGS * 8);
      const c = new Int32Array(ctrl);
      // An error before the handshake (the thread could not start) counts as a failed start.
      const worker = platform.startThread(THREAD_BODY, { module, memory, ctrl, args, names }, () => {
        if (Atomics.load(c, STATE) === 0) Atomics.store(c, STATE, 2);
      });
      this.slots.push({ worker, ctrl: c, args: new Float64Array(args), seq: 0, ready: false });
    }
  }

  /** Threads a call can use: the caller plus the workers. */
  get count(): number {
    return this.slots.length + 1;
  }

  /**
   * Runs export `fn` once per argument list, all at once: parts[0] on this thread (through `self`),
   * parts[1..] on the workers; returns when all are done. Lists beyond count() are an error of the caller.
   */
  run(fn: string, parts: readonly (readonly number[])[], self: (...a: number[]) => unknown): void {
    const fi = this.index.get(fn);
    if (fi === undefined) throw new Error(`wasm threads: no export '${fn}'`);
    if (parts.length > this.count) throw new Error(`wasm threads: ${parts.length} blocks for ${this.count} threads`);
    if (!this.slots.every((s) => s.ready)) this.awaitStart();
    if (parts.length > this.count) {
      // a worker failed to start: the caller runs every block
      for (const p of parts) self(...p);
      return;
    }
    for (let w = 1; w < parts.length; w++) {
      const s = this.slots[w - 1]!;
      const p = parts[w]!;
      if (p.length > MAX_ARGS) throw new Error(`wasm threads: '${fn}' has more than ${MAX_ARGS} arguments`);
      s.args.set(p);
      s.ctrl[FN] = fi;
      s.ctrl[NARGS] = p.length;
      s.seq++;
      Atomics.store(s.ctrl, SEQ, s.seq);
      Atomics.notify(s.ctrl, SEQ);
    }
    let err: unknown = null;
    try {
      self(...parts[0]!);
    } catch (e) {
      err = e;
    }
    let failed = false;
    for (let w = 1; w < parts.length; w++) {
      const s = this.slots[w - 1]!;
      let d: number;
      let spins = 0;
      while ((d = Atomics.load(s.ctrl, DONE)) !== s.seq) {
        if (++spins > 2000) Atomics.wait(s.ctrl, DONE, d, 50);
      }
      if (s.ctrl[ERR]) failed = true;
    }
    if (err) throw err;
    if (failed) throw new Error(`wasm backend: kernel '${fn}' aborted on a worker thread`);
  }

  /**
   * Resolves once every worker has reported (started or failed), polling without blocking this thread, so
   * workers that start only when this thread returns to its event loop (a browser worker's own workers)
   * come up; then drops the failed ones as awaitStart does.
   */
  async ready(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    const t0 = Date.now();
    while (this.slots.some((s) => Atomics.load(s.ctrl, STATE) === 0) && Date.now() - t0 < timeoutMs) {
      await new Promise((r) => setTimeout(r, 5));
    }
    this.awaitStart(0);
  }

  /**
   * Waits (once per worker) for its handshake. A worker that reports failure or does not come up in
   * START_TIMEOUT_MS is dropped: calls then run on fewer threads, with one warning, rather than hang.
   */
  private awaitStart(timeoutMs = START_TIMEOUT_MS): void {
    for (const s of this.slots) {
      const t0 = Date.now();
      while (Atomics.load(s.ctrl, STATE) === 0 && Date.now() - t0 < timeoutMs) Atomics.wait(s.ctrl, STATE, 0, 50);
      s.ready = Atomics.load(s.ctrl, STATE) === 1;
    }
    const failed = this.slots.filter((s) => !s.ready);
    if (failed.length > 0) {
      for (const s of failed) s.worker.terminate();
      this.slots.splice(0, this.slots.length, ...this.slots.filter((s) => s.ready));
      platform.warn(`exodus-snn wasm backend: ${failed.length} kernel worker thread(s) did not start; running on ${this.count}`);
    }
  }

  /** Stops the workers (they exit at their next wake-up). */
  terminate(): void {
    for (const s of this.slots) {
      Atomics.store(s.ctrl, SEQ, -1);
      Atomics.notify(s.ctrl, SEQ);
      s.worker.terminate();
    }
    this.slots.length = 0;
  }
}
