import { BrokerError } from './errors';
import type { Clock } from './ports';
import { sleep as realSleep, type Sleep } from './sleep';

export interface CallBudgetOptions {
  /** Calls allowed per key in any one-second window. */
  readonly perSecond: number;
  /** Longest a caller waits for a slot before getting 429 Throttled. */
  readonly maxWaitMs: number;
  readonly clock: Clock;
  readonly sleep?: Sleep;
}

/**
 * At most `perSecond` upstream calls per key (channel) in any sliding one-second window.
 * A sliding log rather than a token bucket: a bucket refilling at 5/s lets 10 calls into one
 * calendar second, and KVS's 5 TPS per channel is a hard limit.
 */
export class CallBudget {
  private readonly logs = new Map<string, number[]>();
  private readonly sleep: Sleep;

  constructor(private readonly options: CallBudgetOptions) {
    this.sleep = options.sleep ?? realSleep;
  }

  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    const { clock, perSecond, maxWaitMs } = this.options;
    const giveUpAt = clock() + maxWaitMs;
    for (;;) {
      const now = clock();
      const log = this.recent(key, now);
      if (log.length < perSecond) {
        log.push(now);
        this.logs.set(key, log);
        return;
      }
      const slotAt = (log[0] ?? now) + 1000;
      if (slotAt > giveUpAt) {
        throw new BrokerError('Throttled', 'too many requests for this channel, retry shortly', {
          retryAfterSeconds: Math.max(1, Math.ceil((slotAt - now) / 1000)),
        });
      }
      await this.sleep(slotAt - now, signal);
    }
  }

  /** Calls of the last second for `key`; keys with none are dropped, so the map stays small. */
  private recent(key: string, now: number): number[] {
    const log = (this.logs.get(key) ?? []).filter((at) => at > now - 1000);
    if (log.length === 0) this.logs.delete(key);
    return log;
  }
}
