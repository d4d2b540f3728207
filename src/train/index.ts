/**
 * The training library in one import (`exodus-snn/train`, or the `train` namespace of `exodus-snn`): losses,
 * optimizers, clipping, schedules, safetensors checkpoints, model configs and presets, the task table (MNIST,
 * N-MNIST, SHD, SSC, DVS Gesture, order-burst, …), the Trainer and fitSteps. The run plumbing of the command line
 * (run.ts: device selection, run directories, config from flags; feed.ts: worker batch feeds) is not public API:
 * cli/ and sweep/ import it by path.
 */
export { countCrossEntropy, maxOverTimeCrossEntropy, countMse, computeLoss, scoresOf, spikeCounts, LOSS_NAMES, type LossName, type LossSpec } from "./losses.js";
export { Optimizer, SGD, Adam, AdamW, type SgdOptions, type AdamOptions } from "./optim.js";
export { clipGradNorm, gradNorm } from "./clip.js";
export { lrAt, type Schedule, type CosineSchedule, type ConstantSchedule } from "./schedule.js";
export { encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors, type StTensor, type StDType } from "./safetensors.js";
export { stateDict, stateDictAsync, loadStateDict, saveCheckpoint, saveCheckpointAsync, loadCheckpoint, hasCheckpoint, saveModelWeights, saveModelWeightsAsync, type CheckpointState } from "./checkpoint.js";
export { buildModel, presetConfig, PRESETS, type ModelConfig, type LayerSpec, type PresetName } from "./models/presets.js";
export {
  createTask, taskEntry, TASK_TABLE, TASKS, EventTask, MnistTask, ToyTask, OrderBurstTask, NmnistSimBinnedTask, FrameTask,
  type Task, type TaskOptions, type Split, type TaskEntry, type TaskDefaults, type TaskName,
} from "./tasks/index.js";
export type { BatchFeed, BatchStream } from "./feed.js";
export { fitSteps, accuracyOf } from "./fit.js";
export type { Encoding } from "./tasks/mnist.js";
export { Trainer, type TrainConfig, type TrainerHooks, type EpochMetrics, type EvalResult, type TrainerState, type StepInfo, type Raster } from "./trainer.js";
