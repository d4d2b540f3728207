/**
 * webgpu backend behaviour beyond kernel values: float32 only, double free names the buffer, the pool's
 * memory stats, upload/download round trips, in-order execution with buffer reuse, kernels whose input is
 * also their output, and launches past 65535 workgroups (2-D dispatch).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ConfigError } from "../../src/errors.js";
import { backend, need, randn, rng } from "./helpers.js";

after(async () => (await backend())?.dispose());

test("float64 is a ConfigError; double free throws and names the buffer; memory stats", async (t) => {
  const b = await need(t);
  if (!b) return;
  assert.throws(() => b.alloc("float64", 4), ConfigError);
  const before = b.memoryStats();
  const h = b.alloc("float32", 1000);
  assert.equal(b.memoryStats().buffers, before.buffers + 1);
  assert.ok(b.memoryStats().bytesInUse >= before.bytesInUse + 4000);
  b.free(h);
  assert.throws(() => b.free(h), new RegExp(`#${h.id}`));
  assert.equal(b.memoryStats().bytesInUse, before.bytesInUse);
  assert.ok(b.memoryStats().bytesReserved >= before.bytesReserved + 4000, "freed blocks stay pooled");
});

test("upload/download round trip, zero-length buffers, call order with pooled reuse", async (t) => {
  const b = await need(t);
  if (!b) return;
  const x = randn(rng(1), 17);
  const h = b.alloc("float32", 17);
  b.upload(h, Array.from(x));
  assert.deepEqual(await b.download(h), x);
  const z = b.alloc("float32", 0);
  assert.equal((await b.download(z)).length, 0);
  b.free(z);
  // Kernel → free → realloc (same pooled block) → upload → kernel: each must see the right contents.
  const y = b.alloc("float32", 17);
  b.kernels.unary({ x: h, y }, { op: "scale", n: 17, p: 2 });
  b.free(h);
  const h2 = b.alloc("float32", 17);
  b.upload(h2, new Float32Array(17).fill(1));
  b.kernels.binary({ a: y, b: h2, y }, { op: "add", aShape: [17], bShape: [17], yShape: [17] });
  assert.deepEqual(await b.download(y), x.map((v) => 2 * v + 1));
  b.free(y);
  b.free(h2);
  await b.sync();
});

test("in-place kernels: input bound as output", async (t) => {
  const b = await need(t);
  if (!b) return;
  const x = randn(rng(2), 1023);
  const h = b.alloc("float32", 1023);
  b.upload(h, x);
  b.kernels.unary({ x: h, y: h }, { op: "neg", n: 1023 });
  b.kernels.binary({ a: h, b: h, y: h }, { op: "mul", aShape: [1023], bShape: [1023], yShape: [1023] });
  assert.deepEqual(await b.download(h), x.map((v) => Math.fround(v * v)));
  b.free(h);
});

test("more than 65535 workgroups: 2-D dispatch covers every element", async (t) => {
  const b = await need(t);
  if (!b) return;
  const n = 65535 * 256 + 1000; // 65539 workgroups of 256
  const h = b.alloc("float32", n);
  b.kernels.fill({ y: h }, { n, value: 0 });
  b.kernels.unary({ x: h, y: h }, { op: "addScalar", n, p: 3 });
  const s = b.alloc("float32", 1);
  b.kernels.reduce({ x: h, y: s }, { op: "sum", outer: 1, mid: n, inner: 1 });
  const y = await b.download(h);
  assert.equal(y[0], 3);
  assert.equal(y[n - 1], 3);
  assert.equal(Array.prototype.filter.call(y, (v: number) => v === 3).length, n);
  const sum = (await b.download(s))[0]!;
  assert.ok(Math.abs(sum - 3 * n) / (3 * n) < 1e-5, `sum ${sum}`);
  b.free(h);
  b.free(s);
});
