/**
 * Downloads against a local node:http server on 127.0.0.1 (ephemeral port): plain download with
 * verification, a connection dropped mid-body and resumed with a Range request, a corrupted file
 * rejected without leaving anything behind, an already-verified file kept, the CLI end to end
 * (`data fetch shd --base-url …` with md5sums.txt), and the ZIP extractor on a hand-built archive.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { downloadFile } from "../../src/data/fetch.js";
import { SHD } from "../../src/data/datasets/heidelberg.js";
import { closeH5Reader } from "../../src/data/readers/hdf5.js";
import { extractZip } from "../../src/data/zip.js";
import { FormatError } from "../../src/errors.js";
import { handZip, lcg, repoRoot, fixture, tempDir } from "./helpers.js";

const files = new Map<string, Buffer>();
const dropOnce = new Set<string>();
const log: Array<{ path: string; range: string | undefined }> = [];
let server: http.Server;
let base = "";

function md5(b: Buffer): string {
  return createHash("md5").update(b).digest("hex");
}
function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

before(async () => {
  const r = lcg(11);
  files.set("blob.bin", Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(r() * 256))));
  files.set("shd_train.h5.gz", gzipSync(readFileSync(fixture("shd_fixture_f16.h5"))));
  files.set("shd_test.h5.gz", gzipSync(readFileSync(fixture("shd_fixture_f32.h5"))));
  files.set("md5sums.txt", Buffer.from(`${md5(files.get("shd_train.h5.gz")!)}  shd_train.h5.gz\n${md5(files.get("shd_test.h5.gz")!)}  shd_test.h5.gz\n`));
  // SSC: the server's file does not match its md5sums entry (a corrupted upload)
  files.set("ssc_train.h5.gz", gzipSync(Buffer.from("corrupted")));
  server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? "/").replace(/^\/(mirror\/)?/, ""));
    log.push({ path: name, range: req.headers.range });
    if (name === "ssc/md5sums.txt") {
      res.end(`${"0".repeat(32)}  ssc_train.h5.gz\n`);
      return;
    }
    const body = files.get(name.replace(/^ssc\//, ""));
    if (!body) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (m) {
      const from = Number(m[1]);
      if (from >= body.length) {
        res.writeHead(416, { "Content-Range": `bytes */${body.length}` });
        res.end();
        return;
      }
      res.writeHead(206, { "Content-Length": body.length - from, "Content-Range": `bytes ${from}-${body.length - 1}/${body.length}`, "Accept-Ranges": "bytes" });
      res.end(body.subarray(from));
      return;
    }
    res.writeHead(200, { "Content-Length": body.length, "Accept-Ranges": "bytes" });
    if (dropOnce.delete(name)) {
      // send part of the body, then kill the connection mid-body
      res.write(body.subarray(0, Math.floor(body.length / 3)), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

after(() => {
  server.close();
  closeH5Reader();
});

test("download, verify (sha256), atomic rename; second call uses the verified file", async () => {
  const { dir, done } = tempDir();
  try {
    const dest = join(dir, "blob.bin");
    const n0 = log.length;
    assert.equal(await downloadFile(base + "blob.bin", dest, { sha256: sha256(files.get("blob.bin")!) }), "downloaded");
    assert.deepEqual(readFileSync(dest), files.get("blob.bin"));
    assert.ok(!existsSync(dest + ".part"));
    assert.equal(await downloadFile(base + "blob.bin", dest, { sha256: sha256(files.get("blob.bin")!) }), "cached");
    assert.equal(log.length - n0, 1);
  } finally {
    done();
  }
});

test("dropped connection: the client resumes with an HTTP Range request", async () => {
  const { dir, done } = tempDir();
  try {
    const dest = join(dir, "blob.bin");
    dropOnce.add("blob.bin");
    const n0 = log.length;
    const msgs: string[] = [];
    assert.equal(await downloadFile(base + "blob.bin", dest, { md5: md5(files.get("blob.bin")!), log: (m) => msgs.push(m) }), "downloaded");
    assert.deepEqual(readFileSync(dest), files.get("blob.bin"));
    const reqs = log.slice(n0);
    assert.equal(reqs.length, 2);
    assert.equal(reqs[0]!.range, undefined);
    const from = Number(/bytes=(\d+)-/.exec(reqs[1]!.range ?? "")?.[1]);
    assert.ok(from > 0 && from < 300_000, `resumed from ${reqs[1]!.range}`);
    assert.ok(msgs.some((m) => m.includes("resuming")));
  } finally {
    done();
  }
});

test("an existing .part file is resumed, not restarted", async () => {
  const { dir, done } = tempDir();
  try {
    const dest = join(dir, "blob.bin");
    writeFileSync(dest + ".part", files.get("blob.bin")!.subarray(0, 1234));
    const n0 = log.length;
    await downloadFile(base + "blob.bin", dest, { md5: md5(files.get("blob.bin")!) });
    assert.equal(log[n0]!.range, "bytes=1234-");
    assert.deepEqual(readFileSync(dest), files.get("blob.bin"));
  } finally {
    done();
  }
});

test("corrupted download: FormatError, nothing left in place", async () => {
  const { dir, done } = tempDir();
  try {
    const dest = join(dir, "blob.bin");
    await assert.rejects(downloadFile(base + "blob.bin", dest, { md5: "0".repeat(32) }), (e) => e instanceof FormatError && /md5/.test(e.expected) && e.file.endsWith("blob.bin"));
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    done();
  }
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), ...args], { cwd: repoRoot, env: { ...process.env, EXODUS_SNN_DATA_BASE_URL: "" } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test("CLI: data fetch shd --base-url (md5sums.txt, dropped connection, gunzip), then SHD opens", async () => {
  const { dir, done } = tempDir();
  try {
    dropOnce.add("shd_train.h5.gz");
    const r = await cli(["data", "fetch", "shd", "--root", dir, "--base-url", base + "mirror/"]);
    assert.equal(r.code, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { files: Array<{ status: string }> };
    assert.deepEqual(last.files.map((f) => f.status), ["downloaded", "downloaded"]);
    assert.match(r.stderr, /resuming/);
    assert.deepEqual(readFileSync(join(dir, "shd_train.h5")), readFileSync(fixture("shd_fixture_f16.h5")));
    const shd = await SHD.open(dir);
    assert.equal(shd.length, 4);
    const bad = await cli(["data", "fetch", "ssc", "--root", dir, "--base-url", base + "ssc/"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /FormatError/);
    assert.ok(!existsSync(join(dir, "ssc_train.h5.gz")) && !existsSync(join(dir, "ssc_train.h5.gz.part")));
  } finally {
    done();
  }
});

test("ZIP extraction (stored + deflate), CRC and path checks", async () => {
  const { dir, done } = tempDir();
  try {
    const sample = readFileSync(fixture("sample_nmnist.bin"));
    const zip = join(dir, "a.zip");
    writeFileSync(zip, handZip([["Train/3/00001.bin", sample, true], ["README.txt", Buffer.from("hi"), false]]));
    assert.equal(await extractZip(zip, join(dir, "out")), 2);
    assert.deepEqual(readFileSync(join(dir, "out/Train/3/00001.bin")), sample);
    const evil = join(dir, "evil.zip");
    writeFileSync(evil, handZip([["../escape.txt", Buffer.from("x"), false]]));
    await assert.rejects(extractZip(evil, join(dir, "out2")), FormatError);
    const broken = handZip([["x.bin", Buffer.from("hello world"), false]]);
    broken[30 + 5] ^= 0xff; // flip a data byte → CRC mismatch
    writeFileSync(join(dir, "crc.zip"), broken);
    await assert.rejects(extractZip(join(dir, "crc.zip"), join(dir, "out3")), (e) => e instanceof FormatError && /CRC/.test(e.expected));
  } finally {
    done();
  }
});
