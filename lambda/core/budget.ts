import type { Channel } from '../contract';
import { sleep as realSleep, type Sleep } from './abort';
import { VendingError } from './errors';
import type { Metrics } from './metrics';
import type { Clock } from './ports';

/** One upstream call that a {@link CallBudget} admits: `GetIceServerConfig`, or the KVS action its `quota` names. */
export interface BudgetRequest {
  /** The channel the call is for; its ARN names the account and Region whose quota it counts against. */
  readonly channel: Channel;
  /**
   * The caller the call is counted for (`GetIceServerConfig`: the caller it issues TURN
   * credentials for); undefined for anonymous callers (auth `none`), and for calls no caller's limit counts.
   */
  readonly clientId?: string;
  /**
   * The quota of the call's action when it is not `GetIceServerConfig` (whose limits are the
   * budget's own): its windows are apart from every other action's, and hold its limits.
   */
  readonly quota?: Quota;
}

/** The limits of one KVS action's quota, as a budget keeps its calls within them. */
export interface QuotaLimits {
  /** Calls per channel in any one second (`GetIceServerConfig`: KVS allows 5, hard). */
  readonly perChannelPerSecond: number;
  /** Calls per account and Region in any one second (`GetIceServerConfig`: KVS default 100, soft). */
  readonly perAccountPerSecond: number;
  /** Calls counted for one caller in any one minute (`GetIceServerConfig`: those that issue new TURN credentials). */
  readonly perCallerPerMinute: number;
}

/**
 * A KVS action with quotas of its own, which a {@link BudgetRequest} names so that one budget (the
 * shared one, or an instance's) keeps every action within its own limits: the action's windows
 * are keyed by its name, apart from `GetIceServerConfig`'s and every other action's.
 */
export interface Quota extends QuotaLimits {
  /** The KVS action (`JoinStorageSession`, …), the prefix of its windows' keys. */
  readonly action: string;
  /** What the caller did too often, as the caller window's 429 says it ("joined storage sessions as a viewer"). */
  readonly callerDid?: string;
}

/**
 * Ends a budgeted call; the call's slot stays taken for one second after this, because KVS counts
 * a call when it arrives. May write to a shared store (awaited, never rejects).
 */
export type Release = () => void | Promise<void>;

/**
 * Admits upstream `GetIceServerConfig` calls within KVS's quotas (per channel, per account and
 * Region) and the per-caller issuance limit, and the calls of other KVS actions within their own
 * quotas (a request's {@link Quota}). The port of the vending core; implementations are
 * per instance ({@link InstanceCallBudget}) or shared by every instance (lambda/aws/shared-budget.ts).
 */
export interface CallBudget {
  /**
   * Takes a slot for one call, waiting up to the budget's bound for one to free up; the caller
   * must await the returned {@link Release} when the call ends. Rejects with `VendingError` 429
   * `Throttled` with `retryAfterSeconds` (when the next slot frees, at least 1 s); with the
   * signal's reason when it aborts while waiting; with {@link SharedStateUnavailable} when a
   * shared budget cannot reach its store in time.
   */
  acquire(request: BudgetRequest, signal?: AbortSignal): Promise<Release>;
}

/**
 * The limits a budget enforces (lambda/config.ts owns the values): `GetIceServerConfig`'s, which
 * requests that name no {@link Quota} count against, and how long any request waits for a slot.
 */
export interface BudgetLimits extends QuotaLimits {
  /** Longest a request waits for a slot before it gets 429 Throttled. */
  readonly maxWaitMs: number;
}

/** A shared budget or cache could not reach its store in time (or at all): the caller degrades. */
export class SharedStateUnavailable extends Error {
  override readonly name = 'SharedStateUnavailable';
}

/** The three windows of a call, in the order they are checked: caller first, so a refused caller costs nothing else. */
export type WindowKind = 'caller' | 'channel' | 'account';

/** How long a slot of each window is held: KVS's quotas count per second, the caller limit per minute. */
export const WINDOW_MS: Readonly<Record<WindowKind, number>> = {
  caller: 60_000,
  channel: 1000,
  account: 1000,
};

/**
 * The window keys of one call: `kind|id`, where the account window is the channel ARN's
 * `arn:partition:kinesisvideo:region:account`; `<action>|kind|id` for a call of a {@link Quota}'s action.
 */
export function windowKeys(request: BudgetRequest): { kind: WindowKind; key: string }[] {
  const account = request.channel.arn.split(':').slice(0, 5).join(':');
  const action = request.quota ? `${request.quota.action}|` : '';
  return [
    ...(request.clientId !== undefined
      ? [{ kind: 'caller' as const, key: `${action}caller|${request.clientId}` }]
      : []),
    { kind: 'channel', key: `${action}channel|${request.channel.arn}` },
    { kind: 'account', key: `${action}account|${account}` },
  ];
}

/** The limits a call counts against: its action's quota, else the budget's own (`GetIceServerConfig`'s). */
export const limitsOf = (request: BudgetRequest, limits: BudgetLimits): QuotaLimits | Quota =>
  request.quota ?? limits;

/** The limit of a window kind. */
export const windowLimit = (limits: QuotaLimits, kind: WindowKind): number =>
  kind === 'caller'
    ? limits.perCallerPerMinute
    : kind === 'channel'
      ? limits.perChannelPerSecond
      : limits.perAccountPerSecond;

const MESSAGES: Readonly<Record<WindowKind, (limits: QuotaLimits | Quota) => string>> = {
  caller: (limits) =>
    `this caller ${('callerDid' in limits ? limits.callerDid : undefined) ?? 'asked for new TURN credentials'} too often (at most ${limits.perCallerPerMinute} per minute); retry after the Retry-After seconds`,
  channel: () => 'too many requests for this channel, retry shortly',
  account: () => 'too many new connections across all channels right now, retry shortly',
};

/** The 429 of a full window, with `Retry-After` when its next slot frees (at least 1 s). */
export function windowFull(
  kind: WindowKind,
  limits: QuotaLimits | Quota,
  retryAfterMs: number,
): VendingError {
  return new VendingError('Throttled', MESSAGES[kind](limits), {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });
}

/** How often a waiter looks again while every slot is held by a call still in flight. */
const IN_FLIGHT_POLL_MS = 20;

/**
 * Sliding windows in memory: per key, when each taken slot frees (epoch ms; Infinity while its
 * call is in flight). Keys with no slot held are dropped when looked at, and all of them every
 * {@link SWEEP_EVERY} takes, so that callers seen once do not stay.
 */
class Windows {
  private readonly slots = new Map<string, number[]>();
  private takes = 0;

  /** When the window of `key` has a free slot: undefined; else when its earliest slot frees. */
  fullUntil(key: string, limit: number, now: number): number | undefined {
    const held = this.held(key, now);
    return held.length < limit ? undefined : Math.min(...held);
  }

  take(key: string, until: number, now: number): void {
    if (++this.takes % SWEEP_EVERY === 0) for (const known of [...this.slots.keys()]) this.held(known, now);
    const held = this.held(key, now);
    held.push(until);
    this.slots.set(key, held);
  }

  /** Turns one in-flight slot of `key` into one that frees at `until`. */
  settle(key: string, until: number): void {
    const slots = this.slots.get(key) ?? [];
    const inFlight = slots.indexOf(Number.POSITIVE_INFINITY);
    if (inFlight >= 0) slots[inFlight] = until;
  }

  private held(key: string, now: number): number[] {
    const held = (this.slots.get(key) ?? []).filter((freeAt) => freeAt > now);
    if (held.length === 0) this.slots.delete(key);
    else this.slots.set(key, held);
    return held;
  }
}

const SWEEP_EVERY = 1000;

/**
 * The budget of one function instance, and the fallback of the shared one. At most
 * `perChannelPerSecond` calls per channel and `perAccountPerSecond` per account in any one-second
 * window as the upstream sees them, and `perCallerPerMinute` per caller in any minute. A channel
 * or account slot is held while its call is in flight and for one second after it ends: the
 * upstream counts a call when it arrives, which is somewhere between sending and the answer, so
 * stamping slots at send time lets calls that were slow to arrive bunch up with the next ones
 * (the burst benchmark saw 8 in a second). Also not a token bucket: a bucket refilling at 5/s lets
 * 10 calls into one second, and KVS's 5 TPS per channel is a hard limit.
 */
export class InstanceCallBudget implements CallBudget {
  private readonly windows = new Windows();
  private readonly sleep: Sleep;

  constructor(
    private readonly limits: BudgetLimits,
    private readonly clock: Clock,
    sleep?: Sleep,
  ) {
    this.sleep = sleep ?? realSleep;
  }

  async acquire(request: BudgetRequest, signal?: AbortSignal): Promise<Release> {
    const { clock } = this;
    const limits = limitsOf(request, this.limits);
    const keys = windowKeys(request);
    const giveUpAt = clock() + this.limits.maxWaitMs;
    for (;;) {
      const now = clock();
      // The window that frees last decides the wait: every window must have room at once.
      let blocking: { kind: WindowKind; freeAt: number } | undefined;
      for (const { kind, key } of keys) {
        const freeAt = this.windows.fullUntil(key, windowLimit(limits, kind), now);
        if (freeAt !== undefined && (blocking === undefined || freeAt > blocking.freeAt))
          blocking = { kind, freeAt };
      }
      if (blocking === undefined) return this.take(keys, now);
      // While every slot's call is in flight, its slot's end is unknown: look again shortly.
      const { kind, freeAt } = blocking;
      const nextLook = Number.isFinite(freeAt) ? freeAt : now + IN_FLIGHT_POLL_MS;
      if (nextLook > giveUpAt)
        throw windowFull(kind, limits, Number.isFinite(freeAt) ? freeAt - now : WINDOW_MS[kind]);
      await this.sleep(nextLook - now, signal);
    }
  }

  /**
   * Counts a call another budget admitted (the shared one) without waiting, so that this
   * instance's windows hold its recent calls if it has to take over.
   */
  record(request: BudgetRequest): Release {
    return this.take(windowKeys(request), this.clock());
  }

  private take(keys: { kind: WindowKind; key: string }[], now: number): Release {
    for (const { kind, key } of keys) {
      this.windows.take(key, kind === 'caller' ? now + WINDOW_MS.caller : Number.POSITIVE_INFINITY, now);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Slots in flight are alike: turn any one of them into "free one second from now".
      const end = this.clock();
      for (const { kind, key } of keys)
        if (kind !== 'caller') this.windows.settle(key, end + WINDOW_MS[kind]);
    };
  }
}

export interface FallbackCallBudgetOptions {
  /** The budget every instance shares (DynamoDB). */
  readonly shared: CallBudget;
  /** This instance's own budget, used while the shared one is unavailable; it counts every call this instance makes. */
  readonly fallback: InstanceCallBudget;
  /** Gets `SharedBudgetFallback` for every call admitted by the fallback, and a warning when the shared budget fails. */
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** How long after a failure the shared budget is left alone (each attempt would cost its timeout). */
  readonly retrySharedAfterMs?: number;
}

/** After the shared budget failed, the instance uses its own for this long before trying the shared one again. */
export const RETRY_SHARED_AFTER_MS = 3000;

/**
 * The shared budget, degrading to the instance's own when the shared one cannot answer in time
 * (`SharedStateUnavailable`): requests keep being served, within the per-instance limits (which
 * count this instance's calls all along), and every call admitted that way counts in the
 * `SharedBudgetFallback` metric. Throttling (429) and
 * aborts pass through: they are answers, not failures.
 */
export class FallbackCallBudget implements CallBudget {
  private sharedDownUntil = 0;

  constructor(private readonly options: FallbackCallBudgetOptions) {}

  async acquire(request: BudgetRequest, signal?: AbortSignal): Promise<Release> {
    const { shared, clock } = this.options;
    if (clock() >= this.sharedDownUntil) {
      try {
        const release = await shared.acquire(request, signal);
        const local = this.options.fallback.record(request);
        return async () => {
          local();
          await release();
        };
      } catch (error) {
        if (!(error instanceof SharedStateUnavailable)) throw error;
        this.sharedDownUntil = clock() + (this.options.retrySharedAfterMs ?? RETRY_SHARED_AFTER_MS);
        this.options.metrics.warn?.('shared call budget unavailable, using the per-instance budget', {
          errorName: (error.cause as { name?: string } | undefined)?.name ?? error.name,
          retrySharedInMs: this.options.retrySharedAfterMs ?? RETRY_SHARED_AFTER_MS,
        });
      }
    }
    this.options.metrics.add('SharedBudgetFallback', 'Count', 1);
    return this.options.fallback.acquire(request, signal);
  }
}
