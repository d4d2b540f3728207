/** NIR interchange (docs/nir.md): toNIR writes a Sequential as a NIR file, fromNIR reads one back. */
export { toNIR, toNirGraph, type ToNIROptions } from "./export.js";
export { fromNIR, nirToModel, buildImported, readNIR, readNIRFile, type FromNIROptions, type NirImport } from "./import.js";
export { formatNirGraph } from "./inspect.js";
export { TARGETS, TARGET_NAMES, type TargetName, type TargetPreset, type Discretization } from "./targets.js";
export type { NirGraph, NirNode } from "./graph.js";
