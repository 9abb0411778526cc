import {
  type ChannelRole,
  type MediaStorage,
  type StorageSessionAnswer,
  type StorageSessionRequestBody,
  storageSessionPath,
} from '@kvs-ice-broker/client/contract';
import { type Channel, DESCRIBE_MEDIA_STORAGE, STORAGE_ACTIONS } from '../contract';
import { abortable } from './abort';
import type { BudgetRequest, CallBudget, Quota } from './budget';
import type { ChannelAccess } from './channel-access';
import type { ChannelDirectory } from './channels';
import { asVendingError, VendingError } from './errors';
import { type MetricName, type Metrics, type MetricsObserver, noMetrics, observed } from './metrics';
import type { ChannelGrant } from './model';
import type { Clock, MediaStorageConfiguration } from './ports';
import { RefreshingCache } from './refreshing-cache';
import { type UpstreamTuning, upstreamStep } from './retry';
import { notServed, requireMaster, viewerPoolOf } from './signaling';
import { type ViewerSlots, viewerSlotOf } from './viewer-slots';

/** One request of a storage-session route: the caller's, for the route's role. */
export type StorageSessionRequest = StorageSessionCaller &
  ({ readonly role: 'MASTER' } | { readonly role: 'VIEWER'; readonly clientId: string });

/** Who asks for a join, and on which channel. */
interface StorageSessionCaller {
  readonly channel: string;
  /** The channels the caller may use (as on the ICE route). */
  readonly grantedChannels: ChannelGrant;
  /** The channels the caller may master (as on the master route). */
  readonly masterChannels: ChannelGrant;
  /**
   * Whose viewer ClientIds the caller's connections share (as on the viewer route), required for a
   * viewer; whose joins the per-caller limit counts ({@link JOINS_PER_CALLER_PER_MINUTE}).
   */
  readonly viewerPool?: string;
  /** Told the upstream calls the request makes (its log line's summary). */
  readonly observer?: MetricsObserver;
}

/** What the media storage status cache loads with: the channel, and the observer of the request that asked first. */
interface StatusKey {
  readonly channel: Channel;
  readonly observer?: MetricsObserver;
}

/** KVS's storage session has at most this many viewers (KVS WebRTC developer guide, "WebRTC ingestion service quotas"). */
export const STORAGE_SESSION_VIEWERS = 3;

/**
 * The viewer ClientIds one caller gets on a channel that records media, and so the storage
 * session's viewer places it can hold: its `viewerSlotsPerCaller`, but at most one fewer than a
 * storage session's {@link STORAGE_SESSION_VIEWERS}, so that no one token takes all of them.
 */
export const storageViewerSlots = (viewerSlotsPerCaller: number): number =>
  Math.min(viewerSlotsPerCaller, STORAGE_SESSION_VIEWERS - 1);

/** Joins one caller may make per minute on each storage-session route of a channel or another. */
export const JOINS_PER_CALLER_PER_MINUTE = 10;

/**
 * The call budget's quota of each role's join. KVS's WebRTC ingestion quotas (KVS WebRTC developer
 * guide, "Service quotas", "WebRTC ingestion service quotas"): `JoinStorageSession` and
 * `JoinStorageSessionAsViewer` each 2 TPS per channel and 50 TPS per account (hard). Each action
 * has windows of its own, with half of that (1 per second per channel, 25 per account), so that the
 * two together stay within KVS's quota whether it counts them apart or together, and no number of
 * viewer joins can spend the master's: the master joins once per storage session, and a session
 * has at most 3 viewers. Each caller (its viewer pool: the caller id, or with auth `none` a hash
 * of its source IP) makes at most {@link JOINS_PER_CALLER_PER_MINUTE} joins a minute per role, a
 * join every 6 seconds (the JS SDK's sample joins again when no offer came within 6 seconds).
 */
export const JOIN_QUOTAS: Readonly<Record<ChannelRole, Quota>> = {
  MASTER: {
    action: STORAGE_ACTIONS.MASTER,
    perChannelPerSecond: 1,
    perAccountPerSecond: 25,
    perCallerPerMinute: JOINS_PER_CALLER_PER_MINUTE,
    callerDid: 'joined storage sessions as the master',
  },
  VIEWER: {
    action: STORAGE_ACTIONS.VIEWER,
    perChannelPerSecond: 1,
    perAccountPerSecond: 25,
    perCallerPerMinute: JOINS_PER_CALLER_PER_MINUTE,
    callerDid: 'joined storage sessions as a viewer',
  },
};

/**
 * KVS's quota of `DescribeMediaStorageConfiguration` (KVS WebRTC developer guide, "Service
 * quotas", control plane): 5 TPS per channel and 50 TPS per account (hard). Every call goes
 * through the call budget within it; none is counted for a caller (the answer is cached per channel).
 */
export const DESCRIBE_QUOTA: Quota = {
  action: DESCRIBE_MEDIA_STORAGE,
  perChannelPerSecond: 5,
  perAccountPerSecond: 50,
  perCallerPerMinute: Number.MAX_SAFE_INTEGER,
};

/**
 * How long a channel's `DescribeMediaStorageConfiguration` answer is used as it is (then
 * refreshed in the background, and used up to {@link STORAGE_STATUS_USABLE_MS} while KVS does not
 * answer). An operator turns a channel's storage on or off rarely; a minute bounds how long
 * callers get the old instructions after a change, and costs each instance at most one call per
 * channel per minute, far under KVS's 5 TPS per channel and 50 per account (hard). A join that KVS
 * refuses as invalid drops the channel's entry once it is {@link STORAGE_STATUS_RECHECK_MS} old.
 */
export const STORAGE_STATUS_FRESH_MS = 60_000;
/**
 * A join that KVS refuses as invalid (`InvalidArgumentException`: the channel may have stopped
 * recording) drops the channel's cached status when it is at least this old, so that the next join
 * asks KVS again (one call, which concurrent joins share): at most one such call per channel and
 * instance in this time, however many joins KVS refuses. The broker's own refusal of a channel that
 * records no media uses the cached status and asks KVS nothing.
 */
export const STORAGE_STATUS_RECHECK_MS = 5000;
/**
 * How long a channel's `DescribeMediaStorageConfiguration` answer may still be used while KVS
 * does not answer the refresh (a throttle, an outage): ten minutes, after which the channel's
 * signaling answers and joins are refused until KVS answers (fail closed: no instructions for a
 * mode that may have changed long ago).
 */
export const STORAGE_STATUS_USABLE_MS = 10 * 60_000;

/** What {@link StorageSessions} works with; the composition root (lambda/create-handler.ts) gives it. */
export interface StorageSessionsOptions {
  readonly channels: ChannelDirectory;
  readonly access: ChannelAccess;
  /** The roles this deployment serves (context `signalingRoles`): a role's join needs its route. */
  readonly roles: readonly ChannelRole[];
  /** One request's deadline and the retries within it. */
  readonly policy: UpstreamTuning;
  /** Viewer connections one caller may hold on one channel (context `viewerSlotsPerCaller`): the ClientIds it was issued. */
  readonly viewerSlotsPerCaller: number;
  /** The viewer route's count of the ClientIds it handed out (the signaling vendor's), which viewer joins are checked against. */
  readonly viewerSlots: ViewerSlots;
  /**
   * The call budget of every KVS call (the ICE vendor's: the one every instance shares, with the
   * shared table, else the instance's own); joins and `DescribeMediaStorageConfiguration` name
   * their own quotas ({@link JOIN_QUOTAS}, {@link DESCRIBE_QUOTA}), so they spend none of
   * `GetIceServerConfig`'s. How long a call waits for a slot is the budget's (context `budgetWaitMs`).
   */
  readonly budget: CallBudget;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
}

interface StatusEntry extends MediaStorageConfiguration {
  readonly fetchedAt: number;
}

/**
 * WebRTC ingestion (context `storageSessions`): tells whether a channel records media (KVS
 * `DescribeMediaStorageConfiguration`, cached per channel) for the signaling answers, and joins
 * a caller's signaling connection to the channel's storage session: `JoinStorageSession` for a
 * master, `JoinStorageSessionAsViewer` for a viewer with a ClientId the broker issued to it, each
 * sent to the channel's `WEBRTC` endpoint by a session whose policy allows only that action on
 * that channel. KVS's join is not idempotent (each call sends one SDP offer): it is retried only
 * when it cannot have reached KVS (a refused connection) or KVS throttled it (no offer sent).
 */
export class StorageSessions {
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly budget: CallBudget;
  private readonly viewerSlots: ViewerSlots;
  private readonly statuses: RefreshingCache<StatusEntry, StatusKey>;

  constructor(private readonly options: StorageSessionsOptions) {
    const clock = options.clock ?? Date.now;
    this.clock = clock;
    this.metrics = options.metrics ?? noMetrics;
    this.budget = options.budget;
    this.viewerSlots = options.viewerSlots;
    this.statuses = new RefreshingCache({
      max: 1000,
      clock,
      load: (_, key) => this.describe(key),
      freshUntil: (entry) => entry.fetchedAt + STORAGE_STATUS_FRESH_MS,
      usableUntil: (entry) => entry.fetchedAt + STORAGE_STATUS_USABLE_MS,
    });
  }

  /**
   * Whether `channel` records media (its cached `DescribeMediaStorageConfiguration`), for the
   * signaling answers ({@link mediaStorageOf}). Rejects with `VendingError` when KVS cannot say
   * (fail closed: the caller is not sent to a channel whose mode is unknown).
   */
  async recordsMedia(channel: Channel, signal?: AbortSignal, observer?: MetricsObserver): Promise<boolean> {
    return (await this.status(channel, signal, observer)).enabled;
  }

  /**
   * Joins the caller's signaling connection to the channel's storage session. Throws
   * `VendingError`: 403 `ChannelNotAllowed` (role not served, channel not granted, master not
   * granted, a viewer ClientId the broker did not issue to this caller); 403 `CallerNotIdentified`
   * (a viewer without a viewer pool); 400 `InvalidRequest` (the channel records no media, or KVS
   * refused the join as invalid); 429 `Throttled` (the budget: the channel's joins of the role this
   * second, the account's, or the caller's of this minute, see {@link JOIN_QUOTAS}; KVS's throttle;
   * the storage session's viewers are all taken); 404, 502, 503, 504 as the other routes.
   */
  async join(request: StorageSessionRequest): Promise<StorageSessionAnswer> {
    const { role } = request;
    if (!this.options.roles.includes(role)) throw notServed(role);
    const channel = this.options.channels.resolve(request.channel, request.grantedChannels);
    if (role === 'MASTER') requireMaster(channel, request.masterChannels);
    const signal = AbortSignal.timeout(this.options.policy.deadlineMs);
    const clientId =
      request.role === 'VIEWER'
        ? await this.issuedClientId(request, channel, request.clientId, signal)
        : undefined;
    const { observer } = request;
    const status = await this.status(channel, signal, observer);
    // The broker's own refusal, from the cached status: no call to AWS, and the cache stays.
    if (!status.enabled) {
      throw new VendingError(
        'InvalidRequest',
        `channel "${channel.name}" does not record media: connect through its ${role.toLowerCase()} route without a storage session`,
      );
    }
    try {
      const [endpoint, session] = await Promise.all([
        this.options.access.storageEndpoint(channel, role, signal, observer),
        this.options.access.session(channel, STORAGE_ACTIONS[role], signal, observer),
      ]);
      // Retried only where the adapter marks the failure retryable (KVS throttled it, or the
      // connection was refused before sending): each join that reaches KVS sends one offer. Each
      // attempt takes a budget slot of its own, so retries never take a channel past KVS's quota.
      const metrics = observed(this.metrics, observer);
      await upstreamStep(
        this.options.policy,
        metrics,
        () =>
          this.attempt(
            { channel, clientId: request.viewerPool, quota: JOIN_QUOTAS[role] },
            signal,
            { metrics, counted: 'StorageJoinCalls' },
            () =>
              session.joinStorageSession(
                { endpoint, channelArn: channel.arn, ...(clientId !== undefined ? { clientId } : {}) },
                signal,
              ),
          ),
        signal,
      );
      return {
        role,
        ...(clientId !== undefined ? { clientId } : {}),
        channelArn: channel.arn,
        ...(status.streamArn !== undefined ? { streamArn: status.streamArn } : {}),
      };
    } catch (error) {
      const failure = asVendingError(error, signal);
      // KVS found the join (or the WEBRTC endpoint) invalid: the channel may no longer record media.
      if (failure instanceof VendingError && failure.code === 'InvalidRequest') {
        const recheckAt = this.clock() - STORAGE_STATUS_RECHECK_MS;
        this.statuses.invalidate(channel.arn, (entry) => entry.fetchedAt <= recheckAt);
      }
      this.options.access.forget(channel, role, failure);
      this.options.access.forgetSession(channel, STORAGE_ACTIONS[role], failure);
      throw failure;
    }
  }

  /**
   * The viewer ClientId of the body when the viewer route handed it to this caller on this channel:
   * it signs `<viewer pool>.v<slot>`, on a channel that records media with a slot from 0 to
   * {@link storageViewerSlots} − 1 (lambda/core/signaling.ts), and counts the slots it handed out per
   * caller and channel (the viewer slots, shared by every instance with the shared table). Anything
   * else is 403, so a caller cannot make the recording peer offer to another's connection, nor to a
   * connection it was never given on this channel, nor hold all of a session's viewers. Rejects with
   * 503 when the shared count cannot be read, unless this instance handed the slot out itself while
   * the count could not be read.
   */
  private async issuedClientId(
    request: StorageSessionCaller,
    channel: Channel,
    clientId: string,
    signal: AbortSignal,
  ): Promise<string> {
    const pool = viewerPoolOf(request);
    const slot = viewerSlotOf(pool, clientId);
    const possible = slot !== undefined && slot < storageViewerSlots(this.options.viewerSlotsPerCaller);
    const issued =
      possible &&
      (await this.viewerSlots.issued(channel.arn, pool, slot, signal).catch((error: unknown) => {
        throw asVendingError(error, signal);
      }));
    if (issued) return clientId;
    throw new VendingError(
      'ChannelNotAllowed',
      'clientId is not a viewer ClientId this API issued to you: use the clientId of your viewer answer',
    );
  }

  /**
   * One attempt of an upstream call: within a slot of the call budget for `request` (one slot per
   * attempt: a retry is a call of its own), counted in its metric once it has the slot.
   */
  private async attempt<T>(
    request: BudgetRequest,
    signal: AbortSignal,
    { metrics, counted }: { metrics: Metrics; counted: MetricName },
    call: () => Promise<T>,
  ): Promise<T> {
    const release = await this.budget.acquire(request, signal);
    try {
      metrics.add(counted, 'Count', 1);
      return await call();
    } finally {
      await release();
    }
  }

  private async status(
    channel: Channel,
    signal?: AbortSignal,
    observer?: MetricsObserver,
  ): Promise<StatusEntry> {
    try {
      const key = { channel, ...(observer ? { observer } : {}) };
      const { value } = await abortable(this.statuses.get(channel.arn, key), signal);
      return value;
    } catch (error) {
      throw asVendingError(error, signal);
    }
  }

  private async describe({ channel, observer }: StatusKey): Promise<StatusEntry> {
    const session = await this.options.access.session(channel, DESCRIBE_MEDIA_STORAGE, undefined, observer);
    try {
      const metrics = observed(this.metrics, observer);
      const status = await upstreamStep(this.options.policy, metrics, (signal) =>
        this.attempt(
          { channel, quota: DESCRIBE_QUOTA },
          signal,
          { metrics, counted: 'MediaStorageCalls' },
          () => session.describeMediaStorage(channel.arn, signal),
        ),
      );
      return { ...status, fetchedAt: this.clock() };
    } catch (error) {
      this.options.access.forgetSession(channel, DESCRIBE_MEDIA_STORAGE, error);
      throw error;
    }
  }
}

/**
 * The `mediaStorage` of a signaling answer on `channel` (see {@link MediaStorage}): whether it
 * records media and, when it does, the join to `POST`: the storage-session route of the answer's
 * role, with a viewer's ClientId (`clientId` undefined: the master's join, no field).
 */
export function mediaStorageOf(
  channel: Channel,
  recordsMedia: boolean,
  role: ChannelRole,
  clientId?: string,
): MediaStorage {
  if (!recordsMedia) return { enabled: false };
  const body: StorageSessionRequestBody = clientId !== undefined ? { clientId } : {};
  return { enabled: true, join: { path: storageSessionPath(role, channel.name), body } };
}
