/**
 * Where each dataset lives on disk, in the layout its authors distribute, and how to open its splits:
 * - N-MNIST: `Train/<digit>/*.bin` and `Test/<digit>/*.bin`, or the original `train.zip`/`test.zip` (unpacked once
 *   into the exodus-snn home, atomically);
 * - SHD / SSC: `shd_train.h5`/`shd_test.h5` (`ssc_valid.h5` too), gzipped or not, in a folder, or one split's file
 *   named `<anything>_train.h5` whose `_test` partner sits beside it (a converter's output);
 * - DVS Gesture: the folder of `userNN_<lighting>.aedat` + `*_labels.csv` + `trials_to_train.txt`/`trials_to_test.txt`.
 * Without a path, the folder `exodus-snn data fetch` fills (<home>/data/<dataset>). A missing or partial layout is a
 * ConfigError that names the missing file and the command that gets it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { ConfigError } from "../errors.js";
import { DVSGesture } from "./datasets/dvs-gesture.js";
import { SHD, SSC } from "./datasets/heidelberg.js";
import { NMNIST } from "./datasets/nmnist.js";
import type { EventDataset } from "./datasets/types.js";
import { DVSGESTURE_HOWTO, gunzipTo } from "./fetch.js";
import { extractZip } from "./zip.js";

export const EVENT_DATASETS = ["nmnist", "shd", "ssc", "dvs-gesture"] as const;
export type EventDatasetName = (typeof EVENT_DATASETS)[number];

/** The name `exodus-snn data fetch` knows the dataset by. */
const FETCH_NAME: Record<EventDatasetName, string> = { nmnist: "nmnist", shd: "shd", ssc: "ssc", "dvs-gesture": "dvsgesture" };

/** exodus-snn's own folder for fetched data, unpacked archives and the frame cache: $EXODUS_SNN_HOME or ~/.cache/exodus-snn. */
export function exodusHome(): string {
  return resolve(process.env["EXODUS_SNN_HOME"] ?? join(homedir(), ".cache", "exodus-snn"));
}

/** The folder `exodus-snn data fetch <dataset>` uses when no --root is given. */
export function defaultDataRoot(name: EventDatasetName | string): string {
  return join(exodusHome(), "data", FETCH_NAME[name as EventDatasetName] ?? name);
}

function fetchHint(name: EventDatasetName, root: string): string {
  return name === "dvs-gesture" ? DVSGESTURE_HOWTO : `get it with: exodus-snn data fetch ${FETCH_NAME[name]} --root ${root}`;
}

export interface DatasetSplits {
  train: EventDataset;
  test: EventDataset;
  /** Where the data was found (a folder, or the train file). */
  source: string;
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** A stable folder under the home for things unpacked from `file` (changes when the file does). */
function unpackDir(kind: string, file: string): string {
  const st = statSync(file);
  const h = createHash("sha256").update(`${resolve(file)}:${st.size}:${st.mtimeMs}`).digest("hex").slice(0, 16);
  return join(exodusHome(), "unpacked", `${kind}-${h}`);
}

/** First existing entry of `dir` among `names`, compared case-insensitively. */
function findCi(dir: string, names: string[]): string | null {
  if (!isDir(dir)) return null;
  const want = new Set(names.map((n) => n.toLowerCase()));
  const hit = readdirSync(dir).find((e) => want.has(e.toLowerCase()));
  return hit ? join(dir, hit) : null;
}

/** Unzips an N-MNIST archive into <home>/unpacked so that `<dest>/<Split>/<digit>/*.bin` exists; atomic. */
async function unzipNmnist(zip: string, split: "Train" | "Test"): Promise<string> {
  const dest = unpackDir("nmnist", zip);
  if (isDir(join(dest, split))) return dest;
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await extractZip(zip, tmp);
    // The official archives hold a top folder (Train/ or Test/); accept one without it too (digit folders at the top).
    const top = findCi(tmp, [split]);
    mkdirSync(dest, { recursive: true });
    if (top) renameSync(top, join(dest, split));
    else renameSync(tmp, join(dest, split));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dest;
}

async function openNmnist(root: string): Promise<DatasetSplits> {
  const folders = { train: findCi(root, ["Train"]), test: findCi(root, ["Test"]) };
  const zips = { train: findCi(root, ["train.zip", "Train.zip"]), test: findCi(root, ["test.zip", "Test.zip"]) };
  const missing: string[] = [];
  if (!folders.train && !zips.train) missing.push(`${join(root, "Train")}/ (or train.zip)`);
  if (!folders.test && !zips.test) missing.push(`${join(root, "Test")}/ (or test.zip)`);
  if (missing.length) throw new ConfigError(`N-MNIST: ${missing.join(" and ")} not found in ${root}; ${fetchHint("nmnist", root)}`);
  const trainRoot = folders.train ? root : await unzipNmnist(zips.train!, "Train");
  const testRoot = folders.test ? root : await unzipNmnist(zips.test!, "Test");
  const train = new NMNIST(folders.train ? dirname(folders.train) : trainRoot, { train: true, folder: folders.train ?? undefined });
  const test = new NMNIST(folders.test ? dirname(folders.test) : testRoot, { train: false, folder: folders.test ?? undefined });
  return { train, test, source: root };
}

/** An .h5 path, gunzipping `<path>.gz` into the home first when only the gzipped file exists. */
async function h5OrGz(path: string): Promise<string | null> {
  if (isFile(path)) return path;
  const gz = path + ".gz";
  if (!isFile(gz)) return null;
  const out = join(unpackDir("h5", gz), basename(path));
  if (!isFile(out)) {
    mkdirSync(dirname(out), { recursive: true });
    await gunzipTo(gz, out);
  }
  return out;
}

async function openHeidelberg(name: "shd" | "ssc", data: string): Promise<DatasetSplits> {
  const lib = name === "shd" ? SHD : SSC;
  let trainPath: string, testPath: string;
  if (isDir(data)) {
    trainPath = join(data, `${name}_train.h5`);
    testPath = join(data, `${name}_test.h5`);
  } else {
    const m = /^(.*)_(train|test)\.h5(\.gz)?$/.exec(data);
    if (!m) {
      throw new ConfigError(`${name.toUpperCase()}: ${data} is neither a folder holding ${name}_train.h5 and ${name}_test.h5 nor a file named <name>_train.h5 with its <name>_test.h5 beside it; ${fetchHint(name, data)}`);
    }
    trainPath = `${m[1]}_train.h5`;
    testPath = `${m[1]}_test.h5`;
  }
  const [tr, te] = [await h5OrGz(trainPath), await h5OrGz(testPath)];
  const missing = [[trainPath, tr], [testPath, te]].filter(([, f]) => !f).map(([p]) => `${p} (or ${p}.gz)`);
  if (missing.length) throw new ConfigError(`${name.toUpperCase()}: ${missing.join(" and ")} not found; ${fetchHint(name, isDir(data) ? data : dirname(data))}`);
  return { train: await lib.openFile(tr!), test: await lib.openFile(te!), source: data };
}

function openDvsGesture(root: string): DatasetSplits {
  const dir = isDir(join(root, "DvsGesture")) ? join(root, "DvsGesture") : root;
  const missing = ["trials_to_train.txt", "trials_to_test.txt"].filter((f) => !isFile(join(dir, f))).map((f) => join(dir, f));
  if (missing.length) throw new ConfigError(`DVS Gesture: ${missing.join(" and ")} not found; ${fetchHint("dvs-gesture", root)}`);
  return { train: new DVSGesture(root, { train: true }), test: new DVSGesture(root, { train: false }), source: dir };
}

/** Opens the train and test splits of a dataset at `data` (default: where `data fetch` puts it). */
export async function openDatasetSplits(name: EventDatasetName, data?: string): Promise<DatasetSplits> {
  const root = resolve(data ?? defaultDataRoot(name));
  if (!existsSync(root)) {
    throw new ConfigError(`${name}: ${root} does not exist${data ? "" : " (no --data given, so the default data folder was used)"}; ${fetchHint(name, root)}, or pass --data <path>`);
  }
  switch (name) {
    case "nmnist":
      if (!isDir(root)) throw new ConfigError(`N-MNIST: --data must be a folder holding Train/ and Test/ (or train.zip and test.zip), got the file ${root}`);
      return openNmnist(root);
    case "shd":
    case "ssc":
      return openHeidelberg(name, root);
    case "dvs-gesture":
      if (!isDir(root)) throw new ConfigError(`DVS Gesture: --data must be the folder holding trials_to_train.txt, got the file ${root}`);
      return openDvsGesture(root);
  }
}
