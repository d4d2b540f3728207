/**
 * Dataset downloads: a table of known files (URL + MD5/SHA-256, or the server's md5sums.txt for the
 * Heidelberg sets, whose files were re-released), resumable transfers via HTTP Range, verification
 * before use, and atomic placement (`.part` file, then rename). The base URL can be overridden
 * (option or EXODUS_SNN_DATA_BASE_URL) to use a mirror, or a local server in tests.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { ConfigError, FormatError } from "../errors.js";
import { extractZip } from "./zip.js";

export interface RemoteFile {
  /** File name on disk (and on a mirror). */
  name: string;
  url: string;
  md5?: string;
  sha256?: string;
  /** Look the MD5 up in this file (lines "<md5>  <name>"), fetched from the same base. */
  checksumsFile?: string;
  /** What to do after verification. */
  extract?: "gunzip" | "zip";
}

export interface DatasetEntry {
  files: RemoteFile[];
  note: string;
}

const ZENKE = "https://zenkelab.org/datasets/";
const MENDELEY = "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/";
const FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
const MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/";

function zenke(name: string): RemoteFile {
  return { name, url: ZENKE + name, checksumsFile: "md5sums.txt", extract: "gunzip" };
}

export const DATASETS: Record<string, DatasetEntry> = {
  nmnist: {
    note: "N-MNIST (Orchard et al. 2015) from Mendeley Data; MD5s as pinned by tonic. Extracts to Train/ and Test/.",
    files: [
      { name: "train.zip", url: MENDELEY + "39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded", md5: "20959b8e626244a1b502305a9e6e2031", extract: "zip" },
      { name: "test.zip", url: MENDELEY + "05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded", md5: "69ca8762b2fe404d9b9bad1103e97832", extract: "zip" },
    ],
  },
  shd: {
    note: "Spiking Heidelberg Digits (Cramer et al., CC BY 4.0); MD5s from the server's md5sums.txt.",
    files: [zenke("shd_train.h5.gz"), zenke("shd_test.h5.gz")],
  },
  ssc: {
    note: "Spiking Speech Commands (Cramer et al., CC BY 4.0); MD5s from the server's md5sums.txt.",
    files: [zenke("ssc_train.h5.gz"), zenke("ssc_valid.h5.gz"), zenke("ssc_test.h5.gz")],
  },
  "fashion-mnist": {
    note: "Fashion-MNIST IDX files (Zalando, MIT); MD5s from the project README.",
    files: [
      { name: "train-images-idx3-ubyte.gz", url: FASHION + "train-images-idx3-ubyte.gz", md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d" },
      { name: "train-labels-idx1-ubyte.gz", url: FASHION + "train-labels-idx1-ubyte.gz", md5: "25c81989df183df01b3e8d0aad5dffbe" },
      { name: "t10k-images-idx3-ubyte.gz", url: FASHION + "t10k-images-idx3-ubyte.gz", md5: "bef4ecab320f06d8554ea6380940ec79" },
      { name: "t10k-labels-idx1-ubyte.gz", url: FASHION + "t10k-labels-idx1-ubyte.gz", md5: "bb300cfdad3c16e7a12a480ee83cd310" },
    ],
  },
  mnist: {
    note: "MNIST IDX files from the PyTorch mirror; MD5s as pinned by torchvision.",
    files: [
      { name: "train-images-idx3-ubyte.gz", url: MNIST + "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873" },
      { name: "train-labels-idx1-ubyte.gz", url: MNIST + "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432" },
      { name: "t10k-images-idx3-ubyte.gz", url: MNIST + "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3" },
      { name: "t10k-labels-idx1-ubyte.gz", url: MNIST + "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c" },
    ],
  },
};

/** Why DVS Gesture is not in the table: IBM serves it behind a licence click-through, no stable URL. */
export const DVSGESTURE_HOWTO =
  "DVS Gesture has no stable direct URL (IBM serves DvsGesture.tar.gz after a licence click-through). Download it by hand and extract it so that <root>/DvsGesture/trials_to_train.txt exists.";

export interface FetchOptions {
  root: string;
  /** Replace each URL's base (everything before the file name) with this one. */
  baseUrl?: string;
  retries?: number;
  log?: (msg: string) => void;
}

export interface DownloadOptions {
  md5?: string;
  sha256?: string;
  retries?: number;
  log?: (msg: string) => void;
}

function hashFile(path: string, algo: "md5" | "sha256"): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash(algo);
    createReadStream(path)
      .on("data", (c) => h.update(c))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}

async function verify(path: string, o: DownloadOptions): Promise<{ ok: boolean; detail: string }> {
  if (o.sha256) {
    const got = await hashFile(path, "sha256");
    return { ok: got === o.sha256.toLowerCase(), detail: `sha256 ${o.sha256}, got ${got}` };
  }
  if (o.md5) {
    const got = await hashFile(path, "md5");
    return { ok: got === o.md5.toLowerCase(), detail: `md5 ${o.md5}, got ${got}` };
  }
  throw new ConfigError(`refusing to use ${path} without a checksum to verify it against`);
}

interface Attempt {
  status: number;
  complete: boolean;
}

/** One HTTP GET appending to `part` from byte `from`; follows up to 5 redirects. */
function getOnce(url: string, part: string, from: number, redirects = 0): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith("https:") ? https : http;
    const req = mod.get(url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {} }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= 5) return reject(new ConfigError(`${url}: too many redirects`));
        return resolve(getOnce(new URL(res.headers.location, url).toString(), part, from, redirects + 1));
      }
      if (status === 416) {
        res.resume();
        return resolve({ status, complete: true });
      }
      if (status !== 200 && status !== 206) {
        res.resume();
        return reject(new ConfigError(`${url}: HTTP ${status}`));
      }
      // 200 = the server ignored Range: start over. 206 = append, but only where we asked it to start.
      const start = Number(/^bytes (\d+)-/.exec(String(res.headers["content-range"] ?? ""))?.[1] ?? NaN);
      if (status === 206 && start !== from) {
        res.destroy();
        unlinkSync(part);
        return resolve({ status, complete: false });
      }
      const append = status === 206 && from > 0;
      const expected = Number(res.headers["content-length"] ?? NaN);
      let got = 0;
      res.on("data", (c: Buffer) => (got += c.length));
      const out = createWriteStream(part, { flags: append ? "a" : "w" });
      pipeline(res, out).then(
        () => resolve({ status, complete: Number.isNaN(expected) ? res.complete : got === expected }),
        // A dropped connection: keep what arrived; the caller resumes with a Range request.
        () => resolve({ status, complete: false }),
      );
    });
    req.on("error", (e) => reject(e));
  });
}

/**
 * Download `url` to `dest`: resumes an existing `dest.part`, retries dropped connections with
 * Range requests, verifies the checksum, then renames into place. A file already at `dest` that
 * verifies is kept as is. A checksum mismatch deletes the partial file and throws FormatError.
 */
export async function downloadFile(url: string, dest: string, o: DownloadOptions): Promise<"cached" | "downloaded"> {
  const log = o.log ?? (() => {});
  if (!o.md5 && !o.sha256) throw new ConfigError(`no checksum known for ${url}`);
  if (existsSync(dest) && (await verify(dest, o)).ok) return "cached";
  const part = dest + ".part";
  const retries = o.retries ?? 5;
  let lastErr: unknown = null;
  for (let attempt = 0; attempt <= retries; attempt++) {
    const from = existsSync(part) ? statSync(part).size : 0;
    if (attempt > 0 || from > 0) log(`resuming ${url} at byte ${from}`);
    try {
      const r = await getOnce(url, part, from);
      if (r.complete) {
        lastErr = null;
        break;
      }
      lastErr = new Error("connection closed before the end of the body");
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      lastErr = e;
    }
  }
  if (lastErr) throw new ConfigError(`${url}: download failed after ${retries + 1} attempts: ${(lastErr as Error).message}`);
  const v = await verify(part, o);
  if (!v.ok) {
    unlinkSync(part);
    throw new FormatError(url, "whole file", v.detail.replace(/, got .*/, ""), `checksum mismatch (${v.detail.replace(/.*, /, "")}); the partial file was deleted`);
  }
  renameSync(part, dest);
  return "downloaded";
}

function rebase(url: string, name: string, baseUrl?: string): string {
  if (!baseUrl) return url;
  return baseUrl.replace(/\/?$/, "/") + name;
}

async function fetchText(url: string): Promise<string> {
  const mod = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    mod
      .get(url, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new ConfigError(`${url}: HTTP ${res.statusCode}`));
        }
        let s = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (s += c));
        res.on("end", () => resolve(s));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** Parse md5sum output ("<hex>  <name>" per line). */
export function parseMd5Sums(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const r = /^([0-9a-fA-F]{32})\s+\*?(\S+)\s*$/.exec(line);
    if (r) m.set(r[2]!, r[1]!.toLowerCase());
  }
  return m;
}

export async function gunzipTo(src: string, dest: string): Promise<void> {
  const tmp = `${dest}.${process.pid}.tmp`;
  try {
    await pipeline(createReadStream(src), createGunzip(), createWriteStream(tmp));
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new FormatError(src, "gzip stream", "a complete gzip file", (e as Error).message);
  }
  renameSync(tmp, dest);
}

export interface FetchResult {
  file: string;
  status: "cached" | "downloaded";
  extracted?: string;
}

export async function fetchDataset(name: string, o: FetchOptions): Promise<FetchResult[]> {
  if (name === "dvsgesture") throw new ConfigError(DVSGESTURE_HOWTO);
  const entry = DATASETS[name];
  if (!entry) throw new ConfigError(`unknown dataset '${name}'; known: ${[...Object.keys(DATASETS), "dvsgesture (manual)"].join(", ")}`);
  const baseUrl = o.baseUrl ?? process.env["EXODUS_SNN_DATA_BASE_URL"];
  mkdirSync(o.root, { recursive: true });
  const sums = new Map<string, Map<string, string>>();
  const out: FetchResult[] = [];
  for (const f of entry.files) {
    const url = rebase(f.url, f.name, baseUrl);
    let md5 = f.md5;
    if (!md5 && !f.sha256 && f.checksumsFile) {
      const sumsUrl = new URL(f.checksumsFile, url).toString();
      if (!sums.has(sumsUrl)) sums.set(sumsUrl, parseMd5Sums(await fetchText(sumsUrl)));
      md5 = sums.get(sumsUrl)!.get(f.name);
      if (!md5) throw new FormatError(sumsUrl, `entry '${f.name}'`, "an MD5 line for this file", "not listed");
    }
    const dest = join(o.root, f.name);
    o.log?.(`fetching ${url}`);
    const status = await downloadFile(url, dest, { md5, sha256: f.sha256, retries: o.retries, log: o.log });
    const r: FetchResult = { file: dest, status };
    if (f.extract === "gunzip") {
      const target = dest.replace(/\.gz$/, "");
      if (status === "downloaded" || !existsSync(target)) await gunzipTo(dest, target);
      r.extracted = target;
    } else if (f.extract === "zip") {
      const marker = dest + ".extracted";
      if (status === "downloaded" || !existsSync(marker)) {
        await extractZip(dest, o.root);
        // A marker, so a re-run after a verified download does not unzip 70,000 files again.
        writeFileSync(marker, new Date().toISOString());
      }
      r.extracted = o.root;
    }
    out.push(r);
  }
  return out;
}
