import type { ChannelRole, IceServersAnswer } from '@kvs-ice-broker/client/contract';
import type { Channel } from '../contract';
import { abortable } from './abort';
import { type BudgetLimits, type CallBudget, InstanceCallBudget } from './budget';
import type { ChannelAccess } from './channel-access';
import type { ChannelDirectory } from './channels';
import { asVendingError, VendingError } from './errors';
import { type EndpointMode, iceServersAnswer } from './ice-servers';
import { type MetricName, type Metrics, type MetricsObserver, noMetrics, observed } from './metrics';
import type { TurnServerSet, VendRequest } from './model';
import type { Clock, IceConfig, ScopedSession, SharedIceCache } from './ports';
import { RefreshingCache } from './refreshing-cache';
import { type UpstreamTuning, upstreamStep } from './retry';

/** What an operator tunes (lambda/config.ts owns the values, their defaults and bounds). */
export interface VendorTuning extends UpstreamTuning {
  /** Never return credentials with less than this many seconds left. */
  readonly minRemainingTtlSeconds: number;
  /** The limits of upstream `GetIceServerConfig` calls (per channel, account and caller), and the wait for them. */
  readonly budget: BudgetLimits;
  /** The endpoints the function reaches (dual-stack, FIPS), whose STUN URL answers carry. */
  readonly endpoints: EndpointMode;
}

/** The vendor's whole policy: the tuning plus its own constants. */
export interface VendorPolicy extends VendorTuning {
  /**
   * Refresh a cached ICE config this many seconds before it stops being servable, but never
   * earlier than halfway through its servable life: a fresh answer is always served from the
   * cache for a while, whatever `minRemainingTtlSeconds` is.
   */
  readonly refreshAheadSeconds: number;
  /** Bound of the ICE configurations' cache, so memory cannot grow without limit. */
  readonly maxEntries: { readonly iceConfigs: number };
}

/** The vendor's own constants; tests may override them. */
const CONSTANTS: Omit<VendorPolicy, keyof VendorTuning> = {
  refreshAheadSeconds: 30,
  maxEntries: { iceConfigs: 10_000 },
};

export interface IceVendorOptions {
  readonly channels: ChannelDirectory;
  /** The channels' scoped sessions and signaling endpoints, which the signaling use case shares. */
  readonly access: ChannelAccess;
  readonly policy: VendorTuning & Partial<VendorPolicy>;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /**
   * Admits upstream `GetIceServerConfig` calls (KVS quotas, per-caller limit): the budget every
   * instance shares, in a deployment.
   * @default - this instance's own budget, from the policy's limits
   */
  readonly budget?: CallBudget;
  /** Answers shared by every instance (context `sharedCache`); none by default. */
  readonly sharedCache?: SharedIceCache;
}

/** A peer of a channel: who (the caller's ClientId, if any) in which role; what one ICE answer is for. */
interface Peer {
  readonly channel: Channel;
  readonly role: ChannelRole;
  readonly clientId?: string;
  /** The observer of the request that starts the load. */
  readonly observer?: MetricsObserver;
}

/**
 * The vending use case: resolve the channel, then serve TURN credentials from the cache, or
 * fetch them through the channel's scoped session and endpoint ({@link ChannelAccess}), within the
 * upstream budget, with bounded retries, inside one deadline. Free of AWS SDK imports: everything
 * upstream is a port.
 */
export class IceVendor {
  private readonly policy: VendorPolicy;
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly budget: CallBudget;
  private readonly iceConfigs: RefreshingCache<IceConfig, Peer>;
  /** Until when a cached ICE answer is served without refreshing it. */
  private readonly iceFreshUntil: (config: IceConfig) => number;
  /** The ICE answers this instance took from the shared table (another instance's), not from KVS. */
  private readonly fromSharedTable = new WeakSet<IceConfig>();

  constructor(private readonly options: IceVendorOptions) {
    const policy: VendorPolicy = { ...CONSTANTS, ...options.policy };
    const clock = options.clock ?? Date.now;
    this.policy = policy;
    this.clock = clock;
    this.metrics = options.metrics ?? noMetrics;
    this.budget = options.budget ?? new InstanceCallBudget(policy.budget, clock, policy.retry.sleep);
    const minRemainingMs = policy.minRemainingTtlSeconds * 1000;
    const servableUntil = (config: IceConfig) =>
      Math.min(...config.sets.map((set) => set.expiresAt)) - minRemainingMs;
    this.iceFreshUntil = (config) => {
      const until = servableUntil(config);
      const halfLife = Math.max(0, until - config.fetchedAt) / 2;
      return until - Math.min(policy.refreshAheadSeconds * 1000, halfLife);
    };
    this.iceConfigs = new RefreshingCache({
      max: policy.maxEntries.iceConfigs,
      clock,
      load: (key, peer) => this.fetchIceConfig(key, peer),
      freshUntil: this.iceFreshUntil,
      usableUntil: servableUntil,
    });
  }

  /**
   * The ICE servers for one request: STUN first, then the TURN sets (of the requested
   * transports, at most `maxServerSets`) with at least `minRemainingTtlSeconds` left, with their
   * `ttl` in whole seconds and the earliest `expiresAt`. Throws `VendingError`: 400
   * `InvalidRequest` (a name KVS cannot have, transports no TURN server offers), 403
   * `ChannelNotAllowed` (not served, not granted), 404 `ChannelNotFound`, 429 `Throttled` (KVS or
   * STS throttling after retries, or the per-channel budget of 5 calls per second, a KVS hard
   * quota, spent), 502 `UpstreamError`, 503 `Unavailable`, 504 `UpstreamTimeout` (past
   * `deadlineMs`).
   */
  async vend(request: VendRequest): Promise<IceServersAnswer> {
    const channel = this.options.channels.resolve(request.channel, request.grantedChannels);
    // Per role too: each role has its own signaling endpoint, and KVS answers for that endpoint.
    const key = `${channel.arn}|${request.role}|${request.clientId ?? ''}`;
    const fresh = this.iceConfigs.peekFresh(key);
    if (fresh) return this.serve(channel, fresh, request, 'IceCacheHit');
    const peer: Peer = {
      channel,
      role: request.role,
      clientId: request.clientId,
      ...(request.observer ? { observer: request.observer } : {}),
    };
    const signal = AbortSignal.timeout(this.policy.deadlineMs);
    try {
      const { value, outcome } = await abortable(this.iceConfigs.get(key, peer), signal);
      if (outcome === 'stale') return this.serve(channel, value, request, 'IceCacheStale');
      if (outcome === 'hit') return this.serve(channel, value, request, 'IceCacheHit');
      const result = this.serve(channel, value, request, 'IceCacheMiss');
      // A request that waited for a load (its own, or one it joined) the shared table answered.
      if (this.fromSharedTable.has(value))
        observed(this.metrics, request.observer).add('SharedCacheHit', 'Count', 1);
      return result;
    } catch (error) {
      throw asVendingError(error, signal);
    }
  }

  private serve(
    channel: Channel,
    config: IceConfig,
    request: VendRequest,
    outcome: MetricName,
  ): IceServersAnswer {
    // Two direct calls rather than observed(): this is every cache hit's path, and observed()
    // builds an object and a closure per call.
    this.metrics.add(outcome, 'Count', 1);
    request.observer?.add(outcome, 'Count', 1);
    const result = iceServersAnswer(
      channel,
      config.sets,
      request,
      this.clock(),
      this.policy.minRemainingTtlSeconds * 1000,
      this.policy.endpoints,
    );
    this.metrics.add('ServedTtl', 'Seconds', result.ttl);
    request.observer?.add('ServedTtl', 'Seconds', result.ttl);
    return result;
  }

  /** Opens the session and finds the endpoint of a channel ahead of its first request; failures are left for later. */
  async prewarm(channelName: string): Promise<void> {
    await this.options.access.prewarm(this.options.channels.resolve(channelName, 'all'));
  }

  /**
   * One shared load per (channel, role, client): a fresh answer of the shared cache (another
   * instance's), else session, endpoint, then budgeted, retried GetIceServerConfig.
   */
  private async fetchIceConfig(key: string, peer: Peer): Promise<IceConfig> {
    // The load's deadline starts with the load, so a load that requests joined ends with them.
    const signal = AbortSignal.timeout(this.policy.deadlineMs);
    // One issuance counts once against the caller's limit, however many attempts it takes.
    const issuance = { counted: false };
    try {
      return await this.loadIceConfig(key, peer, signal, issuance);
    } catch (error) {
      // KVS refused the cached scoped session (it expired early by AWS's clock, or was revoked):
      // the channel access forgot it, so one more load opens a new session, within the same deadline.
      if (!(error instanceof VendingError) || error.credentialsRefusedBy !== 'KVS' || signal.aborted)
        throw error;
      return this.loadIceConfig(key, peer, signal, issuance);
    }
  }

  private async loadIceConfig(
    key: string,
    peer: Peer,
    signal: AbortSignal,
    issuance: { counted: boolean },
  ): Promise<IceConfig> {
    const { channel, clientId } = peer;
    const metrics = observed(this.metrics, peer.observer);
    try {
      const shared = await this.sharedIceConfig(key, signal, metrics);
      if (shared) return shared;
      const { session, endpoints } = await this.options.access.endpoints(
        channel,
        peer.role,
        undefined,
        peer.observer,
      );
      const sets = await upstreamStep(
        this.policy,
        metrics,
        async () => {
          // A retry is the same issuance: its call still counts against KVS's quotas, not the caller's limit.
          const release = await this.budget.acquire(
            { channel, clientId: issuance.counted ? undefined : clientId },
            signal,
          );
          issuance.counted = true;
          try {
            const request = { endpoint: endpoints.https, channelArn: channel.arn, clientId };
            return await this.callGetIceServerConfig(session, request, signal, metrics);
          } finally {
            await release();
          }
        },
        signal,
      );
      // Never cache an empty answer: it has no expiry, so it would never be refreshed.
      if (sets.length === 0) throw new VendingError('UpstreamError', 'KVS returned no TURN server set');
      const config = { sets, fetchedAt: this.clock() };
      await this.shareIceConfig(key, config, signal, metrics);
      return config;
    } catch (error) {
      this.options.access.forget(channel, peer.role, error);
      throw error;
    }
  }

  /** A fresh answer from the shared cache, if there is one and it answers; its failures only cost the lookup. */
  private async sharedIceConfig(
    key: string,
    signal: AbortSignal,
    metrics: Metrics,
  ): Promise<IceConfig | undefined> {
    const cache = this.options.sharedCache;
    if (!cache) return undefined;
    try {
      const config = await cache.get(key, signal);
      if (!config || this.iceFreshUntil(config) <= this.clock()) return undefined;
      // Counted per request it serves (SharedCacheHit, in vend), not per read: a background
      // refresh serves nobody, and requests that joined this load are served from the table too.
      this.fromSharedTable.add(config);
      return config;
    } catch (error) {
      if (signal.aborted) throw error;
      metrics.add('SharedCacheUnavailable', 'Count', 1);
      return undefined;
    }
  }

  private async shareIceConfig(
    key: string,
    config: IceConfig,
    signal: AbortSignal,
    metrics: Metrics,
  ): Promise<void> {
    try {
      await this.options.sharedCache?.put(key, config, signal);
    } catch {
      metrics.add('SharedCacheUnavailable', 'Count', 1);
    }
  }

  private async callGetIceServerConfig(
    session: ScopedSession,
    request: Parameters<ScopedSession['getIceServerConfig']>[0],
    signal: AbortSignal,
    metrics: Metrics,
  ): Promise<TurnServerSet[]> {
    const started = this.clock();
    metrics.add('IceConfigCalls', 'Count', 1);
    try {
      return await session.getIceServerConfig(request, signal);
    } catch (error) {
      if (error instanceof VendingError && error.code === 'Throttled')
        metrics.add('UpstreamThrottles', 'Count', 1);
      throw error;
    } finally {
      metrics.add('IceConfigLatency', 'Milliseconds', this.clock() - started);
    }
  }
}
