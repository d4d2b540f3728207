#!/usr/bin/env node
/**
 * `exodus-snn` command line: a table of subcommands, each defined in cli/commands/<name>.ts as
 * `register(program)`. A library error prints its class and message, no stack trace, and exits with the class's
 * exitCode (errors.ts: 2 for input the user can fix, 3 for a diverged run, 4 for a server out of reach, 1 for a bug).
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { ExodusError } from "../errors.js";
import { register as registerGradcheck } from "./commands/gradcheck.js";
import { register as registerBench } from "./commands/bench.js";
import { register as registerExperiment } from "./commands/experiment.js";
import { register as registerTrain } from "./commands/train.js";
import { register as registerEval } from "./commands/eval.js";
import { register as registerData } from "./commands/data.js";
import { register as registerSweep } from "./commands/sweep.js";
import { register as registerWorker } from "./commands/worker.js";
import { register as registerNir } from "./commands/nir.js";

export function buildProgram(): Command {
  const program = new Command("exodus-snn")
    .description("Train spiking neural networks with exact EXODUS gradients (plus BPTT and SLAYER).")
    .exitOverride()
    .showHelpAfterError();
  registerGradcheck(program);
  registerBench(program);
  registerExperiment(program);
  registerTrain(program);
  registerEval(program);
  registerData(program);
  registerSweep(program);
  registerWorker(program);
  registerNir(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help / version are "errors" with exit code 0 in commander
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof ExodusError) {
      process.stderr.write(`exodus-snn: ${e.name}: ${e.message}\n`);
      return e.exitCode; // the table in errors.ts
    }
    throw e;
  }
}

function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
