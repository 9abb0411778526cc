import { describe, expect, it } from 'vitest';
import { median, peakInWindow, percentile, ratio, round, tightestSpan } from '../lib/stats';

describe('benchmark statistics', () => {
  it('takes the middle sample as the median of an odd count', () => {
    expect(median([30, 10, 20])).toBe(20);
  });

  it('averages the two middle samples as the median of an even count', () => {
    expect(median([40, 10, 30, 20])).toBe(25);
  });

  it('reads percentiles by nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);

    expect([percentile(samples, 50), percentile(samples, 99), percentile(samples, 100)]).toEqual([
      50, 99, 100,
    ]);
  });

  it('refuses to summarize no samples', () => {
    expect(() => median([])).toThrow('no samples');
  });

  it('counts calls exactly one second apart in different windows', () => {
    expect(peakInWindow([0, 200, 400, 600, 800, 1000], 1000)).toBe(5);
  });

  it('finds the busiest one-second window anywhere in the run', () => {
    const calls = [0, 1500, 1600, 1700, 1800, 1900, 2400, 2499, 3600];

    expect(peakInWindow(calls, 1000)).toBe(7);
  });

  it('reports how close six consecutive calls came to one second', () => {
    expect(tightestSpan([0, 100, 200, 300, 400, 970, 1100], 6)).toBe(970);
  });

  it('has no span when there are fewer calls than the span needs', () => {
    expect(tightestSpan([0, 100], 6)).toBe(Number.POSITIVE_INFINITY);
  });

  it('rounds figures to one decimal unless told otherwise', () => {
    expect([round(31.64), round(0.756, 2)]).toEqual([31.6, 0.76]);
  });

  it('has no ratio against a zero baseline', () => {
    expect([ratio(3, 4), ratio(1, 0)]).toEqual([0.75, null]);
  });
});
