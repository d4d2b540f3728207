/**
 * `exodus-snn train`: builds the task and model, trains with a progress bar on stderr (loss, accuracy,
 * samples/s, ETA), checkpoints every epoch into --out, writes metrics.jsonl and report.html, and prints one
 * JSON object as the last stdout line. `--resume` continues the run in --out from its last checkpoint.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import cliProgress from "cli-progress";
import { BackendUnavailableError, UsageError } from "../../errors.js";
import { GRADIENT_ENGINES, type GradientEngine } from "../../neurons/dynamics.js";
import { PRESETS, presetConfig, type ModelConfig } from "../../train/models/presets.js";
import { describeBackend, feedFor, finishRun, modelFor, readRunConfig, selectDevice, taskFor, taskOptionsOf, writeRunConfig, type DeviceName } from "../../train/run.js";
import { parseFactor } from "../../train/tasks/event-task.js";
import { TASK_TABLE, TASKS, createTask, taskEntry } from "../../train/tasks/table.js";
import { Trainer, type TrainConfig } from "../../train/trainer.js";

export function intArg(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}, got '${v}'`);
    return n;
  };
}

export function posFloatArg(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}

function nonNegFloatArg(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got '${v}'`);
  return n;
}

interface TrainFlags {
  task: string;
  model?: string;
  config?: string;
  gradient: GradientEngine;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed: number;
  out?: string;
  encoding?: "rate" | "latency";
  steps?: number;
  shift?: number;
  hidden?: number;
  tau?: number;
  optimizer: "adam" | "adamw" | "sgd";
  weightDecay?: number;
  clip?: number;
  schedule: "cosine" | "constant";
  device: DeviceName;
  resume?: boolean;
  limitTrain?: number;
  limitTest?: number;
  progress: boolean;
  threads?: number;
  data?: string;
  timeBins?: number;
  timeWindowUs?: number;
  downsample?: number;
  prefetch: "worker" | "inline";
}

/**
 * selectDevice for the commands: a backend that cannot start (webgpu without the package or a GPU adapter)
 * prints its BackendUnavailableError, which names what to install, and sets exit code 2; returns null then.
 */
export async function selectCliDevice(device: DeviceName, threads?: number): Promise<Awaited<ReturnType<typeof selectDevice>> | null> {
  try {
    return await selectDevice(device, { threads });
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    process.stderr.write(`exodus-snn: BackendUnavailableError: --device ${device}: ${e.message}; or train on the CPU with --device wasm\n`);
    process.exitCode = 2;
    return null;
  }
}

async function configFromFlags(f: TrainFlags): Promise<TrainConfig> {
  if (f.model && f.config) throw new UsageError("give either --model <preset> or --config <model.json>, not both");
  const entry = taskEntry(f.task);
  const taskOpts = {
    encoding: f.encoding, T: f.steps, maxShift: f.shift, limitTrain: f.limitTrain, limitTest: f.limitTest,
    data: f.data === undefined ? undefined : resolve(f.data), timeBins: f.timeBins, timeWindowUs: f.timeWindowUs, downsample: f.downsample,
  };
  if (!entry.events && (f.data !== undefined || f.timeBins !== undefined || f.timeWindowUs !== undefined || f.downsample !== undefined)) {
    throw new UsageError(`--data, --time-bins, --time-window-us and --downsample apply to the event datasets (${TASKS.filter((t) => (TASK_TABLE as Record<string, { events?: unknown }>)[t]!.events).join(", ")}), not to '${f.task}'`);
  }
  const task = await createTask(f.task, taskOpts);
  let model: ModelConfig;
  let modelName: string;
  if (f.config) {
    const p = resolve(f.config);
    if (!existsSync(p)) throw new UsageError(`--config: no such file ${f.config}`);
    try {
      model = JSON.parse(readFileSync(p, "utf8")) as ModelConfig;
    } catch (e) {
      throw new UsageError(`--config: ${f.config} is not valid JSON (${(e as Error).message})`);
    }
    model.inputShape ??= task.inputShape;
    model.classes ??= task.classes;
    model.loss ??= { name: "ce-count" };
    modelName = f.config;
  } else {
    modelName = f.model ?? entry.defaults.model;
    if (!(PRESETS as readonly string[]).includes(modelName)) throw new UsageError(`--model: unknown preset '${modelName}'; use one of ${PRESETS.join(", ")}`);
    model = presetConfig(modelName, task, { hidden: f.hidden, tauMem: f.tau });
  }
  return {
    task: f.task, ...taskOpts, T: task.T, modelName, model, gradient: f.gradient,
    epochs: f.epochs ?? entry.defaults.epochs, batchSize: f.batchSize ?? entry.defaults.batchSize, lr: f.lr ?? entry.defaults.lr, seed: f.seed,
    optimizer: f.optimizer, weightDecay: f.weightDecay, clipNorm: f.clip ?? null, schedule: f.schedule,
    device: f.device === "auto" ? "wasm" : f.device, limitTrain: f.limitTrain, limitTest: f.limitTest,
  };
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
    cfg = await configFromFlags(f);
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
    .addOption(new Option("--device <name>", "compute backend (auto: wasm if built, else ref; webgpu: GPU through Dawn, see docs/webgpu.md)").choices(["auto", "wasm", "ref", "webgpu"]).default("auto"))
    .option("--threads <n>", "CPU kernel threads of the wasm backend (default: EXODUS_THREADS, else every core up to 8)", intArg(1))
    .option("--resume", "continue the run in --out from its last checkpoint")
    .option("--limit-train <n>", "use only the first n training samples", intArg(1))
    .option("--limit-test <n>", "use only the first n test samples", intArg(1))
    .option("--no-progress", "no progress bar")
    .addOption(new Option("--prefetch <where>", "where batches are prepared: a worker thread, ahead of the step (default), or inline").choices(["worker", "inline"]).default("worker"))
    .action((f: TrainFlags) => trainAction(f));
}
