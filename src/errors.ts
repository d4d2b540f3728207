/**
 * Every error type exodus-snn throws on purpose. Each message says what is wrong and how to fix it;
 * callers (CLI, tests) match on the class, never on the text.
 *
 * Each class carries the exit status the command line ends with when it reaches the top (README, "Exit status"):
 *
 * | exit | classes | meaning |
 * |---|---|---|
 * | 0 | — | success |
 * | 1 | DisposedError, ExodusError itself (and any non-library error) | a bug in the calling code or in exodus-snn; also a failed `gradcheck` |
 * | 2 | UsageError, ConfigError, ShapeError, FormatError, UnsupportedKernelError, BackendUnavailableError | the input or the environment is wrong; the message names the fix |
 * | 3 | NumericalError | the run diverged (NaN or ±Inf): lower the learning rate, clip gradients, or check the data |
 * | 4 | ConnectionError | a server (the sweep's Redis) could not be reached or refused the login; a script may retry on 4 |
 */

/** Exit statuses of the table above. */
export type ExitCode = 1 | 2 | 3 | 4;

/** Base class: lets callers catch everything the library raised deliberately. */
export class ExodusError extends Error {
  /** The command line's exit status for this error (the table in this file's header). */
  readonly exitCode: ExitCode = 1;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor or array had the wrong shape or length. */
export class ShapeError extends ExodusError {
  override readonly exitCode = 2;
}

/** An impossible or unsupported hyper-parameter or option (θ ≤ minVMem, α ∉ [0,1], reset not supported…). */
export class ConfigError extends ExodusError {
  override readonly exitCode = 2;
}

/** A file did not match its format. Names the file, the byte offset or HDF5 path, and what was expected. */
export class FormatError extends ExodusError {
  override readonly exitCode = 2;

  constructor(
    readonly file: string,
    readonly where: string,
    readonly expected: string,
    detail?: string,
  ) {
    super(`${file}: at ${where}: expected ${expected}${detail ? ` (${detail})` : ""}`);
  }
}

/** NaN or ±Inf appeared in a tensor; names the layer or kernel where it was first seen. */
export class NumericalError extends ExodusError {
  override readonly exitCode = 3;
}

/** A kernel has no implementation on the selected backend. */
export class UnsupportedKernelError extends ExodusError {
  override readonly exitCode = 2;

  constructor(
    readonly kernel: string,
    readonly backend: string,
    readonly availableOn: readonly string[],
  ) {
    super(
      `kernel '${kernel}' is not implemented on backend '${backend}'` +
        (availableOn.length ? `; it is available on: ${availableOn.join(", ")} (use setBackend("${availableOn[0]}"))` : ""),
    );
  }
}

/** A backend could not be started (e.g. no WebGPU adapter). The message names what to install. */
export class BackendUnavailableError extends ExodusError {
  override readonly exitCode = 2;
}

/** A tensor was used after its memory was released (dispose / end of a step scope). */
export class DisposedError extends ExodusError {
  override readonly exitCode = 1;
}

/** Bad command-line usage; the CLI prints the message plus usage and exits 2. */
export class UsageError extends ExodusError {
  override readonly exitCode = 2;
}

/**
 * A server could not be reached or refused this client (the sweep's Redis: refused connection, unknown host,
 * wrong password, untrusted TLS certificate). Its own status, apart from 2, so a script can tell "the server is
 * down, try again later" from input it must change.
 */
export class ConnectionError extends ExodusError {
  override readonly exitCode = 4;
}
