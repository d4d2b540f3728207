/** The complete ref kernel table over typed arrays. `tsc` fails here if a kernel of the contract is missing. */
import type { ArrayKernels } from "../contract.js";
import { conv } from "./conv2d.js";
import { elementwise } from "./elementwise.js";
import { gemm } from "./gemm.js";
import { lif } from "./lif.js";
import { optim } from "./optim.js";
import { reduce } from "./reduce.js";

export const refArrayKernels: ArrayKernels = { ...elementwise, ...reduce, ...gemm, ...conv, ...lif, ...optim };
