import { BrokerError } from './errors';
import { sleep as realSleep, type Sleep } from './sleep';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Backoff base and cap in ms: the n-th retry waits random(0, min(cap, base * 2^n)) ("full jitter"). */
  readonly baseMs: number;
  readonly capMs: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
}

/** Errors worth another attempt: upstream throttling and a dependency that is briefly down. */
export const isRetryable = (error: unknown): boolean => error instanceof BrokerError && error.retryable;

/** Runs `attempt` until it succeeds, fails for good, runs out of attempts, or the signal aborts. */
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
