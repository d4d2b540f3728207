/**
 * `exodus-snn data inspect` and `data sim` as a user runs them (a child process through tsx): with
 * --json the last stdout line is one JSON object with format, events, sensor, t_first_us, t_last_us,
 * on, off (+ labels for labelled files); malformed files exit 2 with a FormatError message.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { encodeIdx } from "../../src/data/readers/idx.js";
import { concat, HEADER, packet, polEvents } from "./aedat-fixtures.js";
import { repoRoot, fixture, tempDir } from "./helpers.js";

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), ...args], { cwd: repoRoot }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

test("inspect --json: real N-MNIST sample", async () => {
  const r = await cli(["data", "inspect", fixture("sample_nmnist.bin"), "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j.format, "nmnist-bin");
  assert.equal(j.events, 4325);
  assert.deepEqual(j.sensor, [34, 34, 2]);
  assert.equal(j.t_first_us, 654);
  assert.equal(j.t_last_us, 311175);
  assert.equal(j.on, 2145);
  assert.equal(j.off, 2180);
});

test("inspect --json: AEDAT with its labels CSV, SHD HDF5, IDX; errors exit 2", async () => {
  const { dir, done } = tempDir();
  try {
    const aedat = join(dir, "user01_natural.aedat");
    writeFileSync(aedat, concat(Buffer.from(HEADER, "latin1"), packet(1, 8, 0, polEvents([[1, 2, 1, 10], [3, 4, 0, 20], [5, 6, 1, 35]]), 3)));
    copyFileSync(fixture("user01_natural_labels.csv"), join(dir, "user01_natural_labels.csv"));
    const idx = join(dir, "t10k-labels-idx1-ubyte.gz");
    writeFileSync(idx, encodeIdx({ dims: [4], data: Uint8Array.from([3, 3, 1, 0]) }, true));
    const trunc = join(dir, "cut.bin");
    writeFileSync(trunc, readFileSync(fixture("sample_nmnist.bin")).subarray(0, 12));
    const [a, h, i, bad] = await Promise.all([
      cli(["data", "inspect", aedat, "--json"]),
      cli(["data", "inspect", fixture("shd_fixture_f32.h5"), "--json"]),
      cli(["data", "inspect", idx, "--json"]),
      cli(["data", "inspect", trunc, "--json"]),
    ]);
    const ja = lastJson(a.stdout);
    assert.deepEqual([ja.format, ja.events, ja.t_first_us, ja.t_last_us, ja.on, ja.off], ["aedat3.1", 3, 10, 35, 2, 1]);
    assert.deepEqual(ja.sensor, [128, 128, 2]);
    assert.equal((ja.labels as Record<string, number>)["7"], 2);
    const jh = lastJson(h.stdout);
    assert.deepEqual([jh.format, jh.events, jh.samples, jh.on, jh.off], ["hdf5-shd", 50, 4, 50, 0]);
    assert.deepEqual(jh.sensor, [700, 1, 1]);
    assert.deepEqual(jh.labels, { "0": 1, "13": 1, "7": 1, "19": 1 });
    const ji = lastJson(i.stdout);
    assert.deepEqual([ji.format, ji.samples, ji.labels], ["idx", 4, { "3": 2, "1": 1, "0": 1 }]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /FormatError: .*cut\.bin: at byte 10: expected a whole 5-byte/);
  } finally {
    done();
  }
});

test("data sim nmnist writes a tree that inspect reads as N-MNIST", async () => {
  const { dir, done } = tempDir();
  try {
    const r = await cli(["data", "sim", "nmnist", "--root", dir, "--split", "val", "--count", "2"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastJson(r.stdout).written, 2);
    const { readdirSync } = await import("node:fs");
    const digit = readdirSync(join(dir, "Val"))[0]!;
    const file = join(dir, "Val", digit, readdirSync(join(dir, "Val", digit))[0]!);
    const j = lastJson((await cli(["data", "inspect", file, "--json"])).stdout);
    assert.equal(j.format, "nmnist-bin");
    assert.ok((j.events as number) > 1000);
  } finally {
    done();
  }
});
