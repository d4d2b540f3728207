/**
 * `exodus-snn bench [--quick] [--only CASES] [--engines LIST] [--out DIR] [--no-write]`: EXODUS vs SLAYER
 * vs BPTT forward/backward timings (src/experiments/speed.ts). Progress goes to stdout as a table; the
 * last stdout line is one JSON object with every number, keyed by case and engine (for scripts and CI).
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { GRADIENT_ENGINES, type GradientEngine } from "../../neurons/dynamics.js";
import { benchJson, benchMarkdown, benchSvg, runBench } from "../../experiments/speed.js";
import { writeArtifacts } from "../../experiments/output.js";

interface BenchOpts {
  quick?: boolean;
  only?: string;
  engines?: string;
  out: string;
  write: boolean;
}

export function register(program: Command): void {
  program
    .command("bench")
    .description("time forward/backward of EXODUS, SLAYER and BPTT on the paper's networks (wasm CPU)")
    .option("--quick", "smaller sizes (seconds instead of minutes)")
    .option("--only <cases>", "comma-separated case name filters, e.g. linear512,shd")
    .option("--engines <list>", "comma-separated engines (exodus,slayer,bptt)")
    .option("--out <dir>", "where bench.json / bench.md / bench.svg go", "docs/results")
    .option("--no-write", "print only, write no files")
    .action((o: BenchOpts) => {
      const engines = o.engines ? o.engines.split(",").map((s) => s.trim()) : undefined;
      for (const e of engines ?? []) {
        if (!GRADIENT_ENGINES.includes(e as GradientEngine)) throw new UsageError(`bench: unknown engine '${e}'; use exodus, slayer or bptt`);
      }
      const log = (s: string) => process.stdout.write(s + "\n");
      log(`exodus-snn bench${o.quick ? " --quick" : ""} (node ${process.version})`);
      const r = runBench({ quick: o.quick, only: o.only?.split(","), engines: engines as GradientEngine[] | undefined, log });
      const json = benchJson(r);
      if (o.write) {
        const name = o.quick ? "bench-quick" : "bench";
        const paths = writeArtifacts(o.out, name, { json, md: benchMarkdown(r), svg: benchSvg(r) });
        log(`\nwrote ${paths.join(", ")}`);
      }
      log(JSON.stringify(json));
    });
}
