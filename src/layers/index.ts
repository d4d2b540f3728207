/** Layers: the Module base plus the synaptic, pooling, shape and regularisation modules. */
export { Module } from "./module.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Conv2d, type Conv2dOptions, type Pair } from "./conv2d.js";
export { SumPool2d, AvgPool2d } from "./pool.js";
export { Flatten } from "./flatten.js";
export { Dropout } from "./dropout.js";
export { Sequential } from "./sequential.js";
export { pytorchUniform, type InitOptions } from "./init.js";
export { weightFromNorm, initialGain } from "./weight-norm.js";
