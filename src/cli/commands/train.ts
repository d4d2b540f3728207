/**
 * `exodus-snn train`: builds the task and model, trains with a progress bar on stderr (loss, accuracy,
 * samples/s, ETA), checkpoints every epoch into --out, writes metrics.jsonl and report.html, and prints one
 * JSON object as the last stdout line. `--resume` continues the run in --out from its last checkpoint.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { UsageError } from "../../errors.js";
import { GRADIENT_ENGINES } from "../../neurons/dynamics.js";
import { PRESETS } from "../../train/models/presets.js";
import { describeBackend, feedFor, finishRun, modelFor, readRunConfig, taskFor, trainConfigFrom, writeRunConfig, type RunOptions } from "../../train/run.js";
import { parseFactor } from "../../train/tasks/event-task.js";
import { TASKS } from "../../train/tasks/table.js";
import { Trainer, type TrainConfig } from "../../train/trainer.js";
import { deviceOption, intArg, nonNegFloatArg, posFloatArg, selectCliDevice, threadsOption } from "../args.js";

/** The flags: a RunOptions (what `trainConfigFrom` reads) plus what only the command uses. */
interface TrainFlags extends RunOptions {
  out?: string;
  resume?: boolean;
  progress: boolean;
  threads?: number;
  prefetch: "worker" | "inline";
}

async function trainAction(f: TrainFlags): Promise<void> {
  const start = performance.now();
  let cfg: TrainConfig;
  let runDir: string;
  if (f.resume) {
    if (!f.out) throw new UsageError("--resume needs --out <dir> (the run to continue)");
    ({ runDir, cfg } = readRunConfig(f.out));
    if (f.epochs !== undefined) cfg.epochs = f.epochs;
  } else {
    cfg = await trainConfigFrom(f);
    runDir = resolve(f.out ?? join("runs", `${cfg.task}-${cfg.gradient}-${new Date().toISOString().replace(/[:.]/g, "-")}`));
    if (existsSync(join(runDir, "checkpoint", "state.json"))) {
      throw new UsageError(`${runDir} already holds a run; pass --resume to continue it or choose another --out`);
    }
  }
  const device = await selectCliDevice(f.resume ? cfg.device : f.device, f.threads);
  if (!device) return;
  cfg.device = device;
  const task = await taskFor(cfg);
  const model = modelFor(cfg);
  writeRunConfig(runDir, cfg);
  const feed = await feedFor(cfg, task, f.prefetch);

  const stepsPerEpoch = Math.ceil(task.size("train") / cfg.batchSize);
  const bar = f.progress
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: "epoch {ep}/{epochs} |{bar}| {percentage}% | loss {loss} | acc {acc} | {sps} samples/s | ETA {eta_formatted}",
          hideCursor: true,
          etaBuffer: 50,
          noTTYOutput: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const trainer = new Trainer(model, task, cfg, runDir, {
    onStep: (s) => bar?.update((s.epoch - startEpoch) * stepsPerEpoch + s.step, {
      ep: s.epoch + 1, epochs: cfg.epochs, loss: s.loss.toFixed(4), acc: (s.accuracy * 100).toFixed(1) + "%", sps: s.samplesPerSecond.toFixed(0),
    }),
    onEpoch: (m) => {
      bar?.stop();
      process.stderr.write(
        `epoch ${m.epoch}/${cfg.epochs}: train loss ${m.train_loss.toFixed(4)} acc ${(m.train_accuracy * 100).toFixed(2)}% | ` +
          `test loss ${m.test_loss.toFixed(4)} acc ${(m.test_accuracy * 100).toFixed(2)}% | ${m.samples_per_second.toFixed(0)} samples/s | ${m.epoch_seconds.toFixed(1)} s\n`,
      );
      if (bar && m.epoch < cfg.epochs) bar.start((cfg.epochs - startEpoch) * stepsPerEpoch, (m.epoch - startEpoch) * stepsPerEpoch, barPayload(m.epoch));
    },
  }, feed);
  const barPayload = (ep: number) => ({ ep: ep + 1, epochs: cfg.epochs, loss: "-", acc: "-", sps: "-" });
  if (f.resume && !trainer.resume()) throw new UsageError(`${runDir} has no checkpoint to resume from`);
  const startEpoch = trainer.state.epoch;
  process.stderr.write(`exodus-snn train: ${task.description}; model ${cfg.modelName}; ${cfg.gradient} gradients; ${describeBackend()}; run dir ${runDir}\n`);
  if (bar && startEpoch < cfg.epochs) bar.start((cfg.epochs - startEpoch) * stepsPerEpoch, 0, barPayload(startEpoch));
  try {
    await trainer.fit();
  } finally {
    bar?.stop();
    await feed.close();
  }
  const result = await finishRun(trainer, runDir, cfg, start);
  process.stdout.write(`report: ${result.report}\n`);
  process.stdout.write(JSON.stringify(result) + "\n");
}

export function register(program: Command): void {
  program
    .command("train")
    .description("train a spiking network (default: the MNIST main job) and write a run directory with a report")
    .addOption(new Option("--task <name>", "task to train on").choices([...TASKS]).default("mnist-rate"))
    .option("--data <path>", "event datasets: the dataset's folder (or SHD/SSC *_train.h5 file); default: where 'exodus-snn data fetch' puts it")
    .option("--time-bins <n>", "event datasets: bin each sample into n equal frames (tonic ToFrame n_time_bins)", intArg(1))
    .option("--time-window-us <w>", "event datasets: frames of w µs (tonic ToFrame time_window); --steps frames are kept", posFloatArg)
    .option("--downsample <f>", "event datasets: spatial factor (tonic Downsample), e.g. 0.5, or 1/7 for SHD's 700 → 100 channels", parseFactor)
    .option("--model <preset>", `model preset (${PRESETS.join(", ")}); default: per task (table in README)`)
    .option("--config <file>", "model config JSON instead of a preset")
    .addOption(new Option("--gradient <engine>", "how gradients are computed").choices([...GRADIENT_ENGINES]).default("exodus"))
    .option("--epochs <n>", "epochs (default: per task; mnist 8)", intArg(0))
    .option("--batch-size <n>", "batch size (default: per task; 128, dvs-gesture 16)", intArg(1))
    .option("--lr <x>", "learning rate (default: per task; mnist 5e-3, toy 0.02)", posFloatArg)
    .option("--seed <n>", "seed for weights, shuffling, encoding and dropout", intArg(0), 1)
    .option("--out <dir>", "run directory (default runs/<task>-<gradient>-<time>)")
    .addOption(new Option("--encoding <code>", "spike code for mnist").choices(["rate", "latency"]))
    .option("--steps <T>", "time steps per sample", intArg(1))
    .option("--shift <px>", "mnist training augmentation: random translation up to this many pixels (default 1)", intArg(0))
    .option("--hidden <n>", "hidden units for mlp presets", intArg(1))
    .option("--tau <steps>", "membrane time constant for mlp presets", posFloatArg)
    .addOption(new Option("--optimizer <name>", "optimizer").choices(["adam", "adamw", "sgd"]).default("adam"))
    .option("--weight-decay <x>", "weight decay (adamw default 0.01)", nonNegFloatArg)
    .option("--clip <norm>", "clip gradients to this global L2 norm", posFloatArg)
    .addOption(new Option("--schedule <kind>", "learning-rate schedule").choices(["cosine", "constant"]).default("cosine"))
    .addOption(deviceOption())
    .addOption(threadsOption())
    .option("--resume", "continue the run in --out from its last checkpoint")
    .option("--limit-train <n>", "use only the first n training samples", intArg(1))
    .option("--limit-test <n>", "use only the first n test samples", intArg(1))
    .option("--no-progress", "no progress bar")
    .addOption(new Option("--prefetch <where>", "where batches are prepared: a worker thread, ahead of the step (default), or inline").choices(["worker", "inline"]).default("worker"))
    .action((f: TrainFlags) => trainAction(f));
}
