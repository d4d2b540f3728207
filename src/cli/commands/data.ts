/**
 * `exodus-snn data …`: `fetch <dataset> --root DIR` (verified, resumable downloads), `inspect <file>
 * [--json]` (format detection + summary; with --json the last stdout line is one JSON object) and
 * `sim nmnist --root DIR` (writes the nmnist-sim stand-in as a real N-MNIST tree).
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { closeH5Reader } from "../../data/readers/hdf5.js";
import { DATASETS, DVSGESTURE_HOWTO, fetchDataset } from "../../data/fetch.js";
import { formatSummary, inspectFile } from "../../data/inspect.js";
import { writeNmnistSimTree } from "../../data/sim/nmnist-sim.js";
import type { Split } from "../../data/sim/mnist-digits.js";
import { registerAudio, simSpokenDigits } from "./data-audio.js";

function out(line: string): void {
  process.stdout.write(line + "\n");
}

export function register(program: Command): void {
  const data = program.command("data").description("neuromorphic datasets: fetch, inspect, simulate");

  data
    .command("fetch")
    .description("download a dataset into --root, verify its checksum, extract it")
    .argument("[dataset]", `one of ${Object.keys(DATASETS).join(", ")}`)
    .option("--root <dir>", "target folder")
    .option("--base-url <url>", "mirror base URL (default: the official host; env EXODUS_SNN_DATA_BASE_URL)")
    .option("--retries <n>", "resume attempts after a dropped connection", "5")
    .option("--list", "list known datasets and exit")
    .action(async (name: string | undefined, o: { root?: string; baseUrl?: string; retries: string; list?: boolean }) => {
      if (o.list || !name) {
        for (const [k, v] of Object.entries(DATASETS)) out(`${k.padEnd(14)} ${v.note}`);
        out(`${"dvsgesture".padEnd(14)} ${DVSGESTURE_HOWTO}`);
        return;
      }
      if (!o.root) throw new UsageError("data fetch: --root <dir> is required");
      const retries = Number(o.retries);
      if (!(Number.isInteger(retries) && retries >= 0)) throw new UsageError(`--retries must be an integer ≥ 0, got ${o.retries}`);
      const res = await fetchDataset(name, { root: o.root, baseUrl: o.baseUrl, retries, log: (m) => process.stderr.write(m + "\n") });
      for (const r of res) out(`${r.status.padEnd(10)} ${r.file}${r.extracted ? ` -> ${r.extracted}` : ""}`);
      out(JSON.stringify({ dataset: name, root: o.root, files: res }));
    });

  data
    .command("inspect")
    .description("detect a data file's format and summarise it")
    .argument("<file>")
    .option("--json", "print one JSON object as the last line")
    .action(async (file: string, o: { json?: boolean }) => {
      try {
        const s = await inspectFile(file);
        out(o.json ? JSON.stringify(s) : formatSummary(s));
      } finally {
        closeH5Reader();
      }
    });

  data
    .command("sim")
    .description("write a simulated dataset: nmnist (N-MNIST stand-in from real MNIST digits)")
    .argument("<kind>", "nmnist")
    .option("--root <dir>", "target folder")
    .option("--split <split>", "train | val | test", "train")
    .option("--count <n>", "samples", "100")
    .option("--start <n>", "first sample index", "0")
    .action((kind: string, o: { root?: string; split: string; count: string; start: string }) => {
      if (kind === "spoken-digits") return simSpokenDigits(o);
      if (kind !== "nmnist") throw new UsageError(`data sim: unknown kind '${kind}' (known: nmnist; order-burst is generated in memory by orderBurst())`);
      if (!o.root) throw new UsageError("data sim: --root <dir> is required");
      if (!["train", "val", "test"].includes(o.split)) throw new UsageError(`--split must be train, val or test, got ${o.split}`);
      const count = Number(o.count);
      const start = Number(o.start);
      if (!(Number.isInteger(count) && count >= 0 && Number.isInteger(start) && start >= 0)) throw new UsageError("--count and --start must be integers ≥ 0");
      const n = writeNmnistSimTree(o.root, { split: o.split as Split, count, start });
      out(JSON.stringify({ kind, root: o.root, split: o.split, written: n }));
    });
  registerAudio(data);
}
