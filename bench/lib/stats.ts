// Order statistics for latency samples and for figures repeated over runs.
// Every figure in BENCHMARKS.md is the median over runs with its min–max.

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly p25: number;
  readonly p75: number;
  readonly runs: number;
}

/** Nearest-rank percentile of an ascending array (q in [0, 1]). NaN when empty. */
export const percentileSorted = (sorted: readonly number[], q: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
};

export const ascending = (values: Iterable<number>): number[] => [...values].sort((a, b) => a - b);

export const percentile = (values: readonly number[], q: number): number => percentileSorted(ascending(values), q);

/** Median of an ascending array, averaging the middle two (the usual median over a few runs). */
const medianSorted = (sorted: readonly number[]): number => {
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? hi) + hi) / 2;
};

export const spreadOf = (values: readonly number[]): Spread => {
  const finite = ascending(values.filter((v) => Number.isFinite(v)));
  return {
    median: medianSorted(finite),
    min: finite[0] ?? Number.NaN,
    max: finite[finite.length - 1] ?? Number.NaN,
    p25: percentileSorted(finite, 0.25),
    p75: percentileSorted(finite, 0.75),
    runs: finite.length,
  };
};

export interface LatencySummary {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export const latencySummary = (samples: readonly number[]): LatencySummary => {
  const sorted = ascending(samples);
  return {
    samples: sorted.length,
    p50: percentileSorted(sorted, 0.5),
    p99: percentileSorted(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
};

/** Ratio of two medians; NaN when either side is missing so a table shows "n/a", never a made-up number. */
export const ratio = (a: number, b: number): number =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN;
