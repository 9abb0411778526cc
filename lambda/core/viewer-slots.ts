import { LRUCache } from 'lru-cache';
import { RETRY_SHARED_AFTER_MS, SharedStateUnavailable } from './budget';
import { VendingError } from './errors';
import type { Metrics } from './metrics';
import type { Clock } from './ports';
import { growingBound } from './refreshing-cache';

/** The viewer ClientId of slot `slot` of the caller `pool`: `<pool>.v<slot>` (KVS's ClientId shape). */
export const viewerClientId = (pool: string, slot: number): string => `${pool}.v${slot}`;

/**
 * The slot of `clientId` if it is one of the caller `pool`'s viewer ClientIds
 * ({@link viewerClientId}, written without leading zeros), else undefined.
 */
export function viewerSlotOf(pool: string, clientId: string): number | undefined {
  const prefix = `${pool}.v`;
  const slot = clientId.startsWith(prefix) ? clientId.slice(prefix.length) : '';
  return /^(0|[1-9]\d?)$/.test(slot) ? Number(slot) : undefined;
}

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
  /**
   * Whether {@link next} has handed out `slot` to the caller `pool` on `channelArn` (within the
   * count's lifetime: an hour after the caller's last viewer answer on the channel, longer than any
   * signaling connection). Rejects with `SharedStateUnavailable` when a shared store cannot say
   * (callers decide), or with the request's abort reason.
   */
  issued(channelArn: string, pool: string, slot: number, signal?: AbortSignal): Promise<boolean>;
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

  /** Slots are handed out from 0 in turn: `slot` was handed out once the count passed it (forgotten with the counter). */
  async issued(channelArn: string, pool: string, slot: number): Promise<boolean> {
    return slot < (this.counters.get(`${channelArn}\n${pool}`) ?? 0);
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
    const shared = await this.fromShared(() => this.shared.next(channelArn, pool, slots, signal));
    return shared ?? this.fallback.next(channelArn, pool, slots, signal);
  }

  /**
   * Handed out by this instance while the store was down, or as the store says. When the store
   * cannot say and this instance did not hand it out, rejects with 503 `Unavailable` (fail closed:
   * a ClientId is never taken as issued on a guess, nor refused as another caller's).
   */
  async issued(channelArn: string, pool: string, slot: number, signal?: AbortSignal): Promise<boolean> {
    if (await this.fallback.issued(channelArn, pool, slot, signal)) return true;
    const shared = await this.fromShared(() => this.shared.issued(channelArn, pool, slot, signal));
    if (shared !== undefined) return shared;
    throw new VendingError(
      'Unavailable',
      'the viewer ClientIds issued to you cannot be looked up right now; retry after the Retry-After delay',
      { retryAfterSeconds: Math.ceil(RETRY_SHARED_AFTER_MS / 1000) },
    );
  }

  /**
   * `call` of the shared store, or undefined when the store is left alone after a failure, or
   * fails now (`SharedStateUnavailable`: logged, and left alone for `RETRY_SHARED_AFTER_MS`).
   */
  private async fromShared<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (this.clock() < this.sharedDownUntil) return undefined;
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof SharedStateUnavailable)) throw error;
      this.sharedDownUntil = this.clock() + RETRY_SHARED_AFTER_MS;
      this.metrics.warn?.('shared viewer turn unavailable, this instance counts it alone', {
        errorName: (error.cause as { name?: string } | undefined)?.name ?? error.name,
        retrySharedInMs: RETRY_SHARED_AFTER_MS,
      });
      return undefined;
    }
  }
}
