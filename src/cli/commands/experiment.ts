/**
 * `exodus-snn experiment stability|accuracy [--quick] [--out DIR]`: the paper's gradient-stability and
 * accuracy experiments (src/experiments). Progress lines on stdout, artefacts in docs/results/ (json, md,
 * svg); the last stdout line is the result's summary as one JSON object. `accuracy --task shd --data FILE`
 * runs the comparison on an event dataset, here or (`--redis URL`) on the sweep's workers.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { ConfigError, UsageError } from "../../errors.js";
import { accuracyMarkdown, accuracySvg, runAccuracy, type AccuracyResult, type OptimizerName } from "../../experiments/accuracy.js";
import { eventTaskEntry, runEventAccuracy, type EventAccuracyOptions } from "../../experiments/accuracy-event.js";
import { writeArtifacts } from "../../experiments/output.js";
import { runStability, stabilityMarkdown, stabilitySvg } from "../../experiments/stability.js";
import { redactUrl, redisUrlFrom } from "../../sweep/redis.js";
import { parseFactor } from "../../train/tasks/event-task.js";
import { intArg, intFlag, posFloatArg } from "../args.js";

interface CommonOpts {
  quick?: boolean;
  out: string;
  write: boolean;
}

const log = (s: string) => process.stdout.write(s + "\n");

/** The flags of `experiment accuracy`: the event comparison's options as commander parses them, plus the CLI's own. */
interface AccuracyFlags extends CommonOpts, Omit<EventAccuracyOptions, "task" | "data" | "seeds" | "optimizer" | "withBptt" | "command" | "log"> {
  seeds?: string;
  optimizer: string;
  tasks?: string;
  task?: string;
  data?: string;
  bptt: boolean;
  redis?: string;
}

function scalesArg(v: string): number[] {
  const xs = v.split(",").map((x) => Number(x.trim()));
  if (xs.length === 0 || xs.some((x) => !(Number.isFinite(x) && x > 0))) throw new InvalidArgumentError(`expected positive numbers separated by commas (e.g. 0.01,0.1,1), got '${v}'`);
  return xs;
}

function fractionArg(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a fraction in (0, 1), got '${v}'`);
  return n;
}

/** The command line as typed, for the report (arguments with spaces quoted). */
function commandLine(): string {
  return ["exodus-snn", ...process.argv.slice(2)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
}

function summaryLine(r: AccuracyResult): string {
  return JSON.stringify({ experiment: "accuracy", config: r.config, summary: r.summary.map((t) => ({ task: t.task, countBaseline: t.countBaseline, slayerBestScale: t.slayerBestScale, rows: t.rows.map((x) => ({ variant: x.variant, mean: x.mean, sd: x.sd })) })), seconds: r.seconds });
}

async function eventAccuracyAction(o: AccuracyFlags & { task: string }): Promise<void> {
  if (o.quick || o.tasks) throw new UsageError("--quick and --tasks choose the built-in tasks (order-burst, nmnist-sim); with --task give the event dataset's --data instead");
  eventTaskEntry(o.task);
  if (!o.data) throw new UsageError(`--task ${o.task} needs --data <file or folder> (for shd: FILE_train.h5 with FILE_test.h5 beside it, or FILE.h5 for that pair)`);
  const runOpts = {
    task: o.task, data: dataPath(o.data), seeds: intFlag("--seeds", o.seeds, 1), epochs: o.epochs, lr: o.lr, batchSize: o.batchSize,
    timeBins: o.timeBins, timeWindowUs: o.timeWindowUs, steps: o.steps, downsample: o.downsample, limitTrain: o.limitTrain, limitTest: o.limitTest,
    slayerScales: o.slayerScales, withBptt: o.bptt, valFraction: o.valFraction, optimizer: o.optimizer as OptimizerName, command: commandLine(), log,
  };
  let runner;
  if (o.redis !== undefined) {
    const url = redisUrlFrom(o.redis);
    const { queueRunner } = await import("../../sweep/accuracy-jobs.js");
    log(`runs go to the queue at ${redactUrl(url)}; start workers with: exodus-snn worker --redis <url>`);
    runner = queueRunner(url);
  }
  const r = await runEventAccuracy(runOpts, runner);
  const md = accuracyMarkdown(r);
  log("\n" + md);
  if (o.write) log(`\nwrote ${writeArtifacts(o.out, `accuracy-${o.task}${o.optimizer === "sgd" ? "-sgd" : ""}`, { json: r, md, svg: accuracySvg(r) }).join(", ")}`);
  log(summaryLine(r));
}

/**
 * SHD's layout names a pair FILE_train.h5 / FILE_test.h5; `FILE.h5` (what `data sim spoken-digits --out` and
 * `train --data` take) stands for that pair when no file of that name exists.
 */
export function dataPath(data: string): string {
  if (existsSync(data)) return resolve(data);
  const m = /^(.*)\.h5$/.exec(data);
  if (m && !/_(train|test)$/.test(m[1]!) && existsSync(`${m[1]}_train.h5`)) return resolve(`${m[1]}_train.h5`);
  throw new ConfigError(`--data: ${data} not found${m ? ` (nor ${m[1]}_train.h5 with its _test.h5 partner)` : ""}; pass the dataset's file or folder (make one with: exodus-snn data sim spoken-digits --out FILE.h5)`);
}

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
    .description("EXODUS vs SLAYER (scale 1 and a sweep) vs BPTT on order-burst and nmnist-sim, or an event dataset (--task shd --data FILE.h5), mean ± sd over seeds")
    .option("--quick", "order-burst only, 2 seeds, EXODUS and SLAYER scale 1, no BPTT (CI size, about a minute)")
    .option("--seeds <n>", "seeds per variant (default 3, quick 1)")
    .option("--optimizer <name>", "adam or sgd", "adam")
    .option("--tasks <list>", "comma-separated: order-burst,nmnist-sim")
    .option("--task <name>", "an event dataset of the task table (shd, ssc, nmnist, dvs-gesture) with --data: its default network, validation cut from the training file")
    .option("--data <path>", "with --task: the dataset (shd: FILE_train.h5 with its _test partner, or FILE.h5 for that pair)")
    .option("--epochs <n>", "with --task: epochs per run (default: the task's)", intArg(1))
    .option("--lr <x>", "with --task: learning rate, the same for every engine (default: the task's)", posFloatArg)
    .option("--batch-size <n>", "with --task: batch size (default: the task's)", intArg(1))
    .option("--time-bins <n>", "with --task: bin each sample into n equal frames", intArg(1))
    .option("--time-window-us <w>", "with --task: frames of w µs; --steps frames are kept", posFloatArg)
    .option("--steps <T>", "with --task: time steps per sample", intArg(1))
    .option("--downsample <f>", "with --task: spatial/channel factor, e.g. 1/7 for SHD's 700 → 100 channels", parseFactor)
    .option("--slayer-scales <list>", "with --task: SLAYER surrogate scales to sweep, best chosen on validation (default 0.01,0.1,1)", scalesArg)
    .option("--no-bptt", "with --task: leave BPTT out")
    .option("--limit-train <n>", "with --task: use a fixed subset of n training samples (validation is cut from these)", intArg(1))
    .option("--limit-test <n>", "with --task: use a fixed subset of n test samples", intArg(1))
    .option("--val-fraction <f>", "with --task: share of the training file held out for validation (default 0.15)", fractionArg)
    .option("--redis <url>", "with --task: run the grid on the sweep's queue (workers: exodus-snn worker --redis URL)")
    .option("--out <dir>", "output directory", "docs/results")
    .option("--no-write", "print only, write no files")
    .action(async (o: AccuracyFlags) => {
      if (o.task !== undefined) return eventAccuracyAction(o as AccuracyFlags & { task: string });
      const only = (["data", "epochs", "lr", "batchSize", "timeBins", "timeWindowUs", "steps", "downsample", "slayerScales", "limitTrain", "limitTest", "valFraction", "redis"] as const)
        .filter((k) => o[k] !== undefined).map((k) => "--" + k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()));
      if (!o.bptt) only.push("--no-bptt");
      if (only.length) throw new UsageError(`${only.join(", ")} apply with --task <event dataset>; the built-in tasks take --quick, --seeds, --optimizer, --tasks`);
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
      log(summaryLine(r));
    });
}
