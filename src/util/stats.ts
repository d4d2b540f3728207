/** Median of timing samples (the upper middle for an even count, as every bench has reported it). */
export function median(a: readonly number[]): number {
  return [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
}
