/**
 * `data sim nmnist`: `--out DIR [--limit TRAIN,TEST]` writes the full N-MNIST tree (writeNmnistTree);
 * the older `--root DIR --split S --count N [--start I]` appends one split's slice (writeNmnistSimTree).
 */
import { UsageError } from "../../errors.js";
import type { Split } from "./mnist-digits.js";
import { mnistTrainTestIndices } from "./mnist-digits.js";
import { writeNmnistSimTree, writeNmnistTree } from "./nmnist-sim.js";
import { intFlag, requiredFlag, type SimKind } from "./sim-kind.js";

function parseLimit(v: string): [number, number] {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(v);
  if (!m) throw new UsageError(`--limit must be TRAIN,TEST (two integers ≥ 0, e.g. --limit 8000,2000), got '${v}'`);
  return [Number(m[1]), Number(m[2])];
}

export const nmnistSimKind: SimKind = {
  name: "nmnist",
  summary: "N-MNIST tree (Train/<digit>/<id>.bin, Test/…) from the 10,000 mnist digits through a simulated DVS saccade",
  flags: [
    { flags: "--out <dir>", description: "new folder for the tree (must not exist or be empty)" },
    { flags: "--limit <train,test>", description: "at most this many train,test recordings (default: all, 8000,2000)" },
    { flags: "--root <dir>", description: "older form: add one split's slice to DIR/<Train|Val|Test>" },
    { flags: "--split <split>", description: "older form: train | val | test" },
    { flags: "--count <n>", description: "older form: samples" },
    { flags: "--start <n>", description: "older form: first sample index" },
  ],
  async run(f, log) {
    if (f["root"] !== undefined) {
      if (f["out"] !== undefined || f["limit"] !== undefined) throw new UsageError("data sim nmnist: give either --out [--limit] (a full tree) or --root --split --count (one split's slice), not both");
      const split = (f["split"] ?? "train") as string;
      if (!["train", "val", "test"].includes(split)) throw new UsageError(`--split must be train, val or test, got ${split}`);
      const count = intFlag("count", f["count"] ?? "100", 0)!;
      const start = intFlag("start", f["start"] ?? "0", 0)!;
      const written = writeNmnistSimTree(f["root"] as string, { split: split as Split, count, start });
      return { kind: "nmnist", root: f["root"], split, written };
    }
    if (f["split"] !== undefined || f["count"] !== undefined || f["start"] !== undefined) throw new UsageError("data sim nmnist: --split/--count/--start belong to the --root form; with --out use --limit TRAIN,TEST");
    const out = requiredFlag("nmnist", "out", f["out"]);
    const ids = mnistTrainTestIndices();
    let limit: [number, number] = [ids.train.length, ids.test.length];
    if (f["limit"] !== undefined) {
      const [a, b] = parseLimit(String(f["limit"]));
      if (a > ids.train.length || b > ids.test.length) log(`nmnist: --limit ${a},${b} asks for more than the ${ids.train.length} train / ${ids.test.length} test digits there are; writing ${Math.min(a, ids.train.length)},${Math.min(b, ids.test.length)}`);
      limit = [Math.min(a, ids.train.length), Math.min(b, ids.test.length)];
    }
    const t0 = performance.now();
    const r = await writeNmnistTree(out, { limit, log });
    return { kind: "nmnist", out, train: r.train, test: r.test, events: r.events, seconds: +((performance.now() - t0) / 1000).toFixed(1) };
  },
};
