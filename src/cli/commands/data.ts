/**
 * `exodus-snn data …`: `fetch <dataset> --root DIR` (verified, resumable downloads), `inspect <file>
 * [--json]` (format detection + summary; with --json the last stdout line is one JSON object) and
 * `sim <kind> --out DIR …` (writes a simulated dataset in its real layout; kinds in SIM_KINDS).
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { closeH5Reader } from "../../data/readers/hdf5.js";
import { DATASETS, DVSGESTURE_HOWTO, fetchDataset } from "../../data/fetch.js";
import { formatSummary, inspectFile } from "../../data/inspect.js";
import { defaultDataRoot } from "../../data/layouts.js";
import type { SimKind } from "../../data/sim/sim-kind.js";
import { nmnistSimKind } from "../../data/sim/nmnist-kind.js";
import { dvsGestureSimKind } from "../../data/sim/dvs-gesture-kind.js";
import { intFlag } from "../args.js";
import { registerAudio, spokenDigitsSimKind } from "./data-audio.js";

/** `data sim <kind>`: one entry per simulator; each defines its flags and run in src/data/sim. */
const SIM_KINDS: readonly SimKind[] = [nmnistSimKind, dvsGestureSimKind, spokenDigitsSimKind];

function out(line: string): void {
  process.stdout.write(line + "\n");
}

export function register(program: Command): void {
  const data = program.command("data").description("neuromorphic datasets: fetch, inspect, simulate");

  data
    .command("fetch")
    .description("download a dataset into --root, verify its checksum, extract it")
    .argument("[dataset]", `one of ${Object.keys(DATASETS).join(", ")}`)
    .option("--root <dir>", "target folder (default: <exodus-snn home>/data/<dataset>, where train --task looks without --data)")
    .option("--base-url <url>", "mirror base URL (default: the official host; env EXODUS_SNN_DATA_BASE_URL)")
    .option("--retries <n>", "resume attempts after a dropped connection", "5")
    .option("--list", "list known datasets and exit")
    .action(async (name: string | undefined, o: { root?: string; baseUrl?: string; retries: string; list?: boolean }) => {
      if (o.list || !name) {
        for (const [k, v] of Object.entries(DATASETS)) out(`${k.padEnd(14)} ${v.note}`);
        out(`${"dvsgesture".padEnd(14)} ${DVSGESTURE_HOWTO}`);
        return;
      }
      o.root ??= defaultDataRoot(name);
      const retries = intFlag("--retries", o.retries, 0);
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

  const sim = data
    .command("sim")
    .description(`write a simulated dataset in its real on-disk format: ${SIM_KINDS.map((k) => k.name).join(", ")}`)
    .argument("[kind]", SIM_KINDS.map((k) => k.name).join(" | "))
    // so an unknown kind with its flags and values reaches the action (a UsageError naming the kinds)
    .allowUnknownOption()
    .allowExcessArguments()
    .action((kind: string | undefined) => {
      throw new UsageError(`data sim: ${kind ? `unknown kind '${kind}'` : "which kind?"} (known: ${SIM_KINDS.map((k) => k.name).join(", ")}; order-burst is generated in memory by orderBurst())`);
    });
  for (const kind of SIM_KINDS) {
    const c = sim.command(kind.name).description(kind.summary).allowUnknownOption(false).allowExcessArguments(false);
    for (const f of kind.flags) c.option(f.flags, f.description, f.default);
    c.action(async (o: Record<string, string | boolean | undefined>) => {
      out(JSON.stringify(await kind.run(o, (m) => process.stderr.write(m + "\n"))));
    });
  }
  registerAudio(data);
}
