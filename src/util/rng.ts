/**
 * Seeded pseudo-random numbers. mulberry32 is documented and tiny, so generated data is byte-identical
 * on every machine (the simulators' seeds, docs/datasets.md "Simulators"). Not cryptographic.
 */

/** mulberry32: returns floats in [0, 1). Test vector: seed 1 → 0.6270739405881613, 0.002735721180215478. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded generator with the draws the library needs. */
export class Rng {
  private readonly next: () => number;
  private spare: number | null = null;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  /** Uniform in [0, 1). */
  random(): number {
    return this.next();
  }
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo) * this.next());
  }
  /** Standard normal (Box–Muller, caches the second value). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t as never;
    }
  }
  /** A fresh independent seed derived from this stream. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}
