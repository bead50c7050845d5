import { describe, expect, it } from 'vitest';
import { latencySummary, percentileSorted, ratio, spreadOf } from '../lib/stats.ts';

describe('percentiles', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('uses the nearest rank, so p99 of 1..100 is 99 and p100 is the max', () => {
    expect(percentileSorted(hundred, 0.5)).toBe(50);
    expect(percentileSorted(hundred, 0.99)).toBe(99);
    expect(percentileSorted(hundred, 1)).toBe(100);
    expect(percentileSorted(hundred, 0)).toBe(1);
  });

  it('is NaN for no samples rather than a made-up zero', () => {
    expect(percentileSorted([], 0.5)).toBeNaN();
    expect(latencySummary([]).p99).toBeNaN();
  });

  it('summarizes unsorted latencies', () => {
    const s = latencySummary([5, 1, 4, 2, 3]);
    expect(s).toEqual({ samples: 5, p50: 3, p99: 5, max: 5 });
  });
});

describe('spread over runs', () => {
  it('averages the middle two of an even number of runs', () => {
    expect(spreadOf([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('drops runs that produced no figure and says how many counted', () => {
    const s = spreadOf([Number.NaN, 2, 6, Number.POSITIVE_INFINITY]);
    expect(s).toMatchObject({ median: 4, min: 2, max: 6, runs: 2 });
  });

  it('refuses a ratio against a missing or zero baseline', () => {
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
    expect(ratio(3, 2)).toBe(1.5);
  });
});
