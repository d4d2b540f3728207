/**
 * Training tasks: each a thin adapter from a dataset to the trainer's Task interface, all listed in one table
 * (table.ts) with their defaults.
 */
export type { Split, Task, TaskOptions } from "./types.js";
export { TASK_TABLE, TASKS, EVENT_TASKS, createTask, taskEntry, type TaskDefaults, type TaskEntry, type TaskName } from "./table.js";
export { EventTask, parseFactor, type EventDefaults } from "./event-task.js";
export { MnistTask } from "./mnist.js";
export { NmnistSimTask } from "./nmnist-sim.js";
export { ToyTask } from "./toy.js";
export { FrameTask } from "./frames.js";
export { OrderBurstTask } from "./order-burst.js";
export { NmnistSimBinnedTask } from "./nmnist-sim-binned.js";
