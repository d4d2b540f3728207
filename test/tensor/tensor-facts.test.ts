/**
 * Facts a tensor carries for the code above it: `spikes` (which ops keep it, and that matmul/conv2d pick
 * the spike-sparse kernels from it), and the ownership answers memory.ts gives autograd.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { getBackend, setBackendSync } from "../../src/kernels/registry.js";
import { createdSince, creationMark, isSoleOwner, tidy } from "../../src/tensor/memory.js";
import { add, avgPool2d, conv2d, linear, matmul, mulScalar, permute, reshape, sumPool2d, tensor } from "../../src/tensor/ops/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";

setBackendSync("ref");

const spikes = (shape: number[]): Tensor => {
  const t = tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 5 === 0 ? 1 : 0)), shape);
  t.spikes = true;
  return t;
};

test("Tensor.spikes is kept by reshape and pooling, and by nothing that mixes values", () => {
  tidy(() => {
    const s = spikes([2, 3, 4, 4]);
    assert.equal(tensor([1, 2]).spikes, false);
    assert.equal(reshape(s, [6, 16]).spikes, true);
    assert.equal(sumPool2d(s, 2).spikes, true);
    assert.equal(avgPool2d(s, 2).spikes, true);
    assert.equal(mulScalar(s, 2).spikes, false);
    assert.equal(add(s, s).spikes, false);
    assert.equal(permute(s, [1, 0, 2, 3]).spikes, false);
    assert.equal(reshape(tensor([0, 1, 0, 0]), [2, 2]).spikes, false);
  });
});

test("matmul/linear/conv2d take the spike-sparse kernels when the input says spikes, unless told otherwise", () => {
  const k = getBackend("ref").kernels as { gemm: (io: unknown, at: { aSparse?: boolean }) => void; conv2d: (io: unknown, at: { xSparse?: boolean }) => void };
  const { gemm, conv2d: conv } = k;
  const seen: string[] = [];
  k.gemm = (io, at) => (seen.push(`gemm:${!!at.aSparse}`), gemm.call(k, io, at));
  k.conv2d = (io, at) => (seen.push(`conv2d:${!!at.xSparse}`), conv.call(k, io, at));
  try {
    tidy(() => {
      const w = tensor(new Array(12).fill(0.5), [3, 4]);
      linear(spikes([2, 4]), w);
      linear(tensor(new Array(8).fill(1), [2, 4]), w);
      linear(spikes([2, 4]), w, null, { aSparse: false });
      matmul(spikes([2, 4]), tensor(new Array(12).fill(1), [4, 3]));
      const f = tensor(new Array(2 * 2 * 3 * 3).fill(0.1), [2, 2, 3, 3]);
      conv2d(spikes([1, 2, 5, 5]), f);
      conv2d(spikes([1, 2, 5, 5]), f, null, { sparseInput: false });
    });
  } finally {
    Object.assign(k, { gemm, conv2d: conv });
  }
  assert.deepEqual(seen, ["gemm:true", "gemm:false", "gemm:false", "gemm:true", "conv2d:true", "conv2d:false"]);
});

test("memory.ts answers autograd's ownership questions: created since a mark, sole owner of its memory", () => {
  tidy(() => {
    const old = tensor([1, 2, 3, 4]);
    const mark = creationMark();
    const fresh = tensor([5, 6, 7, 8]);
    assert.equal(createdSince(mark, old), false);
    assert.equal(createdSince(mark, fresh), true);
    assert.equal(isSoleOwner(fresh), true);
    const view = reshape(fresh, [2, 2]); // shares fresh's memory
    assert.equal(isSoleOwner(fresh), false);
    assert.equal(isSoleOwner(view), false);
    view.dispose();
    assert.equal(isSoleOwner(fresh), true);
  });
});
