/**
 * Reverse-mode autograd: a node per recorded op (inputs, output count, vector–Jacobian product), a
 * topological backward pass, and noGrad(). Knows no specific op; tensor/ops/ records nodes. VJPs run
 * with recording off (no higher-order gradients).
 */
import { ConfigError } from "../errors.js";
import { createdSince, creationMark, isSoleOwner, keep } from "./memory.js";
import type { Tensor } from "./tensor.js";

/**
 * A gradient that repeats with period `base.size`: element i (flat, row-major) of the gradient of a tensor
 * of `shape` is base[i % base.size]. sum and mean over leading axes (a loss over all spikes, a rate read-out
 * over time) hand this back instead of writing the expanded tensor — 131 MB of ones for a [500, 16, 4096]
 * layer, written once and read once more by the neuron's backward. reshape keeps the pattern and lifScan
 * reads it in place (LifBackwardAttrs.gSP); every other VJP receives it materialised.
 */
export class RepeatedGrad {
  constructor(
    readonly base: Tensor,
    readonly shape: readonly number[],
  ) {}
  dispose(): void {
    this.base.dispose();
  }
}

export type Grad = Tensor | RepeatedGrad;

/** A VJP: output gradients (null where none arrived) to input gradients (null where not needed). */
export type Vjp = (gradOutputs: readonly (Tensor | null)[]) => readonly (Grad | null)[];
/** A VJP that also accepts RepeatedGrad output gradients (see recordRepeated). */
export type RepeatedVjp = (gradOutputs: readonly (Grad | null)[]) => readonly (Grad | null)[];

export interface Node {
  readonly id: number;
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputIds: number[];
  readonly vjp: Vjp | RepeatedVjp;
  /** Whether vjp takes RepeatedGrad output gradients as they are (else backward materialises them). */
  readonly takesRepeated: boolean;
}

let nextNodeId = 1;
let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording ops (inference, optimizer updates, VJPs). */
export function noGrad<R>(fn: () => R): R {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Records an op if any input needs a gradient. Marks outputs as requiring grad. */
export function record(name: string, inputs: readonly Tensor[], outputs: readonly Tensor[], vjp: Vjp): void {
  recordNode(name, inputs, outputs, vjp, false);
}

/** record() for an op whose VJP reads RepeatedGrad output gradients without materialising them. */
export function recordRepeated(name: string, inputs: readonly Tensor[], outputs: readonly Tensor[], vjp: RepeatedVjp): void {
  recordNode(name, inputs, outputs, vjp, true);
}

function recordNode(name: string, inputs: readonly Tensor[], outputs: readonly Tensor[], vjp: Vjp | RepeatedVjp, takesRepeated: boolean): void {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return;
  const node: Node = { id: nextNodeId++, name, inputs, outputIds: outputs.map((o) => o.id), vjp, takesRepeated };
  outputs.forEach((o, i) => {
    o.requiresGrad = true;
    o.node = node;
    o.outIndex = i;
  });
}

/**
 * Back-propagates from `root` (a scalar unless `grad` is given). Leaf tensors with requiresGrad receive
 * (accumulate into) `.grad`, which is kept out of step scopes.
 */
export interface GradOps {
  add(a: Tensor, b: Tensor): Tensor;
  onesLike(t: Tensor): Tensor;
  clone(t: Tensor): Tensor;
  /** The full tensor a RepeatedGrad stands for. */
  expand(g: RepeatedGrad): Tensor;
}

export function backward(root: Tensor, grad: Tensor | null, ops: GradOps): void {
  if (!root.requiresGrad) {
    throw new ConfigError("backward(): the tensor does not require grad (no parameter or input with requiresGrad fed into it); set requiresGrad on an input or use a model parameter");
  }
  // Topological order of nodes reachable from root.
  const order: Node[] = [];
  const seen = new Set<number>();
  const stack: [Node, number][] = [];
  if (root.node) stack.push([root.node, 0]);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i === 0 && seen.has(node.id)) {
      stack.pop();
      continue;
    }
    seen.add(node.id);
    if (i < node.inputs.length) {
      top[1]++;
      const inp = node.inputs[i]!;
      if (inp.node && !seen.has(inp.node.id)) stack.push([inp.node, 0]);
    } else {
      stack.pop();
      order.push(node);
    }
  }

  const mark = creationMark();
  noGrad(() => {
    const seed = grad ?? ops.onesLike(root);
    const grads = new Map<number, Grad>();
    let pending: readonly (Grad | null)[] = [];
    const waiting = (g: Grad): boolean => [...grads.values()].includes(g);
    // Made by this pass (not a forward or user tensor, not the seed). A RepeatedGrad always is: its base is
    // a fresh tensor object, at most a view of an upstream gradient.
    const ours = (g: Grad): boolean => g instanceof RepeatedGrad || (createdSince(mark, g) && g !== seed);
    // Safe to adopt as a leaf's .grad: ours, its memory not shared with a view, not waiting in `grads`, not
    // handed to another input.
    const owned = (g: Tensor): boolean =>
      ours(g) && isSoleOwner(g) && !waiting(g) && pending.filter((x) => x === g).length === 1;
    const full = (g: Grad): Tensor => (g instanceof RepeatedGrad ? ops.expand(g) : g);
    const accumulate = (t: Tensor, g: Grad) => {
      if (!t.requiresGrad) return;
      if (!t.node) {
        // leaf: persistent .grad
        const f = full(g);
        if (t.grad) {
          const s = keep(ops.add(t.grad, f));
          t.grad.dispose();
          t.grad = s;
          if (f !== g) f.dispose();
        } else if (f !== g || owned(f)) {
          // made by this backward pass and nothing else refers to it: adopt it (saves a full copy)
          t.grad = keep(f);
        } else {
          // a fresh copy, so the kept .grad never aliases a tensor owned by a scope or by the graph
          t.grad = keep(ops.clone(f));
        }
        return;
      }
      const prev = grads.get(t.id);
      if (!prev) {
        grads.set(t.id, g);
        return;
      }
      const a = full(prev), b = full(g);
      grads.set(t.id, ops.add(a, b));
      if (a !== prev) a.dispose();
      if (b !== g) b.dispose();
      if (prev instanceof RepeatedGrad && !waiting(prev) && !pending.includes(prev)) prev.dispose();
    };
    if (!root.node) {
      accumulate(root, seed);
      return;
    }
    grads.set(root.id, seed);
    for (let k = order.length - 1; k >= 0; k--) {
      const node = order[k]!;
      const raw = node.outputIds.map((id) => grads.get(id) ?? null);
      if (raw.every((g) => g === null)) continue;
      const gOut = node.takesRepeated ? raw : raw.map((g) => g && full(g));
      const gIn = (node.vjp as RepeatedVjp)(gOut);
      pending = gIn;
      // The output gradients are consumed: release the ones this pass made (unless a VJP passed one through
      // or another output still waits on it). Keeps backward's peak memory near one layer's worth, and a
      // view handed on (reshape's VJP) becomes the sole owner of its memory, so a leaf can adopt it below.
      for (const id of node.outputIds) grads.delete(id);
      const release = (g: Grad | null): void => {
        if (g && ours(g) && !gIn.includes(g) && !waiting(g)) g.dispose();
      };
      raw.forEach((g, i) => {
        release(g);
        if (gOut[i] !== g) release(gOut[i]!);
      });
      node.inputs.forEach((inp, i) => {
        const g = gIn[i];
        if (g) accumulate(inp, g);
      });
      // A RepeatedGrad that went to a leaf (materialised there), and whatever went to inputs that need no
      // gradient (e.g. dv0 for a zero initial state): released now rather than at the end of the step scope.
      gIn.forEach((g, i) => {
        if (!g || waiting(g)) return;
        if (g instanceof RepeatedGrad) g.dispose();
        else if (!node.inputs[i]!.requiresGrad && ours(g) && !gIn.some((h, j) => h === g && node.inputs[j]!.requiresGrad)) g.dispose();
      });
    }
  });
}
