import { sleep as realSleep, type Sleep } from './abort';
import { VendingError } from './errors';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Backoff base and cap in ms: the n-th retry waits random(0, min(cap, base * 2^n)) ("full jitter"). */
  readonly baseMs: number;
  readonly capMs: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
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
