/** ref gemm: the obviously-correct triple loop (float64 accumulation), c (+)= alpha·op(a)·op(b). */
import type { ArrayKernels } from "../contract.js";

export const gemm: Pick<ArrayKernels, "gemm"> = {
  gemm({ a, b, c }, { m, n, k, transA, transB, accumulate, alpha }) {
    const s = alpha ?? 1;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[p * m + i]! : a[i * k + p]!;
          const bv = transB ? b[j * k + p]! : b[p * n + j]!;
          acc += av * bv;
        }
        const idx = i * n + j;
        c[idx] = accumulate ? c[idx]! + s * acc : s * acc;
      }
    }
  },
};
