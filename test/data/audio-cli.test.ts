/**
 * `data audio-to-spikes` as a user runs it (a child process through tsx): a truncated WAV exits 2 with
 * a FormatError naming the file, and nothing is written. (The spoken-digits command's test is in
 * audio-spoken-digits.slow.test.ts.)
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot, tempDir } from "./helpers.js";

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), ...args], { cwd: repoRoot }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

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
