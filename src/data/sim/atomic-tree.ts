/**
 * Whole-tree atomic output for the simulators: everything is written into a hidden sibling folder,
 * which is renamed onto the target only when complete, so an error or Ctrl-C never leaves a tree
 * that a reader would take for a finished (but smaller) dataset.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UsageError } from "../../errors.js";

/** Checks that `out` can receive a new tree: missing, or an empty folder. */
export function checkFreshOut(out: string, flag = "--out"): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UsageError(`${flag} ${out} is a file; give a folder path that does not exist yet`);
  if (readdirSync(out).length > 0) throw new UsageError(`${flag} ${out} is not empty; choose a new folder or delete it first (the simulator never merges into an existing tree)`);
}

/**
 * Run `fill(tmp)` on a fresh temporary folder beside `out`, then rename it to `out`. On any error
 * the temporary folder is removed and the error is rethrown; `out` is untouched.
 */
export async function writeTreeAtomic<T>(out: string, fill: (tmp: string) => T | Promise<T>): Promise<T> {
  checkFreshOut(out);
  const abs = resolve(out);
  const parent = dirname(abs);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(abs)}.partial-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    const r = await fill(tmp);
    // An empty target folder (allowed by checkFreshOut) must go before rename can take its place.
    if (existsSync(abs)) rmdirSync(abs);
    renameSync(tmp, abs);
    return r;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
