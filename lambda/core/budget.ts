import { sleep as realSleep, type Sleep } from './abort';
import { VendingError } from './errors';
import type { Clock } from './ports';

export interface CallBudgetOptions {
  /** Calls allowed per key in any one-second window, as the upstream counts them (on arrival). */
  readonly perSecond: number;
  /** Longest a caller waits for a slot before getting 429 Throttled. */
  readonly maxWaitMs: number;
  readonly clock: Clock;
  readonly sleep?: Sleep;
}

/** Ends a budgeted call; its slot stays taken for one second after this. */
export type Release = () => void;

/** How often a waiter looks again while every slot is held by a call still in flight. */
const IN_FLIGHT_POLL_MS = 20;

/**
 * At most `perSecond` upstream calls per key (channel) in any one-second window, as the upstream
 * sees them. A slot is held while its call is in flight and for one second after it ends: the
 * upstream counts a call when it arrives, which is somewhere between sending and the answer, so
 * stamping slots at send time lets calls that were slow to arrive bunch up with the next ones
 * (the burst benchmark saw 8 in a second). Also not a token bucket: a bucket refilling at 5/s lets
 * 10 calls into one second, and KVS's 5 TPS per channel is a hard limit.
 */
export class CallBudget {
  /** Per key, when each slot frees up (epoch ms); Infinity while its call is in flight. */
  private readonly slots = new Map<string, number[]>();
  private readonly sleep: Sleep;

  constructor(private readonly options: CallBudgetOptions) {
    this.sleep = options.sleep ?? realSleep;
  }

  /**
   * Takes a slot for one upstream call on `key` (a channel ARN), waiting up to `maxWaitMs` for
   * one to free up; the caller must call the returned `Release` when the call ends. Throws
   * `VendingError` 429 `Throttled` with `retryAfterSeconds` (when the next slot frees, at least
   * 1 s) when none frees in time; rejects with the signal's reason when it aborts while waiting.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<Release> {
    const { clock, perSecond, maxWaitMs } = this.options;
    const giveUpAt = clock() + maxWaitMs;
    for (;;) {
      const now = clock();
      const held = this.held(key, now);
      if (held.length < perSecond) return this.take(key, held);
      // While every slot's call is in flight, its slot's end is unknown: look again shortly.
      const freeAt = Math.min(...held);
      const nextLook = Number.isFinite(freeAt) ? freeAt : now + IN_FLIGHT_POLL_MS;
      if (nextLook > giveUpAt) {
        const retryAfterMs = Number.isFinite(freeAt) ? freeAt - now : 1000;
        throw new VendingError('Throttled', 'too many requests for this channel, retry shortly', {
          retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
        });
      }
      await this.sleep(nextLook - now, signal);
    }
  }

  private take(key: string, held: number[]): Release {
    held.push(Number.POSITIVE_INFINITY);
    this.slots.set(key, held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Slots in flight are alike: turn any one of them into "free one second from now".
      const slots = this.slots.get(key) ?? [];
      const inFlight = slots.indexOf(Number.POSITIVE_INFINITY);
      if (inFlight >= 0) slots[inFlight] = this.options.clock() + 1000;
    };
  }

  /** Slots of `key` still held at `now`; keys with none are dropped, so the map stays small. */
  private held(key: string, now: number): number[] {
    const held = (this.slots.get(key) ?? []).filter((freeAt) => freeAt > now);
    if (held.length === 0) this.slots.delete(key);
    return held;
  }
}
