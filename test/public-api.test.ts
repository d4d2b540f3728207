/**
 * The public face: the `train` namespace (and the `exodus-snn/train` subpath, the same module) holds the training
 * library, not the command line's run plumbing, which semver would otherwise freeze.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { train } from "../src/index.js";

test("train namespace: the library is there, the run plumbing is not", () => {
  for (const name of ["Trainer", "fitSteps", "accuracyOf", "createTask", "TASK_TABLE", "Adam", "SGD", "lrAt", "clipGradNorm",
    "countCrossEntropy", "saveCheckpoint", "loadCheckpoint", "saveSafetensors", "loadSafetensors", "buildModel", "PRESETS"])
    assert.ok(name in train, `train.${name} missing`);
  for (const name of ["selectDevice", "finishRun", "readRunConfig", "trainConfigFrom", "taskFor", "modelFor", "feedFor",
    "deriveSeed", "makeOptimizer", "readAll", "loadMnistSplit", "mnistRateEncode", "InlineFeed", "WorkerFeed", "writeFileAtomic"])
    assert.ok(!(name in train), `train.${name} is run plumbing, not public API`);
});
