/**
 * `exodus-snn worker --redis URL`: takes sweep trials from the queue and trains them until stopped
 * (SIGINT/SIGTERM finish the running trials first; a second signal exits at once, and the trials resume
 * elsewhere from their last checkpoint). A server that cannot be reached at start is a ConnectionError (exit 4).
 */
import { Command } from "commander";
import { redactUrl, redisUrlFrom } from "../../sweep/redis.js";
import { intArg } from "../args.js";

interface Flags {
  redis?: string;
  concurrency: number;
  store?: string;
  lockMs: number;
}

async function workerAction(f: Flags): Promise<void> {
  const url = redisUrlFrom(f.redis);
  const log = (line: string) => process.stderr.write(`exodus-snn worker: ${line}\n`);
  // a worker rides out a Redis restart once running (it retries forever), so a wrong URL or password would
  // hang it silently: check them once at start, and exit with the ConnectionError's status instead
  await (await import("../../sweep/queue.js")).checkRedis(url);
  const { startWorker } = await import("../../sweep/worker.js");
  const w = startWorker({ url, concurrency: f.concurrency, store: f.store, lockMs: f.lockMs, onEvent: log });
  await w.waitUntilReady();
  log(`taking trials from ${redactUrl(url)} (concurrency ${f.concurrency}${f.store ? `, store ${f.store}` : ""})`);
  await new Promise<void>((res) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      log("stopping after the running trials (signal again to exit now)");
      void w.close().then(res);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export function register(program: Command): void {
  program
    .command("worker")
    .description("train sweep trials taken from a Redis queue (submit them with exodus-snn sweep)")
    .option("--redis <url>", "Redis server, redis://[user:password@]host:port[/db] or rediss:// for TLS (default: EXODUS_REDIS_URL)")
    .option("--concurrency <n>", "trials trained at once", intArg(1), 1)
    .option("--store <dir>", "shared checkpoint directory, when it is mounted elsewhere than on the submitting machine")
    .option("--lock-ms <ms>", "job lock time; a dead worker's trial is taken over after about this long", intArg(1000), 30000)
    .action((f: Flags) => workerAction(f));
}
