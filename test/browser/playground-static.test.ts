/**
 * The playground as plain static files on a host without COOP/COEP: the same as playground.test.ts, on one
 * kernel thread (the page is not cross-origin isolated, so there is no SharedArrayBuffer).
 */
import { test } from "node:test";
import { check, skip, trainPlayground } from "./playground-run.js";

test("playground as plain static files (no COOP/COEP): the same on one thread", { skip: skip ?? false }, async () => {
  check(await trainPlayground(false), /mnist on wasm \(1 thread\)/);
});
