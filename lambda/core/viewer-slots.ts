import { LRUCache } from 'lru-cache';
import { RETRY_SHARED_AFTER_MS, SharedStateUnavailable } from './budget';
import type { Metrics } from './metrics';
import type { Clock } from './ports';
import { growingBound } from './refreshing-cache';

/**
 * Which of a caller's viewer ClientIds on a channel its next connection takes. The viewer route
 * signs each connection with one of `slots` ClientIds per caller and channel (context
 * `viewerSlotsPerCaller`), handed out in turn, so the caller's next connection reuses the ClientId
 * of its least recently started one. KVS gives the newest connection with a ClientId precedence
 * over an older one (KVS WebRTC developer guide, `ConnectAsViewer`: "If there is an existing
 * connection with the same ClientId …, the new connection takes precedence"), so one caller holds
 * at most `slots` of a channel's viewer places, whichever function instances served it.
 */
export interface ViewerSlots {
  /**
   * The slot, from 0 to `slots - 1`, for the next viewer connection of the caller `pool` on
   * `channelArn`: each call takes the next one in turn. Never rejects for a store failure (an
   * implementation falls back to its own count); rejects with the request's abort reason.
   */
  next(channelArn: string, pool: string, slots: number, signal?: AbortSignal): Promise<number>;
}

/** Callers' counters an instance remembers; the least recently used are forgotten first. */
const REMEMBERED = 10_000;

/**
 * Slots counted by this instance alone: with one instance (a local run) the turn is exact; across
 * instances each keeps its own turn, which still never gives a caller more than `slots` ClientIds.
 */
export class InstanceViewerSlots implements ViewerSlots {
  private readonly counters = new LRUCache<string, number>(growingBound(REMEMBERED));

  async next(channelArn: string, pool: string, slots: number): Promise<number> {
    const key = `${channelArn}\n${pool}`;
    const count = this.counters.get(key) ?? 0;
    this.counters.set(key, count + 1);
    return count % slots;
  }
}

/**
 * Slots counted in the shared store, so that every instance takes its turn from the same count
 * (a caller's second connection never reuses the first one's ClientId because it reached another
 * instance); when the store fails (`SharedStateUnavailable`), the instance's own count, logged,
 * for `RETRY_SHARED_AFTER_MS` before the store is tried again (as the call budget does).
 */
export class FallbackViewerSlots implements ViewerSlots {
  private sharedDownUntil = 0;

  constructor(
    private readonly shared: ViewerSlots,
    private readonly fallback: ViewerSlots,
    private readonly metrics: Metrics,
    private readonly clock: Clock = Date.now,
  ) {}

  async next(channelArn: string, pool: string, slots: number, signal?: AbortSignal): Promise<number> {
    if (this.clock() >= this.sharedDownUntil) {
      try {
        return await this.shared.next(channelArn, pool, slots, signal);
      } catch (error) {
        if (!(error instanceof SharedStateUnavailable)) throw error;
        this.sharedDownUntil = this.clock() + RETRY_SHARED_AFTER_MS;
        this.metrics.warn?.('shared viewer turn unavailable, this instance counts it alone', {
          errorName: (error.cause as { name?: string } | undefined)?.name ?? error.name,
          retrySharedInMs: RETRY_SHARED_AFTER_MS,
        });
      }
    }
    return this.fallback.next(channelArn, pool, slots, signal);
  }
}
