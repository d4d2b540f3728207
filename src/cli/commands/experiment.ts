/**
 * `exodus-snn experiment stability|accuracy [--quick] [--out DIR]`: the paper's gradient-stability and
 * accuracy experiments (src/experiments). Progress lines on stdout, artefacts in docs/results/ (json, md,
 * svg); the last stdout line is the result's summary as one JSON object.
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { accuracyMarkdown, accuracySvg, runAccuracy, type OptimizerName } from "../../experiments/accuracy.js";
import { writeArtifacts } from "../../experiments/output.js";
import { runStability, stabilityMarkdown, stabilitySvg } from "../../experiments/stability.js";
import { intFlag } from "../args.js";

interface CommonOpts {
  quick?: boolean;
  out: string;
  write: boolean;
}

const log = (s: string) => process.stdout.write(s + "\n");

export function register(program: Command): void {
  const exp = program.command("experiment").description("reproduce the EXODUS paper's experiments (see docs/paper-reproduction.md)");
  exp
    .command("stability")
    .description("per-layer gradient norms vs surrogate scale, EXODUS vs SLAYER (6- and 8-layer LIF stacks)")
    .option("--quick", "one depth, one τ, one width (about a second)")
    .option("--seed <n>", "weights/input seed", "1")
    .option("--out <dir>", "output directory", "docs/results")
    .option("--no-write", "print only, write no files")
    .action((o: CommonOpts & { seed: string }) => {
      const r = runStability({ quick: o.quick, seed: intFlag("--seed", o.seed, 1), log });
      const md = stabilityMarkdown(r);
      log("\n" + md);
      if (o.write) log(`\nwrote ${writeArtifacts(o.out, o.quick ? "stability-quick" : "stability", { json: r, md, svg: stabilitySvg(r) }).join(", ")}`);
      log(JSON.stringify({ experiment: "stability", spread: r.spread, spreadHigh: r.spreadHigh, cosine: r.cosine, exodusVsBptt: r.exodusVsBptt, seconds: r.seconds }));
    });
  exp
    .command("accuracy")
    .description("EXODUS vs SLAYER (scale 1 and a sweep) vs BPTT on order-burst and nmnist-sim, mean ± sd over seeds")
    .option("--quick", "order-burst only, 2 seeds, EXODUS and SLAYER scale 1, no BPTT (CI size, about a minute)")
    .option("--seeds <n>", "seeds per variant (default 3, quick 1)")
    .option("--optimizer <name>", "adam or sgd", "adam")
    .option("--tasks <list>", "comma-separated: order-burst,nmnist-sim")
    .option("--out <dir>", "output directory", "docs/results")
    .option("--no-write", "print only, write no files")
    .action((o: CommonOpts & { seeds?: string; optimizer: string; tasks?: string }) => {
      if (o.optimizer !== "adam" && o.optimizer !== "sgd") throw new UsageError(`--optimizer must be adam or sgd, got '${o.optimizer}'`);
      const tasks = o.tasks?.split(",").map((t) => t.trim());
      for (const t of tasks ?? []) if (t !== "order-burst" && t !== "nmnist-sim") throw new UsageError(`unknown task '${t}'; use order-burst or nmnist-sim`);
      const r = runAccuracy({
        quick: o.quick,
        seeds: intFlag("--seeds", o.seeds, 1),
        optimizer: o.optimizer as OptimizerName,
        tasks: tasks as ("order-burst" | "nmnist-sim")[] | undefined,
        log,
      });
      const md = accuracyMarkdown(r);
      log("\n" + md);
      const suffix = `${o.quick ? "-quick" : ""}${o.optimizer === "sgd" ? "-sgd" : ""}`;
      if (o.write) log(`\nwrote ${writeArtifacts(o.out, `accuracy${suffix}`, { json: r, md, svg: accuracySvg(r) }).join(", ")}`);
      log(JSON.stringify({ experiment: "accuracy", config: r.config, summary: r.summary.map((t) => ({ task: t.task, countBaseline: t.countBaseline, slayerBestScale: t.slayerBestScale, rows: t.rows.map((x) => ({ variant: x.variant, mean: x.mean, sd: x.sd })) })), seconds: r.seconds }));
    });
}
