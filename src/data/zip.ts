/**
 * A minimal ZIP extractor (stored and deflate entries, no ZIP64, no encryption), enough for the
 * N-MNIST archives without a dependency. Reads the central directory, refuses paths that escape
 * the target folder, and checks each entry's size and CRC-32 before writing it.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from "node:fs";
import { dirname, join, normalize, sep } from "node:path";
import { crc32, inflateRawSync } from "node:zlib";
import { FormatError } from "../errors.js";

function read(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const n = readSync(fd, b, 0, len, pos);
  return n === len ? b : b.subarray(0, n);
}

export async function extractZip(file: string, destDir: string): Promise<number> {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const tailLen = Math.min(size, 65_557);
    const tail = read(fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
    if (eocd < 0) throw new FormatError(file, "end of file", "a ZIP end-of-central-directory record", "not found");
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOff = tail.readUInt32LE(eocd + 16);
    if (cdOff + cdSize > size) throw new FormatError(file, `byte ${size - tailLen + eocd}`, "a central directory inside the file", `offset ${cdOff} + ${cdSize} > ${size}`);
    const cd = read(fd, cdOff, cdSize);
    let p = 0;
    let written = 0;
    for (let k = 0; k < count; k++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new FormatError(file, `byte ${cdOff + p}`, "a central directory file header", "bad signature or truncated");
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      const csize = cd.readUInt32LE(p + 20);
      const usize = cd.readUInt32LE(p + 24);
      const nlen = cd.readUInt16LE(p + 28);
      const xlen = cd.readUInt16LE(p + 30);
      const clen = cd.readUInt16LE(p + 32);
      const lho = cd.readUInt32LE(p + 42);
      const name = cd.toString("utf8", p + 46, p + 46 + nlen);
      p += 46 + nlen + xlen + clen;
      const target = normalize(join(destDir, name));
      if (!target.startsWith(normalize(destDir) + sep) && target !== normalize(destDir)) throw new FormatError(file, `entry '${name}'`, "a path inside the target folder", "path escapes it");
      if (name.endsWith("/")) {
        mkdirSync(target, { recursive: true });
        continue;
      }
      const lh = read(fd, lho, 30);
      if (lh.length < 30 || lh.readUInt32LE(0) !== 0x04034b50) throw new FormatError(file, `byte ${lho}`, "a local file header", "bad signature or truncated");
      const dataOff = lho + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
      if (dataOff + csize > size) throw new FormatError(file, `byte ${dataOff}`, `${csize} B of entry '${name}'`, "truncated");
      const raw = read(fd, dataOff, csize);
      let data: Buffer;
      if (method === 0) data = raw;
      else if (method === 8) {
        try {
          data = inflateRawSync(raw, { maxOutputLength: Math.max(usize, 1) });
        } catch (e) {
          throw new FormatError(file, `byte ${dataOff}`, `a deflate stream for '${name}'`, (e as Error).message);
        }
      } else throw new FormatError(file, `byte ${lho + 8}`, "compression method 0 (stored) or 8 (deflate)", `method ${method}`);
      if (data.length !== usize) throw new FormatError(file, `entry '${name}'`, `${usize} B after decompression`, `got ${data.length}`);
      if (crc32(data) >>> 0 !== crc) throw new FormatError(file, `entry '${name}'`, `CRC-32 ${crc.toString(16)}`, `got ${(crc32(data) >>> 0).toString(16)}`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
      written++;
    }
    return written;
  } finally {
    closeSync(fd);
  }
}
