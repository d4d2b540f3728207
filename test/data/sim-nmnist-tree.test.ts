/**
 * `data sim nmnist --out`: the tree reads back through the real N-MNIST reader and dataset class;
 * its Train/Test digits are exactly loadMnistSplit's 8,000/2,000 (checked by pixel content against
 * src/train/tasks/mnist.ts, the independent loader); writing is atomic; bad flags are UsageErrors.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildProgram } from "../../src/cli/main.js";
import { NMNIST } from "../../src/data/datasets/nmnist.js";
import { readNmnistFile } from "../../src/data/readers/nmnist.js";
import { writeTreeAtomic } from "../../src/data/sim/atomic-tree.js";
import { DIGIT_PIXELS, loadMnistDigits, mnistTrainTestIndices } from "../../src/data/sim/mnist-digits.js";
import { nmnistSimKind } from "../../src/data/sim/nmnist-kind.js";
import { writeNmnistTree } from "../../src/data/sim/nmnist-sim.js";
import { ConfigError, UsageError } from "../../src/errors.js";
import { loadMnistSplit, MNIST_PIXELS } from "../../src/train/tasks/mnist.js";
import { tempDir } from "./helpers.js";

/** FNV-1a over an image's float32 bytes: identifies an image independently of any index. */
function imageKey(px: Float32Array): string {
  const b = new Uint8Array(px.buffer, px.byteOffset, px.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return `${h >>> 0}:${px[300]}:${px[400]}`;
}

/** image key → {split, label} from loadMnistSplit. */
function splitOfImages(): Map<string, { split: "train" | "test"; label: number }> {
  const s = loadMnistSplit();
  const m = new Map<string, { split: "train" | "test"; label: number }>();
  for (const split of ["train", "test"] as const) {
    const set = s[split];
    for (let i = 0; i < set.n; i++) m.set(imageKey(set.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS)), { split, label: set.labels[i]! });
  }
  return m;
}

function digitImage(k: number): Float32Array {
  return loadMnistDigits().pixels.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS);
}

test("the tree's split is loadMnistSplit's: 8,000 train / 2,000 test images, disjoint, same labels", () => {
  const ref = splitOfImages();
  const ids = mnistTrainTestIndices();
  assert.deepEqual([ids.train.length, ids.test.length], [8000, 2000]);
  const labels = loadMnistDigits().labels;
  for (const split of ["train", "test"] as const) {
    for (const k of ids[split]) {
      const r = ref.get(imageKey(digitImage(k)));
      assert.ok(r, `digit ${k} is not an image of loadMnistSplit`);
      assert.equal(r.split, split, `digit ${k} is in ${split} here but in ${r.split} in loadMnistSplit`);
      assert.equal(r.label, labels[k]);
    }
  }
  assert.equal(new Set([...ids.train, ...ids.test]).size, 10000);
});

test("writeNmnistTree: Train/<digit>/<id>.bin and Test/…, read back by NMNIST with the right labels", async () => {
  const { dir, done } = tempDir();
  try {
    const out = join(dir, "nmnist");
    const r = await writeNmnistTree(out, { limit: [30, 12] });
    assert.deepEqual([r.train, r.test], [30, 12]);
    assert.deepEqual(readdirSync(out).sort(), ["Test", "Train"]);
    const ref = splitOfImages();
    const labels = loadMnistDigits().labels;
    let events = 0;
    for (const [folder, n, split] of [["Train", 30, "train"], ["Test", 12, "test"]] as const) {
      const ds = new NMNIST(out, { train: folder === "Train" });
      assert.equal(ds.length, n);
      for (let i = 0; i < ds.length; i++) {
        const f = ds.files[i]!;
        const m = /[/\\](\d)[/\\](\d{5})\.bin$/.exec(f.path);
        assert.ok(m, `unexpected file name ${f.path}`);
        const k = Number(m[2]);
        // The folder is the label, and the id names a source image of the right split and digit.
        assert.equal(f.label, Number(m[1]));
        assert.equal(f.label, labels[k]);
        assert.equal(ref.get(imageKey(digitImage(k)))!.split, split);
        const ev = ds.events(i).events;
        assert.equal(statSync(f.path).size, 5 * ev.t.length);
        assert.ok(ev.t.length > 1000 && ev.t.length < 12000, `${ev.t.length} events in ${f.path}`);
        for (let j = 0; j < ev.t.length; j++) assert.ok(ev.x[j]! < 34 && ev.y[j]! < 34 && ev.t[j]! < 316_000);
        events += ev.t.length;
      }
    }
    assert.equal(events, r.events);
    // The first files follow the split order, so the train set is not one digit.
    assert.ok(new Set(new NMNIST(out).files.map((f) => f.label)).size >= 8);
    // Same seed per digit: rewriting gives the same recording.
    const again = join(dir, "again");
    await writeNmnistTree(again, { limit: [1, 0] });
    const name = readdirSync(join(again, "Train", String(labels[mnistTrainTestIndices().train[0]!]))).at(0)!;
    const a = readNmnistFile(join(again, "Train", String(labels[mnistTrainTestIndices().train[0]!]), name));
    const b = readNmnistFile(join(out, "Train", String(labels[mnistTrainTestIndices().train[0]!]), name));
    assert.deepEqual(a, b);
  } finally {
    done();
  }
});

test("atomic: an error leaves neither the target nor a partial folder; a non-empty target is refused", async () => {
  const { dir, done } = tempDir();
  try {
    const out = join(dir, "t");
    await assert.rejects(writeNmnistTree(out, { limit: [3, 1], C: -1 }), ConfigError);
    assert.deepEqual(readdirSync(dir), []);
    // A failure after files were written: nothing of them survives.
    await assert.rejects(
      writeTreeAtomic(out, (tmp) => {
        mkdirSync(join(tmp, "Train", "3"), { recursive: true });
        writeFileSync(join(tmp, "Train", "3", "00001.bin"), new Uint8Array(5));
        throw new Error("disk full");
      }),
      /disk full/,
    );
    assert.deepEqual(readdirSync(dir), []);
    // An empty folder is taken; a non-empty one or a file is refused with the fix.
    mkdirSync(out);
    await writeNmnistTree(out, { limit: [1, 1] });
    assert.ok(existsSync(join(out, "Train")) && existsSync(join(out, "Test")));
    await assert.rejects(writeNmnistTree(out, { limit: [1, 1] }), (e: unknown) => e instanceof UsageError && /not empty; choose a new folder/.test(e.message));
    writeFileSync(join(dir, "file"), "x");
    await assert.rejects(writeNmnistTree(join(dir, "file"), { limit: [1, 1] }), UsageError);
    assert.deepEqual(readdirSync(dir).sort(), ["file", "t"]);
  } finally {
    done();
  }
});

test("CLI: data sim nmnist --out/--limit and the older --root form; bad flags are UsageErrors", async () => {
  const { dir, done } = tempDir();
  const run = (args: string[]): Promise<unknown> => buildProgram().parseAsync(["data", "sim", ...args], { from: "user" });
  const write = process.stdout.write.bind(process.stdout);
  const lines: string[] = [];
  process.stdout.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stdout.write;
  try {
    await run(["nmnist", "--out", join(dir, "a"), "--limit", "4,2"]);
    assert.deepEqual([new NMNIST(join(dir, "a")).length, new NMNIST(join(dir, "a"), { train: false }).length], [4, 2]);
    const j = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    assert.deepEqual([j.kind, j.train, j.test], ["nmnist", 4, 2]);
    await run(["nmnist", "--root", join(dir, "old"), "--split", "val", "--count", "2"]);
    assert.equal(readdirSync(join(dir, "old", "Val")).length > 0, true);
    for (const bad of [
      ["nmnist"],
      ["nmnist", "--out", join(dir, "b"), "--limit", "5"],
      ["nmnist", "--out", join(dir, "b"), "--limit", "-1,2"],
      ["nmnist", "--out", join(dir, "b"), "--root", join(dir, "c")],
      ["nmnist", "--out", join(dir, "b"), "--count", "3"],
      ["nmnist", "--root", join(dir, "c"), "--split", "dev"],
      ["nmnist", "--out", join(dir, "a")],
      ["mnist-dvs", "--out", join(dir, "b")],
    ]) {
      await assert.rejects(run(bad), UsageError, bad.join(" "));
    }
    assert.equal(existsSync(join(dir, "b")), false);
    // More than there is: clamped to the 8,000/2,000 digits, said on the log.
    const logs: string[] = [];
    await assert.rejects(nmnistSimKind.run({ out: join(dir, "a"), limit: "9000,3000" }, (m) => logs.push(m)), UsageError);
    assert.match(logs.join("\n"), /more than the 8000 train \/ 2000 test digits/);
  } finally {
    process.stdout.write = write;
    done();
  }
});
