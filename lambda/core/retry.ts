import { sleep as realSleep, type Sleep } from './abort';
import { asVendingError, VendingError } from './errors';
import type { Metrics } from './metrics';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Backoff base and cap in ms: the n-th retry waits random(0, min(cap, base * 2^n)) ("full jitter"). */
  readonly baseMs: number;
  readonly capMs: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
}

/** One request's budget for all upstream work, and the retries within it (lambda/config.ts owns the values). */
export interface UpstreamTuning {
  /** One request's budget for all upstream work, well under the Lambda timeout. */
  readonly deadlineMs: number;
  readonly retry: RetryPolicy;
}

/** The backoff of upstream retries: 100, 200, 400, 800, then at most 1000 ms, each scaled by a random draw. */
export const DEFAULT_BACKOFF = { baseMs: 100, capMs: 1000 } as const;

/** Errors worth another attempt: throttling, an outage, a timed-out attempt, a 5xx (`VendingError.retryable`). */
export const isRetryable = (error: unknown): boolean => error instanceof VendingError && error.retryable;

/**
 * Runs `attempt` (given its 0-based number) until it succeeds, fails with an error that is not
 * retryable, runs out of attempts, or the signal aborts; rejects with the last error. Sleeps
 * are abortable: an aborted signal rejects the wait with the signal's reason.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const random = policy.random ?? Math.random;
  const sleep = policy.sleep ?? realSleep;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n + 1 >= policy.attempts || !isRetryable(error) || signal?.aborted) throw error;
      await sleep(random() * Math.min(policy.capMs, policy.baseMs * 2 ** n), signal);
    }
  }
}

/** The answers that mean STS or KVS failed (metric `UpstreamErrors`); throttling has its own metric. */
const UPSTREAM_FAILURES: ReadonlySet<string> = new Set(['UpstreamError', 'Unavailable', 'UpstreamTimeout']);

/**
 * One upstream step of a (shared) cache load (`AssumeRole`, `GetSignalingChannelEndpoint`,
 * `GetIceServerConfig`): retried within its own deadline (`deadlineMs` from now, unless `signal`
 * is given), so a load that outlives the request that started it still ends, and a passed deadline
 * is a 504. A step that fails as a 502, 503 or 504 counts `UpstreamErrors`.
 */
export async function upstreamStep<T>(
  tuning: UpstreamTuning,
  metrics: Metrics,
  call: (signal: AbortSignal) => Promise<T>,
  signal = AbortSignal.timeout(tuning.deadlineMs),
): Promise<T> {
  try {
    return await withRetries(tuning.retry, () => call(signal), signal);
  } catch (error) {
    const failure = asVendingError(error, signal);
    if (failure instanceof VendingError && UPSTREAM_FAILURES.has(failure.code))
      metrics.add('UpstreamErrors', 'Count', 1);
    throw failure;
  }
}
