/**
 * rediss://: the sweep commands talk to a TLS-only redis-server (a self-signed certificate made here with
 * the openssl command). With the certificate trusted through NODE_EXTRA_CA_CERTS the plan is queued; without
 * it the connection is refused (the certificate is checked) and the user gets a ConnectionError (exit 4), not a hang.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { redisServerAvailable, startRedis } from "./redis-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const haveOpenssl = spawnSync("openssl", ["version"]).status === 0;
const skip = !redisServerAvailable() ? "redis-server is not installed (.ci/setup-system installs it)" : !haveOpenssl ? "the openssl command is not installed" : false;

test("rediss:// to a TLS-only server: queued when the certificate is trusted, a ConnectionError when it is not", { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-tls-"));
  const cert = join(dir, "cert.pem"), key = join(dir, "key.pem");
  const gen = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { encoding: "utf8" });
  assert.equal(gen.status, 0, gen.stderr);
  const redis = await startRedis({ password: "pw", tls: { cert, key } });
  try {
    assert.match(redis.url, /^rediss:\/\//);
    const plan = join(dir, "plan.json");
    writeFileSync(plan, JSON.stringify({ name: "tls", base: { task: "toy", model: "tiny", epochs: 1, lr: 0.02, device: "ref" }, seeds: [1, 2], store: join(dir, "store") }));
    const cli = (args: string[], env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, encoding: "utf8", env });
    const { NODE_EXTRA_CA_CERTS: _, ...plain } = process.env;
    const ok = cli(["sweep", plan, "--redis", redis.url], { ...plain, NODE_EXTRA_CA_CERTS: cert });
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout.trim().split("\n").pop()!), { plan: "tls", trials: 2, added: 2, existing: 0, retried: 0, failed: 0, store: join(dir, "store") });
    const untrusted = cli(["sweep", "status", plan, "--redis", redis.url], plain);
    assert.equal(untrusted.status, 4, untrusted.stderr);
    assert.match(untrusted.stderr, /ConnectionError: cannot use Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(.*self[- ]signed certificate/);
  } finally {
    await redis.stop();
  }
});
