/**
 * The exit-status table (src/errors.ts header, README "Exit status"): each error class carries its exitCode, and
 * the command line ends with it (main() reads e.exitCode, never the class name).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { main } from "../../src/cli/main.js";
import {
  BackendUnavailableError, ConfigError, ConnectionError, DisposedError, ExodusError, FormatError, NumericalError, ShapeError,
  UnsupportedKernelError, UsageError,
} from "../../src/errors.js";

test("every error class has the exit status of the documented table", () => {
  const table: [ExodusError, number][] = [
    [new ExodusError("x"), 1], [new DisposedError("x"), 1],
    [new UsageError("x"), 2], [new ConfigError("x"), 2], [new ShapeError("x"), 2], [new FormatError("f", "0", "y"), 2],
    [new UnsupportedKernelError("gemm", "ref", []), 2], [new BackendUnavailableError("x"), 2],
    [new NumericalError("x"), 3],
    [new ConnectionError("x"), 4],
  ];
  for (const [e, code] of table) assert.equal(e.exitCode, code, `${e.name}`);
  // a subclass inherits its parent's status unless it says otherwise
  class MyShapeFault extends ShapeError {}
  assert.equal(new MyShapeFault("x").exitCode, 2);
  assert.equal(new MyShapeFault("x").name, "MyShapeFault");
});

test("main() exits with the error's exitCode and prints class and message, no stack", async () => {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (written.push(String(s)), true)) as typeof process.stderr.write;
  try {
    // a case file that does not exist: the gradcheck command raises a library error the user can fix
    const code = await main(["gradcheck", "--case", "/nonexistent/exodus-case.json"]);
    assert.equal(code, 2);
  } finally {
    process.stderr.write = write;
  }
  const out = written.join("");
  assert.match(out, /^exodus-snn: \w+Error: /m);
  assert.doesNotMatch(out, /\n\s+at .*\.[cm]?[jt]s:\d+/);
});

/** Runs main() with stderr captured. */
async function mainCapturing(argv: string[]): Promise<{ code: number; stderr: string }> {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (written.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr: written.join("") };
  } finally {
    process.stderr.write = write;
  }
}

test("a Redis server that cannot be reached: the sweep commands and the worker exit 4 (ConnectionError), at once", { timeout: 90_000 }, async () => {
  // a port that was free a moment ago: nothing listens there
  const port = await new Promise<number>((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
  const url = `redis://:pw@127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "exodus-exit-"));
  const plan = join(dir, "plan.json");
  writeFileSync(plan, JSON.stringify({ name: "down", base: { task: "toy", model: "tiny", epochs: 1, lr: 0.02, device: "ref" } }));
  for (const argv of [["sweep", plan, "--redis", url], ["sweep", "status", plan, "--redis", url], ["sweep", "forget", plan, "--redis", url, "--yes"], ["worker", "--redis", url]]) {
    const t0 = performance.now();
    const r = await mainCapturing(argv);
    assert.equal(r.code, 4, `${argv.join(" ")}: ${r.stderr}`);
    // the password stays out of the message; the cause and the fix are in it
    assert.match(r.stderr, new RegExp(`^exodus-snn: ConnectionError: cannot use Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED .*\\); check --redis`), argv.join(" "));
    assert.ok(performance.now() - t0 < 20_000, `${argv[0]} gave up after ${(performance.now() - t0).toFixed(0)} ms`);
  }
});
