/**
 * Kernel conformance on every available backend (jax-js's `suite.each(devices)`): the case table of cases.ts
 * run on each backend and compared with the ref oracle on the same inputs. Devices: wasm ("auto", the SIMD
 * variant for the kernels whose code differs, three threads with every call split), and WebGPU where an adapter
 * exists (Node: the `webgpu` package, lavapipe without a GPU; without an adapter it is a printed skip, except in
 * CI where it fails, see ../webgpu/helpers.ts). Plus the behaviour every backend shares: use after free and
 * double free are DisposedErrors, a copy within one buffer. Seed printed; EXODUS_SEED reproduces.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { DisposedError } from "../../src/errors.js";
import type { Backend, KernelName } from "../../src/kernels/contract.js";
import { RefBackend } from "../../src/kernels/ref/backend.js";
import { WasmBackend } from "../../src/kernels/wasm/backend.js";
import { backend as webgpuBackend } from "../webgpu/helpers.js";
import { type BackendKind, casesOf, compare, FAMILIES, garbage, tolFor } from "./cases.js";
import { runKernelAsync } from "./run-kernel.js";

const SEED = Number(process.env.EXODUS_SEED ?? Date.now() % 2147483647);

interface Device {
  name: string;
  kind: BackendKind;
  start: () => Promise<Backend | null>;
  /** Runs only the families whose code differs in this variant. */
  variantOnly?: boolean;
}

const wasm = (opts: ConstructorParameters<typeof WasmBackend>[0], minWork?: number) => async () => {
  const b = new WasmBackend(opts);
  // every call split however small, so each kernel's block cutting (rows, neuron columns with P ∈ {1, N, divisor},
  // broadcast periods) meets the ref
  if (minWork !== undefined) b.parallelMinWork = minWork;
  return b;
};

const DEVICES: Device[] = [
  { name: "wasm", kind: "wasm", start: wasm({ threads: 1 }) },
  { name: "wasm simd", kind: "wasm", start: wasm({ variant: "simd", threads: 1 }), variantOnly: true },
  { name: "wasm 3 threads", kind: "wasm", start: wasm({ threads: 3 }, 0) },
  { name: "webgpu", kind: "webgpu", start: webgpuBackend },
];

const ref = new RefBackend();
const started: Backend[] = [];
after(async () => {
  for (const b of started) if (b.name !== "webgpu") b.dispose(); // the shared webgpu backend: ../webgpu/helpers.ts
  (await webgpuBackend())?.dispose();
});

/** The ref outputs of each family, computed once and compared against every device. */
const refCache = new Map<string, Record<string, Float32Array>[]>();

for (const d of DEVICES) {
  test(`kernel conformance: ${d.name} vs ref (seed ${SEED}; rerun with EXODUS_SEED=${SEED})`, async (t) => {
    const be = await d.start();
    if (!be) {
      t.skip("no WebGPU adapter (outside CI; the reason is printed above)");
      return;
    }
    started.push(be);
    if (be instanceof WasmBackend) t.diagnostic(`variant ${be.variant}, ${be.threads} thread(s)`);
    for (const fam of FAMILIES) {
      if (d.variantOnly && !fam.variantSensitive) continue;
      await t.test(fam.name, async () => {
        const cases = casesOf(fam, SEED);
        const garbageOf = cases.map((c) => Object.fromEntries(Object.entries(c.outputs).map(([k, n]) => [k, garbage(n)])));
        let wants = refCache.get(fam.name);
        if (!wants) {
          wants = [];
          for (const [i, c] of cases.entries())
            wants.push((await runKernelAsync(ref, c.kernel, c.inputs, garbageOf[i]!, c.attrs)) as Record<string, Float32Array>);
          refCache.set(fam.name, wants);
        }
        // Force wasm's sparse kernels even at 50 % / 100 % density so they are tested, not skipped by the threshold.
        if (be instanceof WasmBackend) be.sparseDensityMax = fam.sparse ? 1.01 : undefined;
        const errors: string[] = [];
        try {
          for (const [i, c] of cases.entries()) {
            const gap = c.knownGapOn?.[d.kind];
            if (gap) {
              t.diagnostic(`not run on ${d.name} (known gap): ${c.name}: ${gap}`);
              continue;
            }
            const got = await runKernelAsync(be, c.kernel, c.inputs, garbageOf[i]!, c.attrs);
            for (const key of Object.keys(wants[i]!)) {
              const e = compare(`${c.name}: ${key}`, got[key]!, wants[i]![key]!, tolFor(c, d.kind, key));
              if (e) errors.push(e);
            }
          }
        } finally {
          if (be instanceof WasmBackend) be.sparseDensityMax = undefined;
        }
        assert.deepEqual(errors, [], `${errors.length} mismatches on ${d.name}`);
        const bad = fam.check?.(wants);
        assert.equal(bad, undefined, bad);
      });
    }
  });
}

test("the case table covers every kernel the ref backend implements", () => {
  const covered = new Set(FAMILIES.flatMap((f) => casesOf(f, SEED).map((c) => c.kernel)));
  const missing = Object.keys(ref.kernels).filter((k) => !covered.has(k as KernelName));
  assert.deepEqual(missing, [], "add rows for these kernels to test/kernels/cases.ts");
});

for (const d of [{ name: "ref", start: async () => new RefBackend() as Backend | null }, ...DEVICES.filter((x) => !x.variantOnly)]) {
  test(`${d.name}: use after free and double free are DisposedErrors naming the buffer; copy within one buffer`, async (t) => {
    const be = await d.start();
    if (!be) {
      t.skip("no WebGPU adapter (outside CI)");
      return;
    }
    if (be.name !== "webgpu") started.push(be);
    const b = be.alloc("float32", 3);
    be.free(b);
    const named = (e: unknown) => e instanceof DisposedError && e.message.includes(`#${b.id}`);
    assert.throws(() => be.free(b), named);
    await assert.rejects(async () => be.download(b), named);
    if (be.downloadSync) assert.throws(() => be.downloadSync!(b), named);
    assert.throws(() => be.upload(b, [1, 2, 3]), named);
    if (be.view) assert.throws(() => be.view!(b), named);
    // overlapping source and destination ranges in one buffer (the WebGPU backend goes through a temporary)
    const x = Float32Array.from({ length: 40 }, (_, i) => i * 0.5 - 3);
    const want = x.slice();
    want.set(x.subarray(2, 32), 5);
    const h = be.alloc("float32", 40);
    be.upload(h, x);
    be.kernels.copy!({ x: h, y: h }, { n: 30, srcOffset: 2, dstOffset: 5 });
    assert.deepEqual(Array.from(await be.download(h)), Array.from(want));
    be.free(h);
  });
}
