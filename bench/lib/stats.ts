/** Small, dependency-free statistics for benchmark samples. */

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new Error('no samples');
  return [...values].sort((a, b) => a - b);
}

/** The `p`-th percentile (0-100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const ordered = sorted(values);
  const rank = Math.ceil((p / 100) * ordered.length);
  return ordered[Math.min(ordered.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  const ordered = sorted(values);
  const mid = Math.floor(ordered.length / 2);
  const upper = ordered[mid] ?? Number.NaN;
  return ordered.length % 2 === 1 ? upper : ((ordered[mid - 1] ?? upper) + upper) / 2;
}

/** The most timestamps (ms) that fall into any half-open window `[t, t + windowMs)`. */
export function peakInWindow(timestamps: readonly number[], windowMs: number): number {
  if (timestamps.length === 0) return 0;
  const ordered = sorted(timestamps);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < ordered.length; end++) {
    const last = ordered[end] ?? 0;
    while ((ordered[start] ?? last) <= last - windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/**
 * The shortest time (ms) spanned by `count` consecutive timestamps; Infinity when there are
 * fewer. At most `count - 1` per window of `windowMs` holds exactly when this is at least `windowMs`.
 */
export function tightestSpan(timestamps: readonly number[], count: number): number {
  const ordered = timestamps.length === 0 ? [] : sorted(timestamps);
  let tightest = Number.POSITIVE_INFINITY;
  for (let i = 0; i + count - 1 < ordered.length; i++) {
    tightest = Math.min(tightest, (ordered[i + count - 1] ?? 0) - (ordered[i] ?? 0));
  }
  return tightest;
}

/** How many times each key occurs. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const name = key(item);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** `value` rounded to `decimals` places. */
export function round(value: number, decimals = 1): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/** `figure / baseline` to two decimals; null when the baseline is zero (below the resolution). */
export function ratio(figure: number, baseline: number): number | null {
  return baseline === 0 ? null : round(figure / baseline, 2);
}
