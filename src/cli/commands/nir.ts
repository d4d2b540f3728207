/**
 * `exodus-snn nir export|import|inspect`: move trained networks to and from NIR files (sinabs/Speck,
 * snnTorch, Norse, Lava, Rockpool, Spyx …). Export reads a run directory; import writes one that `eval`
 * and `train --resume` accept. The last stdout line of export and import is one JSON object.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { Option, type Command } from "commander";
import { ConfigError, ExodusError, UsageError } from "../../errors.js";
import { closeH5Reader } from "../../data/readers/hdf5.js";
import { toNIR } from "../../nir/export.js";
import { readH5TreeBytes } from "../../nir/h5tree.js";
import { buildImported, nirToModel, readNIR } from "../../nir/import.js";
import { formatNirGraph } from "../../nir/inspect.js";
import { TARGET_NAMES, type TargetName } from "../../nir/targets.js";
import { loadCheckpoint, saveCheckpoint, saveModelWeights } from "../../train/checkpoint.js";
import { modelFor, readRunConfig, selectDevice, writeRunConfig } from "../../train/run.js";
import { writeFileAtomic } from "../../util/write-file-atomic.js";
import { createTask, TASKS } from "../../train/tasks/index.js";
import { makeOptimizer } from "../../train/optim.js";
import type { TrainConfig } from "../../train/trainer.js";
import { posFloatArg } from "../args.js";

function out(line: string): void {
  process.stdout.write(line + "\n");
}

function readBytes(file: string): Uint8Array {
  if (!existsSync(file)) throw new UsageError(`${file} does not exist; pass the path of a .nir file`);
  return new Uint8Array(readFileSync(file));
}

const discChoice = () => new Option("--discretization <scheme>", "exact (zero-order hold) or euler").choices(["exact", "euler"]);

/** The task a model fits (same input shape and class count), so `eval` works without --task. */
async function matchingTask(inputShape: number[], classes: number): Promise<string | null> {
  for (const name of ["mnist-rate", "nmnist-sim", "toy"]) {
    const t = await createTask(name, { limitTrain: 1, limitTest: 1 });
    if (t.inputShape.join() === inputShape.join() && t.classes === classes) return name;
  }
  return null;
}

export function register(program: Command): void {
  const nir = program.command("nir").description("NIR interchange: export to / import from neuromorphic simulators and hardware");

  nir
    .command("export")
    .description("write a trained run's model as a NIR file")
    .requiredOption("--checkpoint <dir>", "run directory (the --out of train) or its checkpoint/ folder")
    .requiredOption("--out <file>", "the .nir file to write")
    .addOption(new Option("--target <name>", "write the file the way this reader computes it (sets dt and scheme, folds r)").choices(TARGET_NAMES))
    .option("--dt <seconds>", "seconds per step (default: the target's, else 1: τ in steps)", posFloatArg)
    .addOption(discChoice())
    .action(async (o: { checkpoint: string; out: string; target?: TargetName; dt?: number; discretization?: "exact" | "euler" }) => {
      const { runDir, cfg } = readRunConfig(o.checkpoint);
      await selectDevice("auto");
      const model = modelFor(cfg);
      const ck = join(runDir, "checkpoint");
      if (existsSync(join(ck, "state.json"))) loadCheckpoint(ck, model, null);
      else throw new UsageError(`${runDir} has no checkpoint (checkpoint/state.json); train it first`);
      const bytes = await toNIR(model, { inputShape: cfg.model.inputShape, dt: o.dt, discretization: o.discretization, target: o.target });
      writeFileAtomic(resolve(o.out), Buffer.from(bytes));
      out(JSON.stringify({ out: resolve(o.out), bytes: bytes.length, layers: cfg.model.layers.length, target: o.target ?? null, dt: o.dt ?? null, discretization: o.discretization ?? null }));
    });

  nir
    .command("import")
    .description("turn a NIR file into a run directory that eval and train --resume accept")
    .argument("<file>", "the .nir file")
    .requiredOption("--out <dir>", "run directory to create")
    .option("--dt <seconds>", "seconds per step (default: the file's own dt when we wrote it, else 1)", posFloatArg)
    .addOption(discChoice())
    .addOption(new Option("--reset <kind>", "reset for v_reset = 0: subtract (EXODUS) or value (reset to 0, bptt only)").choices(["subtract", "value"]))
    .addOption(new Option("--spike-fn <kind>", "spikes per step when the file has no exodus metadata").choices(["single", "multi"]))
    .addOption(new Option("--gradient <engine>", "gradient engine of the run").choices(["exodus", "bptt", "slayer"]))
    .option("--task <name>", `task for eval/train (default: the one whose input shape and classes fit, else 'none', which eval rejects); one of ${TASKS.join(", ")}`)
    .action(async (file: string, o: { out: string; dt?: number; discretization?: "exact" | "euler"; reset?: "subtract" | "value"; spikeFn?: "single" | "multi"; gradient?: "exodus" | "bptt" | "slayer"; task?: string }) => {
      try {
        const runDir = resolve(o.out);
        if (existsSync(join(runDir, "config.json"))) throw new UsageError(`${runDir} already holds a run; choose another --out`);
        const g = await readNIR(readBytes(file), file);
        const imp = nirToModel(g, { dt: o.dt, discretization: o.discretization, reset: o.reset, spikeFn: o.spikeFn, gradient: o.gradient, file });
        let task = o.task ?? (await matchingTask(imp.config.inputShape, imp.config.classes)) ?? "none";
        if (o.task) {
          const t = await createTask(o.task, { limitTrain: 1, limitTest: 1 });
          if (t.inputShape.join() !== imp.config.inputShape.join() || t.classes !== imp.config.classes) {
            throw new ConfigError(`--task ${o.task} gives inputs [${t.inputShape}] and ${t.classes} classes, the NIR model takes [${imp.config.inputShape}] and gives ${imp.config.classes}; choose a fitting task or omit --task`);
          }
          task = o.task;
        }
        await selectDevice("auto");
        const model = buildImported(imp);
        const cfg: TrainConfig = {
          task, modelName: `nir:${basename(file)}`, model: imp.config, gradient: imp.gradient, epochs: 0, batchSize: 32, lr: 1e-3, seed: 0,
          optimizer: "adam", clipNorm: null, schedule: "constant", device: "wasm",
        };
        writeRunConfig(runDir, cfg);
        // train --resume needs optimizer state; a fresh Adam's is zero moments (named as Adam names them,
        // which loadStateBuffers checks)
        const params = model.parameters();
        const opt = makeOptimizer(cfg, params);
        const zeros = new Map<string, Float32Array>();
        params.forEach((p, i) => {
          zeros.set(`m.${i}`, new Float32Array(p.size));
          zeros.set(`v.${i}`, new Float32Array(p.size));
        });
        opt.loadStateBuffers(zeros, 0);
        saveCheckpoint(join(runDir, "checkpoint"), model, opt, {
          epoch: 0, step: 0, history: [], rng: { scheme: "mulberry32(deriveSeed(seed, epoch, purpose))", seed: 0 }, seconds: 0,
        } as { epoch: number; step: number });
        saveModelWeights(join(runDir, "model.safetensors"), model, { source: basename(file) });
        for (const n of imp.notes) process.stderr.write(`note: ${n}\n`);
        if (task === "none") process.stderr.write(`note: no built-in task takes inputs [${imp.config.inputShape}] with ${imp.config.classes} classes; config.json names task 'none', so eval says so until you set one\n`);
        out(JSON.stringify({ out: runDir, task, layers: imp.config.layers.map((l) => l.type), gradient: imp.gradient, dt: imp.dt, discretization: imp.discretization, notes: imp.notes }));
      } finally {
        closeH5Reader();
      }
    });

  nir
    .command("inspect")
    .description("print a NIR file's graph: nodes, shapes, edges, parameter ranges")
    .argument("<file>")
    .action(async (file: string) => {
      try {
        const bytes = readBytes(file);
        const tree = await readH5TreeBytes(bytes, file);
        const v = tree.children.get("version");
        const g = await readNIR(bytes, file);
        out(formatNirGraph(g, v && v.kind === "str" ? v.data[0]! : null));
        // shapes come from running the importer's mapping; a graph it cannot run still gets listed above
        try {
          const imp = nirToModel(g, { file });
          out(`chain (output shape per node, no time or batch axis): ${imp.chain.map((c) => `${c.node} ${c.type} [${c.shape}]`).join(" → ")}`);
        } catch (e) {
          if (!(e instanceof ExodusError)) throw e;
          out(`not importable as a Sequential: ${e.message}`);
        }
      } finally {
        closeH5Reader();
      }
    });
}
