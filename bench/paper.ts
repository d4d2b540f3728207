/**
 * `npm run bench` (and `npm run bench -- --quick`): the paper-reproduction benchmark, i.e. exactly
 * `exodus-snn bench` from src/cli/commands/bench.ts, runnable from a checkout without building dist/.
 * EXODUS vs SLAYER vs BPTT forward/backward on the ON Linear+LIF config, the SHD MLP and a scaled DVS
 * conv net; last stdout line = one JSON object; artefacts in docs/results/bench.{json,md,svg}.
 */
import { Command } from "commander";
import { register } from "../src/cli/commands/bench.js";

const program = new Command("exodus-snn").exitOverride();
register(program);
await program.parseAsync(["bench", ...process.argv.slice(2)], { from: "user" });
