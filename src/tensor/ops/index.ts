/** All differentiable tensor ops, one import for layers, engines and users. */
export * from "./creation.js";
export * from "./elementwise.js";
export * from "./reduce.js";
export * from "./shape-ops.js";
export * from "./nn.js";
export * from "./neuron.js";
export * from "./inplace.js";
