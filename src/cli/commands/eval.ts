/**
 * `exodus-snn eval --checkpoint <run dir>`: rebuilds the model from the run's config.json, loads the
 * checkpoint's weights and evaluates on the test split; the last stdout line is one JSON object.
 */
import { Command, Option } from "commander";
import { loadCheckpoint } from "../../train/checkpoint.js";
import { modelFor, readRunConfig, taskFor, type DeviceName } from "../../train/run.js";
import { Trainer } from "../../train/trainer.js";
import { join, resolve } from "node:path";
import { deviceOption, intArg, selectCliDevice, threadsOption } from "../args.js";

interface EvalFlags {
  checkpoint: string;
  device: DeviceName;
  split: "test" | "train";
  limitTest?: number;
  threads?: number;
  data?: string;
}

async function evalAction(f: EvalFlags): Promise<void> {
  const start = performance.now();
  const { runDir, cfg } = readRunConfig(f.checkpoint);
  const device = await selectCliDevice(f.device, f.threads);
  if (!device) return;
  if (f.limitTest !== undefined) cfg.limitTest = f.limitTest;
  // the same dataset elsewhere (another machine, a moved folder); binning and everything else stay the run's
  if (f.data !== undefined) cfg.data = resolve(f.data);
  const task = await taskFor(cfg);
  const model = modelFor(cfg);
  const state = loadCheckpoint(join(runDir, "checkpoint"), model, null);
  const trainer = new Trainer(model, task, cfg, null);
  const ev = await trainer.evaluate(f.split);
  const out = {
    test_accuracy: ev.accuracy, test_loss: ev.loss, epochs: state.epoch, seconds: (performance.now() - start) / 1000,
    split: f.split, samples: task.size(f.split), task: task.name, model: cfg.modelName, gradient: cfg.gradient, device,
    spikes_per_neuron: ev.spikesPerNeuron, checkpoint: join(runDir, "checkpoint"),
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

export function register(program: Command): void {
  program
    .command("eval")
    .description("evaluate a trained run's checkpoint on the test split")
    .requiredOption("--checkpoint <dir>", "run directory (the --out of train) or its checkpoint/ folder")
    .addOption(deviceOption())
    .addOption(new Option("--split <name>", "which split").choices(["test", "train"]).default("test"))
    .addOption(threadsOption())
    .option("--limit-test <n>", "use only n test samples", intArg(1))
    .option("--data <path>", "event datasets: read the dataset from here instead of the run's recorded --data")
    .action((f: EvalFlags) => evalAction(f));
}
