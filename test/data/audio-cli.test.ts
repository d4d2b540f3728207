/**
 * The audio commands as a user runs them (a child process through tsx): `data sim spoken-digits`
 * makes a tiny voice-disjoint pair our SHD reader opens (labels in SHD's numbering, SHD's keys,
 * disjoint speaker ids, spikes inside each sample) and answers "cached" when asked again;
 * `data audio-to-spikes` on a truncated WAV exits 2 naming the file and writes nothing.
 * Needs espeak-ng (installed by .ci/setup-system); without it the generator test is a printed skip.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { closeH5Reader } from "../../src/data/readers/hdf5.js";
import { readShd } from "../../src/data/readers/shd.js";
import { repoRoot, tempDir } from "./helpers.js";

after(() => closeH5Reader());

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), ...args], { cwd: repoRoot }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function hasEspeak(): boolean {
  try {
    execFileSync("espeak-ng", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("data sim spoken-digits: a tiny voice-disjoint pair in SHD layout, cached the second time", async (t) => {
  if (!hasEspeak()) {
    t.skip("espeak-ng not installed (apt-get install -y espeak-ng, see .ci/setup-system)");
    return;
  }
  const d = tempDir("exodus-sd-");
  try {
    const out = join(d.dir, "sd.h5");
    const args = ["data", "sim", "spoken-digits", "--out", out, "--train", "6", "--test", "4", "--jobs", "2", "--channels", "128"];
    const r = await cli(args);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { cached: boolean; voices: { train: string[]; test: string[] } };
    assert.equal(j.cached, false);
    assert.deepEqual(j.voices.train.filter((v) => j.voices.test.includes(v)), [], "train and test voices overlap");
    const tr = await readShd(join(d.dir, "sd_train.h5"), { numClasses: 20, channels: 128 });
    const te = await readShd(join(d.dir, "sd_test.h5"), { numClasses: 20, channels: 128 });
    assert.deepEqual(Array.from(tr.labels), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(Array.from(te.labels), [0, 1, 2, 3]);
    assert.equal(tr.keys?.length, 20);
    assert.equal(tr.keys?.[0], "zero");
    assert.equal(tr.keys?.[13], "drei");
    const trSpk = new Set(tr.speaker!);
    for (const s of te.speaker!) assert.ok(!trSpk.has(s), `speaker ${s} is in both splits`);
    for (const row of [...tr.times, ...te.times]) {
      assert.ok(row.length > 20, `a sample with only ${row.length} spikes`);
      assert.ok(row[row.length - 1]! < 2.5, `a spike at ${row[row.length - 1]} s: longer than any spoken digit`);
    }
    const m = statSync(join(d.dir, "sd_train.h5")).mtimeMs;
    const again = await cli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^cached /);
    assert.equal(statSync(join(d.dir, "sd_train.h5")).mtimeMs, m);
    assert.ok(!readdirSync(d.dir).some((f) => f.includes("cache")), "the resume cache should be gone once the pair is written");
  } finally {
    d.done();
  }
});

test("data audio-to-spikes: a truncated WAV exits 2 with a FormatError naming it, and writes nothing", async () => {
  const d = tempDir("exodus-a2s-");
  try {
    // 44-byte header declaring 8000 data bytes, followed by only 100
    const b = new Uint8Array(144);
    const v = new DataView(b.buffer);
    b.set(new TextEncoder().encode("RIFF"), 0);
    v.setUint32(4, 36 + 8000, true);
    b.set(new TextEncoder().encode("WAVEfmt "), 8);
    v.setUint32(16, 16, true);
    v.setUint16(20, 1, true);
    v.setUint16(22, 1, true);
    v.setUint32(24, 16000, true);
    v.setUint32(28, 32000, true);
    v.setUint16(32, 2, true);
    v.setUint16(34, 16, true);
    b.set(new TextEncoder().encode("data"), 36);
    v.setUint32(40, 8000, true);
    writeFileSync(join(d.dir, "cut.wav"), b);
    writeFileSync(join(d.dir, "labels.csv"), "cut.wav,1\n");
    const r = await cli(["data", "audio-to-spikes", "--in", d.dir, "--labels", join(d.dir, "labels.csv"), "--out", join(d.dir, "o.h5"), "--channels", "16"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /FormatError/);
    assert.ok(r.stderr.includes(join(d.dir, "cut.wav")), r.stderr);
    assert.deepEqual(readdirSync(d.dir).sort(), ["cut.wav", "labels.csv"]);
  } finally {
    d.done();
  }
});
