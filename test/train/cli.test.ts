/**
 * The train and eval commands as a user runs them (spawned through tsx): bad arguments give a usage
 * message and exit code 2 without a stack trace; a tiny run writes config, checkpoint, metrics.jsonl and
 * report.html and ends stdout with one JSON object; eval reads the run back; --resume continues a run.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root, encoding: "utf8" });
const dir = mkdtempSync(join(tmpdir(), "exodus-cli-"));
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;

test("bad arguments: usage error, exit code 2, no stack trace", () => {
  const cases: [string[], RegExp][] = [
    [["train", "--gradient", "magic"], /gradient/],
    [["train", "--epochs", "two"], /integer/],
    [["train", "--batch-size", "0"], /integer ≥ 1/],
    [["train", "--lr", "-1"], /positive/],
    [["train", "--task", "cifar"], /task/],
    [["train", "--task", "toy", "--model", "resnet"], /unknown preset/],
    [["train", "--task", "toy", "--config", join(dir, "missing.json")], /no such file/],
    [["train", "--resume"], /--out/],
    [["train", "--frobnicate"], /unknown option/],
    [["train", "--task", "shd", "--data", join(dir, "no-such-shd")], /data fetch shd/],
    [["train", "--task", "nmnist", "--data", dir], /Train\/ \(or train\.zip\)/],
    [["train", "--task", "dvs-gesture", "--data", dir], /trials_to_train\.txt/],
    [["train", "--task", "toy", "--data", dir], /event datasets/],
    [["train", "--task", "shd", "--downsample", "2"], /factor in \(0, 1\]/],
    [["train", "--task", "shd", "--time-bins", "10", "--time-window-us", "1000", "--data", dir], /either --time-bins or --time-window-us/],
    [["eval"], /--checkpoint/],
    [["eval", "--checkpoint", dir], /not a run directory/],
    // a bad thread count must not silently fall back to the ref backend
    [["train", "--task", "toy", "--epochs", "1", "--threads", "100"], /threads must be an integer in \[1, 64\]/],
  ];
  for (const [args, msg] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, msg, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${args.join(" ")}: stack trace printed`);
  }
  const env = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "train", "--task", "toy", "--epochs", "1"],
    { cwd: root, encoding: "utf8", env: { ...process.env, EXODUS_THREADS: "abc" } });
  assert.equal(env.status, 2, `EXODUS_THREADS=abc: exit ${env.status}\n${env.stderr}`);
  assert.match(env.stderr, /threads must be an integer in \[1, 64\] \(got EXODUS_THREADS=abc\)/);
});

test("train writes a complete run directory and ends stdout with the result JSON; eval reads it back", () => {
  const out = join(dir, "run");
  const r = cli(["train", "--task", "toy", "--model", "tiny", "--epochs", "3", "--batch-size", "16", "--lr", "0.02", "--device", "ref", "--out", out, "--no-progress"]);
  assert.equal(r.status, 0, r.stderr);
  const res = lastJson(r.stdout);
  for (const k of ["test_accuracy", "test_loss", "epochs", "seconds"]) assert.equal(typeof res[k], "number", k);
  assert.equal(res.epochs, 3);
  assert.match(r.stdout, /report: .*report\.html/);
  for (const f of ["config.json", "metrics.jsonl", "report.html", "model.safetensors", "checkpoint/model.safetensors", "checkpoint/optimizer.safetensors", "checkpoint/state.json", "checkpoint/config.json"]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  assert.equal(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").length, 3);
  const html = readFileSync(join(out, "report.html"), "utf8");
  assert.ok((html.match(/<svg/g) ?? []).length >= 2 + 3 + 2, "loss/accuracy curves, rasters (input + 2 layers), 2 histograms");
  const e = cli(["eval", "--checkpoint", out, "--device", "ref"]);
  assert.equal(e.status, 0, e.stderr);
  const ev = lastJson(e.stdout);
  assert.equal(ev.test_accuracy, res.test_accuracy);
  assert.equal(ev.test_loss, res.test_loss);
  assert.equal(ev.epochs, 3);
});

test("train --resume continues a run to the same result as an uninterrupted one", () => {
  const common = ["--task", "toy", "--model", "tiny", "--batch-size", "16", "--lr", "0.02", "--device", "ref", "--schedule", "constant", "--no-progress"];
  const a = cli(["train", ...common, "--epochs", "4", "--out", join(dir, "a")]);
  assert.equal(a.status, 0, a.stderr);
  const b1 = cli(["train", ...common, "--epochs", "2", "--out", join(dir, "b")]);
  assert.equal(b1.status, 0, b1.stderr);
  const again = cli(["train", ...common, "--epochs", "2", "--out", join(dir, "b")]);
  assert.equal(again.status, 2, "refuses to overwrite a run without --resume");
  const b2 = cli(["train", "--resume", "--out", join(dir, "b"), "--epochs", "4", "--no-progress"]);
  assert.equal(b2.status, 0, b2.stderr);
  const ra = lastJson(a.stdout), rb = lastJson(b2.stdout);
  assert.equal(rb.epochs, 4);
  assert.equal(rb.test_accuracy, ra.test_accuracy);
  assert.equal(rb.test_loss, ra.test_loss);
  const wa = readFileSync(join(dir, "a", "checkpoint", "model.safetensors"));
  const wb = readFileSync(join(dir, "b", "checkpoint", "model.safetensors"));
  assert.ok(wa.equals(wb), "checkpoint weights differ byte-wise");
});

test("--config model.json builds the network from JSON; an unknown layer type is a usage error (exit 2)", () => {
  const good = join(dir, "model.json");
  writeFileSync(good, JSON.stringify({
    loss: { name: "ce-max" },
    layers: [{ type: "linear", in: 12, out: 8 }, { type: "lif", tauMem: 5, normInput: false, spikeThreshold: 0.5 }, { type: "dropout", p: 0.1 },
      { type: "linear", in: 8, out: 3 }, { type: "expleak", tauMem: 5 }],
  }));
  const r = cli(["train", "--task", "toy", "--config", good, "--epochs", "2", "--device", "ref", "--out", join(dir, "cfg"), "--no-progress"]);
  assert.equal(r.status, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(dir, "cfg", "config.json"), "utf8"));
  assert.equal(cfg.model.layers.length, 5);
  assert.equal(lastJson(r.stdout).epochs, 2);
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ layers: [{ type: "transformer" }] }));
  const b = cli(["train", "--task", "toy", "--config", bad, "--device", "ref", "--out", join(dir, "bad"), "--no-progress"]);
  assert.equal(b.status, 2, b.stderr);
  assert.match(b.stderr, /unknown type 'transformer'/);
  assert.doesNotMatch(b.stderr, /\n\s+at /);
});
