/**
 * Test helper: a throwaway redis-server on 127.0.0.1 at a free port (no persistence), stopped by the test.
 * `.ci/setup-system` installs redis-server; where it is missing the caller skips with a printed reason.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createConnection, createServer, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export function redisServerAvailable(): boolean {
  return spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function answersPing(port: number, tls: boolean): Promise<boolean> {
  return new Promise((res) => {
    // readiness only: the certificate is checked by the code under test, not here
    const c: Socket = tls
      ? tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => c.write("PING\r\n"))
      : createConnection({ host: "127.0.0.1", port }, () => c.write("PING\r\n"));
    c.once("data", (d) => {
      c.destroy();
      // a server with a password answers -NOAUTH: it is up all the same
      res(/^(\+PONG|-NOAUTH)/.test(d.toString()));
    });
    c.once("error", () => res(false));
  });
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * `password`: the server requires it (requirepass) and the URL carries it, as a user's would.
 * `tls`: PEM files; the server then speaks TLS only and the URL is rediss://.
 */
export async function startRedis(o: { password?: string; tls?: { cert: string; key: string } } = {}): Promise<RedisServer> {
  const port = await freePort();
  const auth = o.password ? ["--requirepass", o.password] : [];
  const listen = o.tls
    ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", o.tls.cert, "--tls-key-file", o.tls.key, "--tls-auth-clients", "no"]
    : ["--port", String(port)];
  const proc: ChildProcess = spawn("redis-server", [...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...auth], { stdio: "ignore" });
  for (let i = 0; i < 100 && !(await answersPing(port, !!o.tls)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await answersPing(port, !!o.tls))) {
    proc.kill("SIGKILL");
    throw new Error(`redis-server did not answer on port ${port}`);
  }
  return {
    url: `${o.tls ? "rediss" : "redis"}://${o.password ? `:${encodeURIComponent(o.password)}@` : ""}127.0.0.1:${port}`,
    stop: () => new Promise<void>((res) => {
      if (proc.exitCode !== null) return res();
      proc.once("exit", () => res());
      proc.kill("SIGKILL");
    }),
  };
}
