/**
 * `data sim spoken-digits` as a user runs it (a child process through tsx): a tiny voice-disjoint pair
 * our SHD reader opens (labels in SHD's numbering, SHD's keys, disjoint speaker ids, spikes inside each
 * sample), not remade when asked again. Slow suite: ~6 s of CPU, but over a minute of wall time on the
 * shared 2-core machine (worker threads + espeak-ng processes). Needs espeak-ng (installed by
 * .ci/setup-system); without it the test is a printed skip.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { closeH5Reader } from "../../src/data/readers/hdf5.js";
import { readShd, writeShd } from "../../src/data/readers/shd.js";
import { generateSpokenDigits } from "../../src/data/sim/spoken-digits.js";
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
    assert.equal(tr.layout, "ragged");
    assert.equal(te.layout, "ragged");
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
    // Asked again (in-process: a second child process would only add start-up time), nothing is remade.
    const m = statSync(join(d.dir, "sd_train.h5")).mtimeMs;
    const again = await generateSpokenDigits({ out, train: 6, test: 4, jobs: 2, channels: 128 });
    assert.equal(again.cached, true);
    assert.equal(statSync(join(d.dir, "sd_train.h5")).mtimeMs, m);
    assert.ok(!readdirSync(d.dir).some((f) => f.includes("cache")), "the resume cache should be gone once the pair is written");
    // A pair made before the ragged writer (flat layout, metadata without "layout") is rewritten in SHD's
    // layout, spike for spike, instead of being regenerated or reported up to date as it is.
    const metaPath = join(d.dir, "sd.spoken-digits.json");
    const meta = JSON.parse(readFileSync(metaPath, "utf8")) as Record<string, unknown>;
    delete meta.layout;
    writeFileSync(metaPath, JSON.stringify(meta));
    for (const [name, data] of [["sd_train.h5", tr], ["sd_test.h5", te]] as const) {
      await writeShd(join(d.dir, name), { times: data.times, units: data.units, labels: data.labels, speaker: data.speaker, keys: data.keys }, { layout: "flat" });
    }
    assert.equal((await readShd(join(d.dir, "sd_train.h5"))).layout, "flat");
    const lines: string[] = [];
    const relaid = await generateSpokenDigits({ out, train: 6, test: 4, jobs: 2, channels: 128, log: (l) => lines.push(l) });
    assert.equal(relaid.cached, true);
    assert.ok(lines.some((l) => /rewritten in SHD's ragged layout/.test(l)), lines.join("\n"));
    for (const [name, before] of [["sd_train.h5", tr], ["sd_test.h5", te]] as const) {
      const now = await readShd(join(d.dir, name), { numClasses: 20, channels: 128 });
      assert.equal(now.layout, "ragged");
      assert.deepEqual(now.times.map((r) => Array.from(r)), before.times.map((r) => Array.from(r)));
      assert.deepEqual(now.units.map((r) => Array.from(r)), before.units.map((r) => Array.from(r)));
      assert.deepEqual(Array.from(now.labels), Array.from(before.labels));
    }
  } finally {
    d.done();
  }
});
