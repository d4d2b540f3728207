/**
 * Shared test helpers for the data suites: the path of a fixture in test/fixtures (every file a test
 * reads ships with the repository), temp folders, and an assertion that a call raises a FormatError
 * naming the file, a location and what was expected.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateRawSync } from "node:zlib";
import { FormatError } from "../../src/errors.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (two levels above this file). */
export const repoRoot = resolve(here, "..", "..");
/** test/fixtures/<name> (see test/fixtures/README.md for each file's source and licence). */
export function fixture(name: string): string {
  return resolve(repoRoot, "test", "fixtures", name);
}

export function tempDir(prefix = "exodus-data-"): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FormatErrorCheck {
  file: string;
  where?: RegExp;
  expected?: RegExp;
}

export function checkFormatError(e: unknown, c: FormatErrorCheck): true {
  assert.ok(e instanceof FormatError, `expected FormatError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  assert.equal(e.file, c.file);
  assert.ok(e.where.length > 0 && e.expected.length > 0);
  if (c.where) assert.match(e.where, c.where);
  if (c.expected) assert.match(e.expected, c.expected);
  assert.ok(e.message.includes(c.file) && e.message.includes(e.where) && e.message.includes(e.expected));
  return true;
}

export function throwsFormat(fn: () => unknown, c: FormatErrorCheck): void {
  assert.throws(fn, (e) => checkFormatError(e, c));
}

export async function rejectsFormat(p: Promise<unknown>, c: FormatErrorCheck): Promise<void> {
  await assert.rejects(p, (e) => checkFormatError(e, c));
}

/** mulberry32-free tiny LCG for test-side randomness independent of src/util/rng. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A ZIP written from the PKWARE APPNOTE layout: one stored and one deflated entry. */
export function handZip(entries: Array<[string, Buffer, boolean]>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let off = 0;
  for (const [name, data, deflate] of entries) {
    const body = deflate ? deflateRawSync(data) : data;
    const n = Buffer.from(name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc32(data) >>> 0, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(n.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc32(data) >>> 0, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(n.length, 28);
    ch.writeUInt32LE(off, 42);
    locals.push(lh, n, body);
    central.push(ch, n);
    off += 30 + n.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, end]);
}
