/**
 * Reverse-mode autograd: a node per recorded op (inputs, output count, vector–Jacobian product), a
 * topological backward pass, and noGrad(). Knows no specific op; tensor/ops.ts records nodes. VJPs run
 * with recording off (no higher-order gradients).
 */
import { keep } from "./memory.js";
import { peekNextTensorId, type Tensor } from "./tensor.js";

export type Vjp = (gradOutputs: readonly (Tensor | null)[]) => readonly (Tensor | null)[];

export interface Node {
  readonly id: number;
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputIds: number[];
  readonly vjp: Vjp;
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
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return;
  const node: Node = { id: nextNodeId++, name, inputs, outputIds: outputs.map((o) => o.id), vjp };
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
}

export function backward(root: Tensor, grad: Tensor | null, ops: GradOps): void {
  if (!root.requiresGrad) {
    throw new Error("backward(): the tensor does not require grad (no parameter or input with requiresGrad fed into it)");
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

  const firstId = peekNextTensorId();
  noGrad(() => {
    const seed = grad ?? ops.onesLike(root);
    const grads = new Map<number, Tensor>();
    let pending: readonly (Tensor | null)[] = [];
    // Safe to adopt as a leaf's .grad: created during this pass (not a forward or user tensor), its
    // memory not shared with a view, not the seed, not waiting in `grads`, not handed to another input.
    const owned = (g: Tensor): boolean =>
      g.id >= firstId &&
      g !== seed &&
      g.storage.refs === 1 &&
      ![...grads.values()].includes(g) &&
      pending.filter((x) => x === g).length === 1;
    const accumulate = (t: Tensor, g: Tensor) => {
      if (!t.requiresGrad) return;
      if (!t.node) {
        // leaf: persistent .grad
        if (t.grad) {
          const s = keep(ops.add(t.grad, g));
          t.grad.dispose();
          t.grad = s;
        } else if (owned(g)) {
          // g was made by this backward pass and nothing else refers to it: adopt it (saves a full copy)
          t.grad = keep(g);
        } else {
          // a fresh copy, so the kept .grad never aliases a tensor owned by a scope or by the graph
          t.grad = keep(ops.clone(g));
        }
        return;
      }
      const prev = grads.get(t.id);
      grads.set(t.id, prev ? ops.add(prev, g) : g);
    };
    if (!root.node) {
      accumulate(root, seed);
      return;
    }
    grads.set(root.id, seed);
    for (let k = order.length - 1; k >= 0; k--) {
      const node = order[k]!;
      const gOut = node.outputIds.map((id) => grads.get(id) ?? null);
      if (gOut.every((g) => g === null)) continue;
      const gIn = node.vjp(gOut);
      pending = gIn;
      // The output gradients are consumed: release the ones this pass made (unless a VJP passed one through
      // or another output still waits on it). Keeps backward's peak memory near one layer's worth, and a
      // view handed on (reshape's VJP) becomes the sole owner of its memory, so a leaf can adopt it below.
      node.outputIds.forEach((id, i) => {
        const g = gOut[i];
        grads.delete(id);
        if (g && g.id >= firstId && g !== seed && !gIn.includes(g) && ![...grads.values()].includes(g)) g.dispose();
      });
      node.inputs.forEach((inp, i) => {
        const g = gIn[i];
        if (g) accumulate(inp, g);
      });
    }
  });
}

