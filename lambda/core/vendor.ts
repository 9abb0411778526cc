import type { Channel } from '../contract';
import { abortable } from './abort';
import { CallBudget } from './budget';
import type { ChannelDirectory } from './channels';
import { upstreamTimeout, VendingError } from './errors';
import { toVendResult } from './ice-servers';
import { type MetricName, type Metrics, noMetrics } from './metrics';
import type { ChannelRole, TurnServerSet, VendRequest, VendResult } from './model';
import type { Clock, ScopedSession, SessionProvider } from './ports';
import { RefreshingCache } from './refreshing-cache';
import { type RetryPolicy, withRetries } from './retry';

/** What an operator tunes (lambda/config.ts owns the values, their defaults and bounds). */
export interface VendorTuning {
  /** Never return credentials with less than this many seconds left. */
  readonly minRemainingTtlSeconds: number;
  /** One request's budget for all upstream work, well under the Lambda timeout. */
  readonly deadlineMs: number;
  /** `GetIceServerConfig` calls per channel per second from this process (KVS allows 5). */
  readonly iceCallsPerSecond: number;
  /** How long a request may wait for that budget before it gets 429. */
  readonly budgetWaitMs: number;
  readonly retry: RetryPolicy;
}

/** The vendor's whole policy: the tuning plus its own constants. */
export interface VendorPolicy extends VendorTuning {
  /**
   * Refresh a cached ICE config this many seconds before it stops being servable, but never
   * earlier than halfway through its servable life: a fresh answer is always served from the
   * cache for a while, whatever `minRemainingTtlSeconds` is.
   */
  readonly refreshAheadSeconds: number;
  /** How long a channel's signaling endpoint is reused (the KVS C SDK uses 10 h). */
  readonly endpointTtlMs: number;
  /** Bounds of the three caches, so memory cannot grow without limit. */
  readonly maxEntries: { readonly sessions: number; readonly endpoints: number; readonly iceConfigs: number };
}

/** The vendor's own constants; tests may override them. */
const CONSTANTS: Omit<VendorPolicy, keyof VendorTuning> = {
  refreshAheadSeconds: 30,
  endpointTtlMs: 10 * 3600_000,
  maxEntries: { sessions: 1000, endpoints: 2000, iceConfigs: 10_000 },
};

export interface IceVendorOptions {
  readonly channels: ChannelDirectory;
  readonly sessions: SessionProvider;
  readonly policy: VendorTuning & Partial<VendorPolicy>;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
}

/** A peer of a channel: who (the caller's ClientId, if any) in which role; what one ICE answer is for. */
interface Peer {
  readonly channel: Channel;
  readonly role: ChannelRole;
  readonly clientId?: string;
}
interface Endpoint {
  readonly url: string;
  readonly fetchedAt: number;
}
interface IceConfig {
  readonly sets: TurnServerSet[];
  /** Epoch ms when KVS's answer arrived. */
  readonly fetchedAt: number;
}

/** Session credentials are renewed this long before they expire, and never used in their last minute. */
const SESSION_REFRESH_AHEAD_MS = 5 * 60_000;
const SESSION_MIN_VALIDITY_MS = 60_000;

/**
 * The vending use case: resolve the channel, then serve TURN credentials from the cache, or
 * fetch them through a scoped session bound to the channel, within the upstream budget, with
 * bounded retries, inside one deadline. Free of AWS SDK imports: everything upstream is a port.
 */
export class IceVendor {
  private readonly policy: VendorPolicy;
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly budget: CallBudget;
  private readonly sessions: RefreshingCache<ScopedSession, Channel>;
  private readonly endpoints: RefreshingCache<Endpoint, { session: ScopedSession; peer: Peer }>;
  private readonly iceConfigs: RefreshingCache<IceConfig, Peer>;

  constructor(private readonly options: IceVendorOptions) {
    const policy: VendorPolicy = { ...CONSTANTS, ...options.policy };
    const clock = options.clock ?? Date.now;
    this.policy = policy;
    this.clock = clock;
    this.metrics = options.metrics ?? noMetrics;
    this.budget = new CallBudget({
      perSecond: policy.iceCallsPerSecond,
      maxWaitMs: policy.budgetWaitMs,
      clock,
      sleep: policy.retry.sleep,
    });
    this.sessions = new RefreshingCache({
      max: policy.maxEntries.sessions,
      clock,
      load: (_, channel) => this.openSession(channel),
      freshUntil: (session) => session.expiresAt - SESSION_REFRESH_AHEAD_MS,
      usableUntil: (session) => session.expiresAt - SESSION_MIN_VALIDITY_MS,
    });
    this.endpoints = new RefreshingCache({
      max: policy.maxEntries.endpoints,
      clock,
      load: (_, { session, peer }) => this.findEndpoint(session, peer),
      freshUntil: (endpoint) => endpoint.fetchedAt + policy.endpointTtlMs,
      usableUntil: (endpoint) => endpoint.fetchedAt + policy.endpointTtlMs,
    });
    const minRemainingMs = policy.minRemainingTtlSeconds * 1000;
    const servableUntil = (config: IceConfig) =>
      Math.min(...config.sets.map((set) => set.expiresAt)) - minRemainingMs;
    this.iceConfigs = new RefreshingCache({
      max: policy.maxEntries.iceConfigs,
      clock,
      load: (_, peer) => this.fetchIceConfig(peer),
      freshUntil: (config) => {
        const until = servableUntil(config);
        const halfLife = Math.max(0, until - config.fetchedAt) / 2;
        return until - Math.min(policy.refreshAheadSeconds * 1000, halfLife);
      },
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
  async vend(request: VendRequest): Promise<VendResult> {
    const channel = this.options.channels.resolve(request.channel, request.grantedChannels);
    // Per role too: each role has its own signaling endpoint, and KVS answers for that endpoint.
    const key = `${channel.arn}|${request.role}|${request.clientId ?? ''}`;
    const fresh = this.iceConfigs.peekFresh(key);
    if (fresh) return this.serve(channel, fresh, request, 'IceCacheHit');
    const peer: Peer = { channel, role: request.role, clientId: request.clientId };
    const signal = AbortSignal.timeout(this.policy.deadlineMs);
    try {
      const { value, outcome } = await abortable(this.iceConfigs.get(key, peer), signal);
      return this.serve(
        channel,
        value,
        request,
        outcome === 'stale' ? 'IceCacheStale' : outcome === 'hit' ? 'IceCacheHit' : 'IceCacheMiss',
      );
    } catch (error) {
      throw asVendingError(error, signal);
    }
  }

  private serve(channel: Channel, config: IceConfig, request: VendRequest, outcome: MetricName): VendResult {
    this.metrics.add(outcome, 'Count', 1);
    const result = toVendResult(
      channel,
      config.sets,
      request,
      this.clock(),
      this.policy.minRemainingTtlSeconds * 1000,
    );
    this.metrics.add('ServedTtl', 'Seconds', result.ttl);
    return result;
  }

  /** Opens the session and finds the endpoint of a channel ahead of its first request; failures are left for later. */
  async prewarm(channelName: string): Promise<void> {
    const channel = this.options.channels.resolve(channelName, 'all');
    const peer: Peer = { channel, role: 'VIEWER' };
    const { value: session } = await this.sessions.get(channel.name, channel);
    await this.endpoints.get(endpointKey(peer), { session, peer });
  }

  private openSession(channel: Channel): Promise<ScopedSession> {
    this.metrics.add('AssumeRoleCalls', 'Count', 1);
    return this.upstream((signal) => this.options.sessions.openSession(channel, signal));
  }

  private async findEndpoint(session: ScopedSession, peer: Peer): Promise<Endpoint> {
    this.metrics.add('EndpointCalls', 'Count', 1);
    const url = await this.upstream((signal) =>
      session.getSignalingEndpoint(peer.channel.arn, peer.role, signal),
    );
    return { url, fetchedAt: this.clock() };
  }

  /** One shared load per (channel, client): session, endpoint, then budgeted, retried GetIceServerConfig. */
  private async fetchIceConfig(peer: Peer): Promise<IceConfig> {
    // The load's deadline starts with the load, so a load that requests joined ends with them.
    const signal = AbortSignal.timeout(this.policy.deadlineMs);
    const { channel, clientId } = peer;
    try {
      const { value: session } = await this.sessions.get(channel.name, channel);
      const { value: endpoint } = await this.endpoints.get(endpointKey(peer), { session, peer });
      const sets = await this.upstream(async () => {
        const release = await this.budget.acquire(channel.arn, signal);
        try {
          const request = { endpoint: endpoint.url, channelArn: channel.arn, clientId };
          return await this.callGetIceServerConfig(session, request, signal);
        } finally {
          release();
        }
      }, signal);
      // Never cache an empty answer: it has no expiry, so it would never be refreshed.
      if (sets.length === 0) throw new VendingError('UpstreamError', 'KVS returned no TURN server set');
      return { sets, fetchedAt: this.clock() };
    } catch (error) {
      this.forget(peer, error);
      throw error;
    }
  }

  /**
   * One upstream step of a (shared) cache load: retried within its own deadline, so a load that
   * outlives the request that started it still ends, and a passed deadline is a 504.
   */
  private async upstream<T>(
    call: (signal: AbortSignal) => Promise<T>,
    signal = AbortSignal.timeout(this.policy.deadlineMs),
  ): Promise<T> {
    try {
      return await withRetries(this.policy.retry, () => call(signal), signal);
    } catch (error) {
      throw asVendingError(error, signal);
    }
  }

  private async callGetIceServerConfig(
    session: ScopedSession,
    request: Parameters<ScopedSession['getIceServerConfig']>[0],
    signal: AbortSignal,
  ): Promise<TurnServerSet[]> {
    const started = this.clock();
    this.metrics.add('IceConfigCalls', 'Count', 1);
    try {
      return await session.getIceServerConfig(request, signal);
    } catch (error) {
      if (error instanceof VendingError && error.code === 'Throttled')
        this.metrics.add('UpstreamThrottles', 'Count', 1);
      throw error;
    } finally {
      this.metrics.add('IceConfigLatency', 'Milliseconds', this.clock() - started);
    }
  }

  /** Drops what a failure shows to be wrong: the endpoint when it is gone, the session when KVS refuses it. */
  private forget(peer: Peer, error: unknown): void {
    if (!(error instanceof VendingError)) return;
    if (error.code === 'ChannelNotFound' || error.code === 'Unavailable')
      this.endpoints.delete(endpointKey(peer));
    if (error.code === 'UpstreamError' || error.credentialsRefused) {
      this.endpoints.delete(endpointKey(peer));
      this.sessions.delete(peer.channel.name);
    }
  }
}

const endpointKey = (peer: Peer) => `${peer.channel.arn}|${peer.role}`;

/** A deadline that passed becomes 504; other failures keep their meaning. */
function asVendingError(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof VendingError) return error;
  return signal.aborted ? upstreamTimeout(error) : error;
}
