/**
 * Redis connection settings from a URL: redis://[user:password@]host:port[/db] or rediss:// for TLS
 * (ioredis parses both; certificates are checked against Node's CAs, add yours with NODE_EXTRA_CA_CERTS).
 */
import { ConnectionError, UsageError } from "../errors.js";

export interface RedisConnection {
  url: string;
  maxRetriesPerRequest: number | null;
  retryStrategy?: (times: number) => number | null;
}

export const QUEUE_NAME = "exodus-snn-trials";

export function redisUrlFrom(flag: string | undefined): string {
  const url = flag ?? process.env.EXODUS_REDIS_URL;
  if (!url) throw new UsageError("no Redis server given; pass --redis redis://host:6379 (rediss:// for TLS) or set EXODUS_REDIS_URL");
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--redis: '${url}' is not a URL; use redis://[user:password@]host:port[/db] or rediss://… for TLS`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new UsageError(`--redis: unsupported scheme '${u.protocol}'; use redis:// or rediss:// (TLS)`);
  if (!u.hostname) throw new UsageError(`--redis: '${url}' names no host; use redis://host:port`);
  return url;
}

/** For workers: BullMQ blocks on Redis, and a worker rides out a Redis restart, so ioredis retries forever. */
export function connectionFor(url: string): RedisConnection {
  return { url, maxRetriesPerRequest: null };
}

/** For the sweep commands: a user waiting at a prompt gets an error after about a second, not a hang. */
export function clientConnectionFor(url: string): RedisConnection {
  return { url, maxRetriesPerRequest: 1, retryStrategy: (times) => (times > 3 ? null : 250) };
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/** What a failed connection to `url` becomes: the server's own words (ECONNREFUSED, WRONGPASS, …) and what to check. */
export function connectionError(url: string, cause: Error): ConnectionError {
  return new ConnectionError(`cannot use Redis at ${redactUrl(url)} (${cause.message}); check --redis (host, port, password, rediss:// for TLS) and that the server runs`);
}
