/**
 * The exit-status table (src/errors.ts header, README "Exit status"): each error class carries its exitCode, and
 * the command line ends with it (main() reads e.exitCode, never the class name).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "../../src/cli/main.js";
import {
  BackendUnavailableError, ConfigError, DisposedError, ExodusError, FormatError, NumericalError, ShapeError,
  UnsupportedKernelError, UsageError,
} from "../../src/errors.js";

test("every error class has the exit status of the documented table", () => {
  const table: [ExodusError, number][] = [
    [new ExodusError("x"), 1], [new DisposedError("x"), 1],
    [new UsageError("x"), 2], [new ConfigError("x"), 2], [new ShapeError("x"), 2], [new FormatError("f", "0", "y"), 2],
    [new UnsupportedKernelError("gemm", "ref", []), 2], [new BackendUnavailableError("x"), 2],
    [new NumericalError("x"), 3],
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
