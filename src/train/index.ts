/**
 * Training API in one import: losses, optimizers, clipping, schedules, safetensors checkpoints, model
 * configs and presets, the task table (MNIST, N-MNIST, SHD, SSC, DVS Gesture, order-burst, …), batch feeds, the
 * Trainer and fitSteps, and the run helpers the CLI uses.
 */
export { countCrossEntropy, maxOverTimeCrossEntropy, countMse, computeLoss, scoresOf, spikeCounts, LOSS_NAMES, type LossName, type LossSpec } from "./losses.js";
export { Optimizer, SGD, Adam, AdamW, type SgdOptions, type AdamOptions } from "./optim.js";
export { clipGradNorm, gradNorm } from "./clip.js";
export { lrAt, type Schedule, type CosineSchedule, type ConstantSchedule } from "./schedule.js";
export { encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors, type StTensor, type StDType } from "./safetensors.js";
export { writeFileAtomic } from "../util/write-file-atomic.js";
export { stateDict, stateDictAsync, loadStateDict, saveCheckpoint, saveCheckpointAsync, loadCheckpoint, hasCheckpoint, saveModelWeights, saveModelWeightsAsync, type CheckpointState } from "./checkpoint.js";
export { buildModel, presetConfig, PRESETS, type ModelConfig, type LayerSpec, type PresetName } from "./models/presets.js";
export {
  createTask, taskEntry, TASK_TABLE, TASKS, EventTask, MnistTask, ToyTask, OrderBurstTask, NmnistSimBinnedTask, FrameTask,
  type Task, type TaskOptions, type Split, type TaskEntry, type TaskDefaults, type TaskName,
} from "./tasks/index.js";
export { InlineFeed, WorkerFeed, type BatchFeed, type BatchStream } from "./feed.js";
export { fitSteps, accuracyOf } from "./fit.js";
export { loadMnistSplit, rateEncode as mnistRateEncode, latencyEncode as mnistLatencyEncode, type Encoding } from "./tasks/mnist.js";
export { Trainer, deriveSeed, makeOptimizer, readAll, type TrainConfig, type EpochMetrics, type EvalResult, type TrainerState, type StepInfo, type Raster } from "./trainer.js";
export { selectDevice, finishRun, readRunConfig, trainConfigFrom, taskFor, modelFor, feedFor, type FinalResult, type RunOptions } from "./run.js";
