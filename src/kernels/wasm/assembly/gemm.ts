// GEMM for the wasm backend: c (+)= alpha·op(a)·op(b), packed and cache-blocked (GotoBLAS loop order) around
// a 4×8 register micro-tile, plus spike-sparse variants that skip zero entries of a (cost ∝ spikes).
// Larger tiles (5×8, 6×8) and 4 broadcast loads per step made V8 spill accumulators (measured 20–30 % slower).
// Called from ../kernels/gemm.ts and gemm-sparse.ts (gemm, conv2d via im2col). `scratch` is a JS-owned block of gemmScratchBytes().
import { fma } from "./simd";

const MR = 4;
const NR = 8;
const KC = 256;
const MC = 128; // A block MC×KC = 128 KiB: stays in L2
const NC = 2048; // B panel KC×NC = 2 MiB

/** Bytes of scratch gemm needs: packed B panel, packed A block, one edge tile. */
export function gemmScratchBytes(): usize {
  return <usize>(KC * NC + MC * KC + MR * NR) << 2;
}

// Packs rows ic..ic+mc, cols pc..pc+kc of op(a)·alpha into MR-row strips: ap[(strip·kc + p)·MR + r].
function packA(a: usize, rs: usize, cs: usize, ic: i32, mc: i32, pc: i32, kc: i32, alpha: f32, ap: usize): void {
  for (let s = 0; s < mc; s += MR) {
    const rows = min(MR, mc - s);
    let dst = ap + (<usize>(s * kc) << 2);
    if (rows == MR && cs == 1) {
      const r0 = a + ((<usize>(ic + s) * rs + <usize>pc) << 2);
      const rsb = rs << 2;
      for (let p = 0; p < kc; p++, dst += 16) {
        const o = <usize>p << 2;
        store<f32>(dst, load<f32>(r0 + o) * alpha);
        store<f32>(dst, load<f32>(r0 + rsb + o) * alpha, 4);
        store<f32>(dst, load<f32>(r0 + 2 * rsb + o) * alpha, 8);
        store<f32>(dst, load<f32>(r0 + 3 * rsb + o) * alpha, 12);
      }
    } else if (rows == MR && rs == 1) {
      // transA: the 4 rows of a strip are contiguous in memory
      const al = f32x4.splat(alpha);
      let src = a + ((<usize>pc * cs + <usize>(ic + s)) << 2);
      const csb = cs << 2;
      for (let p = 0; p < kc; p++, dst += 16, src += csb) v128.store(dst, f32x4.mul(v128.load(src), al));
    } else {
      for (let p = 0; p < kc; p++, dst += 16) {
        for (let r = 0; r < MR; r++) {
          const val: f32 = r < rows ? load<f32>(a + ((<usize>(ic + s + r) * rs + <usize>(pc + p) * cs) << 2)) * alpha : 0;
          store<f32>(dst + (<usize>r << 2), val);
        }
      }
    }
  }
}

// Packs rows pc..pc+kc, cols jc..jc+nc of op(b) into NR-column strips: bp[(strip·kc + p)·NR + c].
function packB(b: usize, rs: usize, cs: usize, pc: i32, kc: i32, jc: i32, nc: i32, bp: usize): void {
  for (let s = 0; s < nc; s += NR) {
    const cols = min(NR, nc - s);
    let dst = bp + (<usize>(s * kc) << 2);
    if (cols == NR && cs == 1) {
      let src = b + ((<usize>pc * rs + <usize>(jc + s)) << 2);
      const rsb = rs << 2;
      for (let p = 0; p < kc; p++, dst += 32, src += rsb) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      }
    } else {
      for (let c = 0; c < NR; c++) {
        let d = dst + (<usize>c << 2);
        if (c < cols) {
          let src = b + ((<usize>(jc + s + c) * cs + <usize>pc * rs) << 2);
          const rsb = rs << 2;
          for (let p = 0; p < kc; p++, d += 32, src += rsb) store<f32>(d, load<f32>(src));
        } else {
          for (let p = 0; p < kc; p++, d += 32) store<f32>(d, 0);
        }
      }
    }
  }
}

// 4×8 tile: out (+)= Σ_p ap[p]·bp[p]. ldo in bytes. add = 0 stores, 1 adds to out.
// @ts-ignore: decorator
@inline function micro(ap: usize, bp: usize, kc: i32, out: usize, ldo: usize, add: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let p = 0; p < kc; p++, ap += 16, bp += 32) {
    // One load of the 4 packed a values, lanes splatted by shuffles (scheduled next to their uses by V8,
    // unlike 4 broadcast loads which it hoists together and then spills accumulators for).
    const av = v128.load(ap);
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = v128.shuffle<f32>(av, av, 0, 0, 0, 0);
    c00 = fma(a, b0, c00); c01 = fma(a, b1, c01);
    a = v128.shuffle<f32>(av, av, 1, 1, 1, 1);
    c10 = fma(a, b0, c10); c11 = fma(a, b1, c11);
    a = v128.shuffle<f32>(av, av, 2, 2, 2, 2);
    c20 = fma(a, b0, c20); c21 = fma(a, b1, c21);
    a = v128.shuffle<f32>(av, av, 3, 3, 3, 3);
    c30 = fma(a, b0, c30); c31 = fma(a, b1, c31);
  }
  if (add) {
    c00 = f32x4.add(c00, v128.load(out)); c01 = f32x4.add(c01, v128.load(out, 16));
    c10 = f32x4.add(c10, v128.load(out + ldo)); c11 = f32x4.add(c11, v128.load(out + ldo, 16));
    c20 = f32x4.add(c20, v128.load(out + 2 * ldo)); c21 = f32x4.add(c21, v128.load(out + 2 * ldo, 16));
    c30 = f32x4.add(c30, v128.load(out + 3 * ldo)); c31 = f32x4.add(c31, v128.load(out + 3 * ldo, 16));
  }
  v128.store(out, c00); v128.store(out, c01, 16);
  v128.store(out + ldo, c10); v128.store(out + ldo, c11, 16);
  v128.store(out + 2 * ldo, c20); v128.store(out + 2 * ldo, c21, 16);
  v128.store(out + 3 * ldo, c30); v128.store(out + 3 * ldo, c31, 16);
}

/**
 * Dense c[m,n] (+)= alpha·op(a)·op(b) on strided operands (element strides): op(a)[i,p] = a[i·rsA + p·csA],
 * op(b)[p,j] = b[p·rsB + j·csB], c[i,j] at c[i·ldc + j]. Strides let ../kernels/gemm.ts hand each thread a block of
 * rows or columns of one product (transposes are the stride swap).
 */
export function gemm(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, rsA: i32, csA: i32, rsB: i32, csB: i32,
  ldcE: i32, accumulate: i32, alpha: f32, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  const ldc = <usize>ldcE << 2;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldc, 0, <usize>n << 2);
    return;
  }
  const bp = scratch;
  const ap = scratch + (<usize>(KC * NC) << 2);
  const tile = ap + (<usize>(MC * KC) << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const add = accumulate != 0 || pc > 0;
      packB(b, <usize>rsB, <usize>csB, pc, kc, jc, nc, bp);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(a, <usize>rsA, <usize>csA, ic, mc, pc, kc, alpha, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bs = bp + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const as = ap + (<usize>(ir * kc) << 2);
            const cp = c + <usize>(ic + ir) * ldc + (<usize>(jc + jr) << 2);
            if (mr == MR && nr == NR) {
              if (add) micro(as, bs, kc, cp, ldc, true);
              else micro(as, bs, kc, cp, ldc, false);
            } else {
              micro(as, bs, kc, tile, 32, false);
              for (let r = 0; r < mr; r++) {
                for (let q = 0; q < nr; q++) {
                  const dst = cp + (<usize>r * ldc) + (<usize>q << 2);
                  const val = load<f32>(tile + (<usize>(r * NR + q) << 2));
                  store<f32>(dst, add ? load<f32>(dst) + val : val);
                }
              }
            }
          }
        }
      }
    }
  }
}

/** Number of nonzero entries of x[0..len): the density test for the sparse path. */
export function countNonzero(x: usize, len: i32): i32 {
  let cnt = i32x4.splat(0);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) cnt = i32x4.sub(cnt, f32x4.ne(v128.load(x + (<usize>i << 2)), zero));
  let total = i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3);
  for (; i < len; i++) if (load<f32>(x + (<usize>i << 2)) != 0) total++;
  return total;
}

/** countNonzero's result stored as an i32 at `out`: the form a worker thread can return. */
export function countNonzeroTo(x: usize, len: i32, out: usize): void {
  store<i32>(out, countNonzero(x, len));
}

// @ts-ignore: decorator
@inline function axpy1(crow: usize, brow: usize, n: i32, s: f32): void {
  const v = f32x4.splat(s);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(crow + o, fma(v, v128.load(brow + o), v128.load(crow + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(crow + o, load<f32>(crow + o) + s * load<f32>(brow + o));
  }
}

// out[0..w) += Σ_{e∈[e0,e1)} v_e·bs[off_e, 0..w): entries (byte offset of a row of b, alpha·value), six at
// a time (one load and store of out per 6 rows of b; 6 splats + 6 loads + 1 sum fit V8's xmm registers), then
// four, then one. Unrolling the column loop (2 or 4 vectors an iteration) measured no faster or (4) spilled.
// @ts-ignore: decorator
@inline function rowAxpy(e0: usize, e1: usize, bs: usize, out: usize, w: i32): void {
  const wv = <usize>(w & ~3) << 2, wb = <usize>w << 2;
  let e = e0;
  for (; e + 48 <= e1; e += 48) {
    const p0 = bs + <usize>load<u32>(e), p1 = bs + <usize>load<u32>(e, 8);
    const p2 = bs + <usize>load<u32>(e, 16), p3 = bs + <usize>load<u32>(e, 24);
    const p4 = bs + <usize>load<u32>(e, 32), p5 = bs + <usize>load<u32>(e, 40);
    const v0 = v128.load32_splat(e + 4), v1 = v128.load32_splat(e + 12);
    const v2 = v128.load32_splat(e + 20), v3 = v128.load32_splat(e + 28);
    const v4 = v128.load32_splat(e + 36), v5 = v128.load32_splat(e + 44);
    let o: usize = 0;
    for (; o < wv; o += 16) {
      let acc = v128.load(out + o);
      acc = fma(v0, v128.load(p0 + o), acc);
      acc = fma(v1, v128.load(p1 + o), acc);
      acc = fma(v2, v128.load(p2 + o), acc);
      acc = fma(v3, v128.load(p3 + o), acc);
      acc = fma(v4, v128.load(p4 + o), acc);
      acc = fma(v5, v128.load(p5 + o), acc);
      v128.store(out + o, acc);
    }
    for (; o < wb; o += 4) {
      store<f32>(out + o, load<f32>(out + o) + load<f32>(e + 4) * load<f32>(p0 + o) + load<f32>(e + 12) * load<f32>(p1 + o)
        + load<f32>(e + 20) * load<f32>(p2 + o) + load<f32>(e + 28) * load<f32>(p3 + o)
        + load<f32>(e + 36) * load<f32>(p4 + o) + load<f32>(e + 44) * load<f32>(p5 + o));
    }
  }
  if (e + 32 <= e1) {
    const p0 = bs + <usize>load<u32>(e), p1 = bs + <usize>load<u32>(e, 8);
    const p2 = bs + <usize>load<u32>(e, 16), p3 = bs + <usize>load<u32>(e, 24);
    const v0 = v128.load32_splat(e + 4), v1 = v128.load32_splat(e + 12);
    const v2 = v128.load32_splat(e + 20), v3 = v128.load32_splat(e + 28);
    let o: usize = 0;
    for (; o < wv; o += 16) {
      let acc = v128.load(out + o);
      acc = fma(v0, v128.load(p0 + o), acc);
      acc = fma(v1, v128.load(p1 + o), acc);
      acc = fma(v2, v128.load(p2 + o), acc);
      acc = fma(v3, v128.load(p3 + o), acc);
      v128.store(out + o, acc);
    }
    for (; o < wb; o += 4) {
      store<f32>(out + o, load<f32>(out + o) + load<f32>(e + 4) * load<f32>(p0 + o) + load<f32>(e + 12) * load<f32>(p1 + o)
        + load<f32>(e + 20) * load<f32>(p2 + o) + load<f32>(e + 28) * load<f32>(p3 + o));
    }
    e += 32;
  }
  for (; e < e1; e += 8) axpy1(out, bs + <usize>load<u32>(e), w, load<f32>(e + 4));
}

/**
 * Spike-sparse c[m,n] (+)= alpha·a·b for a [m,k] mostly zero (spikes or small counts), b [k,n] row-major: per
 * row of a, index its nonzeros as (byte offset of b's row, alpha·value) entries, then add those rows of b into
 * c's row (rowAxpy). The index is built with vector compares: below ~6 % nonzeros (judged by the previous
 * row) only nonzero lanes of each group of 4 are visited; above, "is this group all zero" mispredicts, so every
 * element is written at the cursor, which advances on nonzeros only (branch-free).
 * Measured on 8000×1024×1024 (b 4 MiB, beyond L2), 2 threads: column blocks of b sized for L2 were slower
 * (unpacked: 4 KiB-strided short rows; packed into 24-column strips summed in registers: FMA-latency bound at
 * 6 accumulators), so whole rows of b are streamed as before; the gain is in the index and the 6-row groups.
 * `scratch`: 8·k bytes.
 */
export function gemmSparseA(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, accumulate: i32, alpha: f32,
  scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  const ldb = <usize>n << 2;
  const ent = scratch;
  const zero = f32x4.splat(0);
  let dense = false;
  for (let i = 0; i < m; i++) {
    const arow = a + ((<usize>i * <usize>k) << 2);
    let e: usize = ent;
    let p = 0;
    if (dense) {
      for (; p < k; p++) {
        const v = load<f32>(arow + (<usize>p << 2));
        store<u32>(e, <u32>(<usize>p * ldb));
        store<f32>(e, v * alpha, 4);
        e += select<usize>(8, 0, v != 0);
      }
    } else {
      for (; p + 4 <= k; p += 4) {
        let mask = i32x4.bitmask(f32x4.ne(v128.load(arow + (<usize>p << 2)), zero));
        while (mask) {
          const pp = p + ctz(mask);
          mask &= mask - 1;
          store<u32>(e, <u32>(<usize>pp * ldb));
          store<f32>(e, load<f32>(arow + (<usize>pp << 2)) * alpha, 4);
          e += 8;
        }
      }
      for (; p < k; p++) {
        const v = load<f32>(arow + (<usize>p << 2));
        if (v != 0) { store<u32>(e, <u32>(<usize>p * ldb)); store<f32>(e, v * alpha, 4); e += 8; }
      }
    }
    dense = <i32>(e - ent) * 2 > k; // (e - ent)/8 nonzeros > k/16
    const out = c + <usize>i * ldb;
    if (!accumulate) memory.fill(out, 0, ldb);
    rowAxpy(ent, e, b, out, n);
  }
}

/** Columns of c per strip of gemmSparseAT: 6 v128 accumulators. V8 loads all of an entry's b vectors before
 * the FMAs, so 8 accumulators (or 7) ran out of xmm registers and spilled one: a loop-carried spill adds a
 * store-forward round trip, measured 11 cycles an entry instead of ~4 (the FMA latency bound). */
const SW = 24;

// out[0..SW) (+)= alpha·Σ_{q∈[q0,q1)} v_q·bp[row_q, 0..SW): the entries (byte offset of the packed b row, value)
// of one column of a, accumulated in registers; first: store instead of add.
// unit: every entry's value is 1 (binary spikes), so the products are plain adds: no splat register, and each
// accumulator's chain advances at the add's latency (3 cycles on Zen 4) instead of the FMA's (4), which bounds
// this loop (one op per accumulator per entry).
// @ts-ignore: decorator
@inline function gatherSW(ent: usize, q0: i32, q1: i32, bp: usize, out: usize, first: bool, al: v128, unit: bool): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  for (let e = ent + (<usize>q0 << 3), end = ent + (<usize>q1 << 3); e < end; e += 8) {
    const r = bp + <usize>load<u32>(e);
    if (unit) {
      c0 = f32x4.add(c0, v128.load(r)); c1 = f32x4.add(c1, v128.load(r, 16));
      c2 = f32x4.add(c2, v128.load(r, 32)); c3 = f32x4.add(c3, v128.load(r, 48));
      c4 = f32x4.add(c4, v128.load(r, 64)); c5 = f32x4.add(c5, v128.load(r, 80));
    } else {
      const v = v128.load32_splat(e + 4);
      c0 = fma(v, v128.load(r), c0); c1 = fma(v, v128.load(r, 16), c1);
      c2 = fma(v, v128.load(r, 32), c2); c3 = fma(v, v128.load(r, 48), c3);
      c4 = fma(v, v128.load(r, 64), c4); c5 = fma(v, v128.load(r, 80), c5);
    }
  }
  if (first) {
    v128.store(out, f32x4.mul(c0, al)); v128.store(out, f32x4.mul(c1, al), 16);
    v128.store(out, f32x4.mul(c2, al), 32); v128.store(out, f32x4.mul(c3, al), 48);
    v128.store(out, f32x4.mul(c4, al), 64); v128.store(out, f32x4.mul(c5, al), 80);
  } else {
    v128.store(out, fma(c0, al, v128.load(out))); v128.store(out, fma(c1, al, v128.load(out, 16)), 16);
    v128.store(out, fma(c2, al, v128.load(out, 32)), 32); v128.store(out, fma(c3, al, v128.load(out, 48)), 48);
    v128.store(out, fma(c4, al, v128.load(out, 64)), 64); v128.store(out, fma(c5, al, v128.load(out, 80)), 80);
  }
}

// kb = 0 form of gemmSparseAT: for each row p of a, every nonzero a[p,i] adds alpha·a[p,i]·b[p,:] to row i of c.
// Reads b once, in order, and needs no index, but streams a row of c per nonzero.
function scatterAT(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, alpha: f32, lda: i32): void {
  const ldb = <usize>n << 2;
  const zero = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const arow = a + ((<usize>p * <usize>lda) << 2);
    const brow = b + <usize>p * ldb;
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      let mask = i32x4.bitmask(f32x4.ne(v128.load(arow + (<usize>i << 2)), zero));
      while (mask) {
        const ii = i + ctz(mask);
        mask &= mask - 1;
        axpy1(c + <usize>ii * ldb, brow, n, load<f32>(arow + (<usize>ii << 2)) * alpha);
      }
    }
    for (; i < m; i++) {
      const av = load<f32>(arow + (<usize>i << 2));
      if (av != 0) axpy1(c + <usize>i * ldb, brow, n, av * alpha);
    }
  }
}

/**
 * Spike-sparse weight-gradient shape c[m,n] (+)= alpha·aᵀ·b with a stored [k,m] (spikes or small counts, row
 * stride lda ≥ m), b [k,n], c row stride n. kb = 0: scatterAT (no index; ../kernels/gemm-sparse.ts picks it at the lowest
 * densities). kb > 0: per block of kb rows of a, (1) count each column's nonzeros (vector compares), (2) lay
 * them out column by column as (byte offset of the packed b row, value) entries, then (3) for each SW-column
 * strip of c: pack the block's rows of b for that strip (kb×SW floats, contiguous: no 4 KiB-strided L1 sets or
 * TLB misses), and for each row i sum column i's entries times those packed rows in registers (gatherSW) and
 * write c[i, strip] once. c is written k/kb times instead of once per nonzero; the entries of a block
 * (../kernels/gemm-sparse.ts sizes kb so they are ≈ 128 KiB) and its packed strip stay in L2 across strips. The last strip
 * (n % SW columns) is packed with zero padding and gathered through `tail`.
 * `scratch`: 16·(m + 1) + 160 + 96·kb bytes plus 8 per nonzero of a block (column counts/cursors, one spare
 * entry per column, tail, packed strip, entries).
 */
export function gemmSparseAT(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, accumulate: i32, alpha: f32,
  lda: i32, kb: i32, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  const ldb = <usize>n << 2;
  if (k <= 0 || kb <= 0) {
    if (!accumulate) memory.fill(c, 0, <usize>m * ldb);
    if (k > 0) scatterAT(a, b, c, m, n, k, alpha, lda);
    return;
  }
  if (kb > k) kb = k;
  const lda4 = <usize>lda << 2;
  const start = scratch; // m+1 i32: first entry of each column in the block
  const pos = scratch + ((<usize>m + 1) << 2); // m i32: counts, then fill cursors, then one past each column's last entry
  const tail = (pos + (<usize>m << 2) + 63) & ~(<usize>63); // SW floats
  const pk = tail + (SW << 2); // kb×SW floats: b's strip of the block, packed
  const ent = pk + <usize>kb * (SW << 2);
  const zero = f32x4.splat(0);
  const al = f32x4.splat(alpha);
  for (let pc = 0; pc < k; pc += kb) {
    const pe = min(k, pc + kb);
    // pass 1: nonzeros per column of a (vector compare: lanes are −1 where a ≠ 0)
    memory.fill(pos, 0, <usize>m << 2);
    for (let p = pc; p < pe; p++) {
      const row = a + <usize>p * lda4;
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const o = <usize>i << 2;
        v128.store(pos + o, i32x4.sub(v128.load(pos + o), f32x4.ne(v128.load(row + o), zero)));
      }
      for (; i < m; i++) if (load<f32>(row + (<usize>i << 2)) != 0) store<i32>(pos + (<usize>i << 2), load<i32>(pos + (<usize>i << 2)) + 1);
    }
    // each column gets one spare slot past its entries: the branch-free pass below writes every element of a
    // at its column's cursor and only advances the cursor on a nonzero
    let run = 0;
    for (let i = 0; i < m; i++) {
      const cnt = load<i32>(pos + (<usize>i << 2));
      store<i32>(start + (<usize>i << 2), run);
      store<i32>(pos + (<usize>i << 2), run);
      run += cnt + 1;
    }
    // pass 2: entries (byte offset of b's packed row | value bits << 32), in row order within each column.
    // Above ~6 % nonzeros, "is this group of 4 all zero" is a coin flip (mispredicted branches cost more than
    // the stores they skip): write every element; below, skip zero groups and visit set lanes only.
    const dense = (run - m) * 16 > (pe - pc) * m;
    // whether every nonzero of the block is 1 (binary spikes: gatherSW adds instead of multiply-adding)
    let notUnit = f32x4.splat(0);
    const one = f32x4.splat(1);
    for (let p = pc; p < pe; p++) {
      const row = a + <usize>p * lda4;
      const boff = <u32>((p - pc) * (SW << 2));
      const bo = i32x4.splat(<i32>boff);
      let i = 0;
      if (dense) {
        for (; i + 4 <= m; i += 4) {
          const o = <usize>i << 2;
          const av = v128.load(row + o), qv = v128.load(pos + o);
          notUnit = v128.or(notUnit, v128.and(f32x4.ne(av, zero), f32x4.ne(av, one)));
          const lo = v128.shuffle<i32>(bo, av, 0, 4, 0, 5), hi = v128.shuffle<i32>(bo, av, 0, 6, 0, 7);
          store<i64>(ent + (<usize>i32x4.extract_lane(qv, 0) << 3), i64x2.extract_lane(lo, 0));
          store<i64>(ent + (<usize>i32x4.extract_lane(qv, 1) << 3), i64x2.extract_lane(lo, 1));
          store<i64>(ent + (<usize>i32x4.extract_lane(qv, 2) << 3), i64x2.extract_lane(hi, 0));
          store<i64>(ent + (<usize>i32x4.extract_lane(qv, 3) << 3), i64x2.extract_lane(hi, 1));
          v128.store(pos + o, i32x4.sub(qv, f32x4.ne(av, zero)));
        }
      } else {
        for (; i + 4 <= m; i += 4) {
          let mask = i32x4.bitmask(f32x4.ne(v128.load(row + (<usize>i << 2)), zero));
          while (mask) {
            const ii = i + ctz(mask);
            mask &= mask - 1;
            const pp = pos + (<usize>ii << 2);
            const q = load<i32>(pp);
            const e = ent + (<usize>q << 3);
            const val = load<f32>(row + (<usize>ii << 2));
            if (val != 1) notUnit = one;
            store<u32>(e, boff);
            store<f32>(e, val, 4);
            store<i32>(pp, q + 1);
          }
        }
      }
      for (; i < m; i++) {
        const v = load<f32>(row + (<usize>i << 2));
        if (v != 0) {
          if (v != 1) notUnit = one;
          const pp = pos + (<usize>i << 2);
          const q = load<i32>(pp);
          store<u32>(ent + (<usize>q << 3), boff);
          store<f32>(ent + (<usize>q << 3), v, 4);
          store<i32>(pp, q + 1);
        }
      }
    }
    // c[i, :] (+)= alpha·Σ entries of column i, strip by strip; the last strip (n % SW columns) is packed with
    // zero padding and gathered into `tail`, then its w columns copied out
    const unit = !v128.any_true(notUnit);
    const first = pc == 0 && !accumulate;
    for (let j = 0; j < n; j += SW) {
      const w = min(SW, n - j);
      let src = b + <usize>pc * ldb + (<usize>j << 2);
      const dend = pk + <usize>(pe - pc) * (SW << 2);
      if (w == SW) {
        for (let d = pk; d < dend; d += SW << 2, src += ldb) {
          v128.store(d, v128.load(src)); v128.store(d, v128.load(src, 16), 16);
          v128.store(d, v128.load(src, 32), 32); v128.store(d, v128.load(src, 48), 48);
          v128.store(d, v128.load(src, 64), 64); v128.store(d, v128.load(src, 80), 80);
        }
        for (let i = 0; i < m; i++) {
          const out = c + <usize>i * ldb + (<usize>j << 2);
          const q0 = load<i32>(start + (<usize>i << 2)), q1 = load<i32>(pos + (<usize>i << 2));
          if (unit) {
            if (first) gatherSW(ent, q0, q1, pk, out, true, al, true);
            else gatherSW(ent, q0, q1, pk, out, false, al, true);
          } else if (first) gatherSW(ent, q0, q1, pk, out, true, al, false);
          else gatherSW(ent, q0, q1, pk, out, false, al, false);
        }
      } else {
        for (let d = pk; d < dend; d += SW << 2, src += ldb) {
          for (let q = 0; q < SW; q++) store<f32>(d + (<usize>q << 2), q < w ? load<f32>(src + (<usize>q << 2)) : 0);
        }
        for (let i = 0; i < m; i++) {
          const out = c + <usize>i * ldb + (<usize>j << 2);
          gatherSW(ent, load<i32>(start + (<usize>i << 2)), load<i32>(pos + (<usize>i << 2)), pk, tail, true, al, false);
          for (let q = 0; q < w; q++) {
            const o = <usize>q << 2;
            store<f32>(out + o, first ? load<f32>(tail + o) : load<f32>(out + o) + load<f32>(tail + o));
          }
        }
      }
    }
  }
}

/** dst[c, r] = src[r, c] for each of `outer` [rows, cols] matrices of `inner`-float elements (permute). */
export function transposeBlocks(src: usize, dst: usize, outer: i32, rows: i32, cols: i32, inner: i32): void {
  const eb = <usize>inner << 2;
  const mat = <usize>rows * <usize>cols * eb;
  for (let o = 0; o < outer; o++) {
    const s0 = src + <usize>o * mat, d0 = dst + <usize>o * mat;
    if (inner == 1) {
      // 32×32 tiles (both sides stay in L1) of 4×4 register transposes; the ragged edges element by element
      const R4 = rows & ~3, C4 = cols & ~3;
      const rsb = <usize>cols << 2, csb = <usize>rows << 2;
      for (let rb = 0; rb < R4; rb += 32) {
        const re = min(R4, rb + 32);
        for (let cb = 0; cb < C4; cb += 32) {
          const ce = min(C4, cb + 32);
          for (let r = rb; r < re; r += 4) {
            const sp = s0 + ((<usize>r * <usize>cols) << 2);
            for (let c = cb; c < ce; c += 4) {
              const p = sp + (<usize>c << 2);
              const a = v128.load(p), b = v128.load(p + rsb), cc = v128.load(p + 2 * rsb), d = v128.load(p + 3 * rsb);
              const ab0 = i32x4.shuffle(a, b, 0, 4, 1, 5), ab1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
              const cd0 = i32x4.shuffle(cc, d, 0, 4, 1, 5), cd1 = i32x4.shuffle(cc, d, 2, 6, 3, 7);
              const q = d0 + ((<usize>c * <usize>rows + <usize>r) << 2);
              v128.store(q, i64x2.shuffle(ab0, cd0, 0, 2));
              v128.store(q + csb, i64x2.shuffle(ab0, cd0, 1, 3));
              v128.store(q + 2 * csb, i64x2.shuffle(ab1, cd1, 0, 2));
              v128.store(q + 3 * csb, i64x2.shuffle(ab1, cd1, 1, 3));
            }
          }
        }
      }
      for (let r = 0; r < rows; r++) {
        const c0 = r < R4 ? C4 : 0; // rows below R4 only lack their column tail
        for (let c = c0; c < cols; c++)
          store<f32>(d0 + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(s0 + ((<usize>r * <usize>cols + <usize>c) << 2)));
      }
    } else {
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++)
          memory.copy(d0 + (<usize>c * <usize>rows + <usize>r) * eb, s0 + (<usize>r * <usize>cols + <usize>c) * eb, eb);
    }
  }
}
