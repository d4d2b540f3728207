/**
 * Checkpoints: the safetensors bytes checked byte for byte against the format spec (expected bytes built
 * here from the spec with Buffer writes, not with the code under test), round trips of model weights and
 * optimizer state, rejection of damaged files, atomic writes leaving no temp files.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FormatError } from "../../src/errors.js";
import { setBackendSync } from "../../src/kernels/registry.js";
import { Linear } from "../../src/layers/linear.js";
import { Sequential } from "../../src/layers/sequential.js";
import { LIF } from "../../src/neurons/lif.js";
import { tensor } from "../../src/tensor/ops/index.js";
import { loadCheckpoint, saveCheckpoint } from "../../src/train/checkpoint.js";
import { Adam } from "../../src/train/optim.js";
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from "../../src/train/safetensors.js";
import { Rng } from "../../src/util/rng.js";

setBackendSync("ref");
const dir = mkdtempSync(join(tmpdir(), "exodus-ckpt-"));

test("safetensors bytes match the format spec exactly (header length, JSON, space padding, LE data)", () => {
  const bytes = encodeSafetensors(
    { "layer.weight": { dtype: "F32", shape: [2, 2], data: Float32Array.of(1, -2, 0.5, 3.25) }, bias: { dtype: "F64", shape: [1], data: Float64Array.of(-0.125) } },
    { format: "pt" },
  );
  // Spec: u64 LE header size N, then N bytes of JSON, then the byte buffer; tensors laid out in the order
  // of their offsets; the header may be padded with trailing spaces (we align the data to 8 bytes).
  const json = '{"__metadata__":{"format":"pt"},"bias":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"layer.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}';
  const padded = json + " ".repeat((8 - ((8 + json.length) % 8)) % 8);
  const want = Buffer.alloc(8 + padded.length + 24);
  want.writeBigUInt64LE(BigInt(padded.length), 0);
  want.write(padded, 8, "utf8");
  let p = 8 + padded.length;
  want.writeDoubleLE(-0.125, p);
  p += 8;
  for (const v of [1, -2, 0.5, 3.25]) {
    want.writeFloatLE(v, p);
    p += 4;
  }
  assert.equal((8 + padded.length) % 8, 0);
  assert.deepEqual(Buffer.from(bytes), want);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { format: "pt" });
  assert.deepEqual(Array.from(back.tensors.get("layer.weight")!.data), [1, -2, 0.5, 3.25]);
  assert.deepEqual(back.tensors.get("bias")!.shape, [1]);
});

test("damaged safetensors files are rejected with a FormatError naming the problem", () => {
  const good = encodeSafetensors({ a: { dtype: "F32", shape: [3], data: Float32Array.of(1, 2, 3) } });
  assert.throws(() => decodeSafetensors(good.subarray(0, good.length - 4), "t.safetensors"), FormatError);
  assert.throws(() => decodeSafetensors(good.subarray(0, 5), "t.safetensors"), FormatError);
  const bad = Uint8Array.from(good);
  bad[9] = 0x7b; // corrupt the JSON
  bad[10] = 0x7b;
  assert.throws(() => decodeSafetensors(bad, "t.safetensors"), FormatError);
  const extra = new Uint8Array(good.length + 4);
  extra.set(good);
  assert.throws(() => decodeSafetensors(extra, "t.safetensors"), /extra bytes/);
});

test("saveSafetensors is atomic: the file appears whole and no temp file is left", () => {
  const f = join(dir, "x.safetensors");
  saveSafetensors(f, { w: { dtype: "F32", shape: [2], data: Float32Array.of(7, 8) } });
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith("x.safetensors")), ["x.safetensors"]);
  assert.deepEqual(Array.from(loadSafetensors(f).tensors.get("w")!.data), [7, 8]);
});

function net(seed: number) {
  return new Sequential(new Linear(3, 4, { rng: new Rng(seed) }), new LIF({ tauMem: 5 }), new Linear(4, 2, { rng: new Rng(seed + 1) }));
}

test("checkpoint round trip restores weights, buffers and optimizer state exactly", () => {
  const a = net(1);
  const opt = new Adam(a.parameters(), { lr: 0.01 });
  for (const p of a.parameters()) p.grad = tensor(Array.from({ length: p.size }, (_, i) => (i % 3) - 1), p.shape);
  opt.step();
  opt.step();
  const ck = join(dir, "ck");
  saveCheckpoint(ck, a, opt, { epoch: 3, step: 2 });
  const b = net(99);
  const optB = new Adam(b.parameters(), { lr: 0.01 });
  const st = loadCheckpoint(ck, b, optB);
  assert.equal(st.epoch, 3);
  assert.equal(optB.stepCount, 2);
  const names = a.namedParameters().map(([n]) => n);
  assert.deepEqual(names, ["0.weight", "0.bias", "1.tauMem", "2.weight", "2.bias"]);
  a.namedParameters().forEach(([n, p], i) => assert.deepEqual(Array.from(b.parameters()[i]!.dataSync()), Array.from(p.dataSync()), n));
  opt.stateBuffers().forEach(([n, t], i) => assert.deepEqual(Array.from(optB.stateBuffers()[i]![1].dataSync()), Array.from(t.dataSync()), n));
  // the model file holds parameters and buffers under PyTorch-style names
  const m = loadSafetensors(join(ck, "model.safetensors"));
  assert.ok(m.tensors.has("1.spikeThreshold"));
  assert.equal(m.metadata["step"], "2");
});

test("a checkpoint whose files disagree (interrupted save) is refused", () => {
  const a = net(2);
  const ck = join(dir, "ck2");
  saveCheckpoint(ck, a, null, { epoch: 1, step: 10 });
  const s = JSON.parse(readFileSync(join(ck, "state.json"), "utf8"));
  s.step = 11;
  writeFileSync(join(ck, "state.json"), JSON.stringify(s));
  assert.throws(() => loadCheckpoint(ck, net(3), null), FormatError);
});
