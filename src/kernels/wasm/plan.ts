/**
 * Pure planning helpers of the wasm backend: which fast layout a broadcast fits, how a permute reduces to
 * one block transpose, how calls are cut into aligned blocks.
 */
/** ptr advanced by s floats, or 0 (an absent optional buffer) left as 0. */
export function off(ptr: number, s: number): number {
  return ptr ? ptr + 4 * s : 0;
}

/** Block alignment for elementwise kernels reading a parameter at i % P: a multiple of both P and 4. */
export function paramAlign(P: number): number {
  return P <= 1 ? 4 : (P * 4) / gcd(P, 4);
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function isPointwise(at: { kh: number; kw: number; strideH: number; strideW: number; padH: number; padW: number }): boolean {
  return at.kh === 1 && at.kw === 1 && at.strideH === 1 && at.strideW === 1 && at.padH === 0 && at.padW === 0;
}

/**
 * Which fast layout of assembly/elementwise.ts binary() fits these shapes, or null for general broadcasting
 * (ref fallback). Codes: 0 same, 1 b scalar, 2 a scalar, 3/4 b/a repeats over rows (trailing dims),
 * 5/6 b/a is a column (shape [..., R, 1] against [..., R, C]).
 */
export function binaryLayout(
  aLen: number, bLen: number, aShape: number[], bShape: number[], yShape: number[],
): { code: number; n: number; L: number; lb: number } | null {
  const n = yShape.reduce((s, d) => s * d, 1);
  if (n === 0) return { code: 0, n: 0, L: 1, lb: 1 };
  if (aLen === n && bLen === n) return { code: 0, n, L: 1, lb: 1 };
  if (aLen === n && bLen === 1) return { code: 1, n, L: 1, lb: 1 };
  if (aLen === 1 && bLen === n) return { code: 2, n, L: 1, lb: 1 };
  const side = (shape: number[]): { code: "row" | "col"; L: number } | null => {
    const r = yShape.length;
    const s = [...new Array<number>(r - shape.length).fill(1), ...shape];
    let i = 0;
    while (i < r && s[i] === 1) i++;
    // row: s = [1.., y[i..]]
    let row = true;
    for (let j = i; j < r; j++) if (s[j] !== yShape[j]) row = false;
    if (row) return { code: "row", L: yShape.slice(i).reduce((p, d) => p * d, 1) };
    // column: s = [1.., y[i..r-2], 1]
    if (r >= 2 && s[r - 1] === 1 && yShape[r - 1] !== 1) {
      let col = true;
      for (let j = i; j < r - 1; j++) if (s[j] !== yShape[j]) col = false;
      if (col) return { code: "col", L: yShape[r - 1]! };
    }
    return null;
  };
  if (aLen === n) {
    const b = side(bShape);
    if (b?.code === "row") return { code: 3, n, L: b.L, lb: bLen };
    if (b?.code === "col") return { code: 5, n, L: b.L, lb: bLen };
  }
  if (bLen === n) {
    const a = side(aShape);
    if (a?.code === "row") return { code: 4, n, L: a.L, lb: aLen };
    if (a?.code === "col") return { code: 6, n, L: a.L, lb: aLen };
  }
  return null;
}

/**
 * Reduces a permutation to [outer, rows, cols, inner] → [outer, cols, rows, inner] (one transposeBlocks
 * call) after dropping size-1 axes and merging axes that stay adjacent; null when it needs more than that.
 */
export function permutePlan(shape: number[], perm: number[]):
  { identity: boolean; outer: number; rows: number; cols: number; inner: number } | null {
  // Groups of input axes that stay consecutive (ignoring size-1 axes) in output order.
  const groups: { start: number; end: number; size: number }[] = [];
  for (const ax of perm) {
    if (shape[ax] === 1) continue;
    const last = groups[groups.length - 1];
    if (last && prevNonUnit(shape, ax) === last.end) {
      last.end = ax;
      last.size *= shape[ax]!;
    } else {
      groups.push({ start: ax, end: ax, size: shape[ax]! });
    }
  }
  const G = groups.length;
  const inputOrder = groups.map((_, i) => i).sort((x, y) => groups[x]!.start - groups[y]!.start);
  const sizes = inputOrder.map((i) => groups[i]!.size);
  const outPerm = new Array<number>(G);
  inputOrder.forEach((gi, j) => (outPerm[gi] = j));
  if (outPerm.every((v, i) => v === i)) return { identity: true, outer: 1, rows: 1, cols: 1, inner: 1 };
  const is = (p: number[]): boolean => p.length === G && p.every((v, i) => v === outPerm[i]);
  if (is([1, 0])) return { identity: false, outer: 1, rows: sizes[0]!, cols: sizes[1]!, inner: 1 };
  if (is([0, 2, 1])) return { identity: false, outer: sizes[0]!, rows: sizes[1]!, cols: sizes[2]!, inner: 1 };
  if (is([1, 0, 2])) return { identity: false, outer: 1, rows: sizes[0]!, cols: sizes[1]!, inner: sizes[2]! };
  if (is([0, 2, 1, 3])) return { identity: false, outer: sizes[0]!, rows: sizes[1]!, cols: sizes[2]!, inner: sizes[3]! };
  return null;
}

/** The nearest input axis before ax whose size is not 1 (−1 if none). */
function prevNonUnit(shape: number[], ax: number): number {
  for (let i = ax - 1; i >= 0; i--) if (shape[i] !== 1) return i;
  return -1;
}
