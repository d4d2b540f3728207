/**
 * Public surface of the data package: readers/writers, transforms, encoders, datasets, loader,
 * cache, downloads, simulators and inspection. Nothing is defined here.
 */
export * from "./events.js";
export * from "./readers/nmnist.js";
export * from "./readers/aedat.js";
export * from "./readers/gesture-labels.js";
export * from "./readers/idx.js";
export * from "./readers/shd.js";
export { readH5Datasets, closeH5Reader, halfToFloat, type H5Read, type H5Dataset, type H5ReadOptions } from "./readers/hdf5.js";
export * from "./transforms/to-frame.js";
export * from "./transforms/spatial.js";
export * from "./transforms/temporal.js";
export * from "./encoders.js";
export * from "./loader.js";
export * from "./cache.js";
export * from "./datasets/types.js";
export * from "./datasets/nmnist.js";
export * from "./datasets/dvs-gesture.js";
export * from "./datasets/heidelberg.js";
export * from "./datasets/framed.js";
export * from "./fetch.js";
export * from "./zip.js";
export * from "./sim/mnist-digits.js";
export * from "./sim/nmnist-sim.js";
export * from "./sim/order-burst.js";
export * from "./inspect.js";
