/**
 * Misuse of a tensor is a typed error naming the fix (README "Exit status"): reading a value that is not
 * one element, reading synchronously from a backend that cannot, and backward() on a tensor no parameter
 * fed into.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, ShapeError } from "../../src/errors.js";
import type { Buf, FArray } from "../../src/kernels/contract.js";
import { RefBackend } from "../../src/kernels/ref/backend.js";
import { setBackendSync } from "../../src/kernels/registry.js";
import { backward } from "../../src/tensor/grad.js";
import { tidy } from "../../src/tensor/memory.js";
import { mulScalar, sum, tensor } from "../../src/tensor/ops/index.js";

setBackendSync("ref");

test("item() on a tensor of more than one element is a ShapeError naming its shape", () => {
  tidy(() => {
    assert.throws(() => tensor([1, 2, 3]).item(), (e: unknown) => e instanceof ShapeError && /one-element.*\[3\]/.test(e.message));
    assert.equal(tensor([4]).item(), 4);
  });
});

test("dataSync() on a backend without synchronous reads is a ConfigError pointing to data()", async () => {
  // an asynchronous-only backend, like WebGPU: the ref backend without downloadSync
  class AsyncOnlyRef extends RefBackend {
    override async download(buf: Buf): Promise<FArray> {
      return this.view(buf).slice();
    }
  }
  const asyncOnly = new AsyncOnlyRef();
  Object.defineProperty(asyncOnly, "downloadSync", { value: undefined });
  const t = tensor([1, 2], [2], { backend: asyncOnly });
  assert.throws(() => t.dataSync(), (e: unknown) => e instanceof ConfigError && /await tensor\.data\(\)/.test(e.message));
  assert.deepEqual([...(await t.data())], [1, 2]);
  t.dispose();
});

test("backward() on a tensor that does not require grad is a ConfigError", () => {
  tidy(() => {
    const y = sum(mulScalar(tensor([1, 2]), 3));
    assert.throws(() => backward(y), (e: unknown) => e instanceof ConfigError && /requiresGrad/.test(e.message));
  });
});
