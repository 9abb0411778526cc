import type { ChannelRole } from '@kvs-ice-broker/client/contract';
import type { Channel } from '../contract';
import { abortable } from './abort';
import { asVendingError, VendingError } from './errors';
import { type Metrics, type MetricsObserver, noMetrics, observed } from './metrics';
import type { Clock, ScopedSession, SessionProvider, SessionPurpose, SignalingEndpoints } from './ports';
import { RefreshingCache } from './refreshing-cache';
import { type UpstreamTuning, upstreamStep } from './retry';

/** The policy of a {@link ChannelAccess}: the upstream tuning plus its own constants. */
export interface ChannelAccessPolicy extends UpstreamTuning {
  /** How long a channel's signaling endpoint is reused (the KVS C SDK uses 10 h). */
  readonly endpointTtlMs: number;
  /** Bounds of the two caches, so memory cannot grow without limit. */
  readonly maxEntries: { readonly sessions: number; readonly endpoints: number };
}

/** The constants of the policy; tests may override them. */
const CONSTANTS: Omit<ChannelAccessPolicy, keyof UpstreamTuning> = {
  endpointTtlMs: 10 * 3600_000,
  maxEntries: { sessions: 1000, endpoints: 2000 },
};

export interface ChannelAccessOptions {
  /** Opens the sessions of the scoped role (STS `AssumeRole`). */
  readonly sessions: SessionProvider;
  readonly policy: UpstreamTuning & Partial<ChannelAccessPolicy>;
  readonly clock?: Clock;
  /** Where `AssumeRoleCalls`, `EndpointCalls` and `UpstreamErrors` are counted. */
  readonly metrics?: Metrics;
}

/** What a call to a channel's signaling service needs: the channel's `ice` session, and its endpoints for one role. */
export interface ChannelEndpoints {
  readonly session: ScopedSession;
  readonly endpoints: SignalingEndpoints;
}

/** A session to open: of which channel, for what. */
interface SessionKey {
  readonly channel: Channel;
  readonly purpose: SessionPurpose;
  /** The observer of the request that opens it. */
  readonly observer?: MetricsObserver;
}
/** The endpoints to find: of which channel, for which role, with which session. */
interface EndpointKey {
  readonly channel: Channel;
  readonly role: ChannelRole;
  readonly session: ScopedSession;
  /** The observer of the request that finds them. */
  readonly observer?: MetricsObserver;
}
interface Endpoint extends SignalingEndpoints {
  readonly fetchedAt: number;
}

/** Session credentials are renewed this long before they expire, and never used in their last minute. */
const SESSION_REFRESH_AHEAD_MS = 5 * 60_000;
const SESSION_MIN_VALIDITY_MS = 60_000;

/**
 * How the use cases reach a channel upstream: the scoped sessions (one STS `AssumeRole` per
 * channel and purpose) and the signaling endpoints (one `GetSignalingChannelEndpoint` per channel
 * and role), each cached with single flight and refresh ahead, and opened or found as an upstream
 * step (retried within its own deadline). The ICE vendor calls `GetIceServerConfig` with a
 * channel's `ice` session at its HTTPS endpoint; the signaling vendor presigns a role's session's
 * URL for its WSS endpoint. The composition root owns one and gives it to both. Free of AWS SDK
 * imports: sessions come from a port.
 */
export class ChannelAccess {
  private readonly policy: ChannelAccessPolicy;
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly sessions: RefreshingCache<ScopedSession, SessionKey>;
  private readonly endpointCache: RefreshingCache<Endpoint, EndpointKey>;
  private readonly storageEndpointCache: RefreshingCache<StorageEndpoint, EndpointKey>;

  constructor(private readonly options: ChannelAccessOptions) {
    const policy: ChannelAccessPolicy = { ...CONSTANTS, ...options.policy };
    const clock = options.clock ?? Date.now;
    this.policy = policy;
    this.clock = clock;
    this.metrics = options.metrics ?? noMetrics;
    this.sessions = new RefreshingCache({
      max: policy.maxEntries.sessions,
      clock,
      load: (_, key) => this.openSession(key),
      freshUntil: (session) => session.expiresAt - SESSION_REFRESH_AHEAD_MS,
      usableUntil: (session) => session.expiresAt - SESSION_MIN_VALIDITY_MS,
    });
    // Endpoints (signaling, storage) are kept for endpointTtlMs from when KVS named them.
    const endpointCache = <T extends { readonly fetchedAt: number }>(
      load: (key: EndpointKey) => Promise<T>,
    ) =>
      new RefreshingCache<T, EndpointKey>({
        max: policy.maxEntries.endpoints,
        clock,
        load: (_, key) => load(key),
        freshUntil: (endpoint) => endpoint.fetchedAt + policy.endpointTtlMs,
        usableUntil: (endpoint) => endpoint.fetchedAt + policy.endpointTtlMs,
      });
    this.endpointCache = endpointCache((key) => this.findEndpoints(key));
    this.storageEndpointCache = endpointCache((key) => this.findStorageEndpoint(key));
  }

  /**
   * The channel's `WEBRTC` endpoint for `role` (the storage API's; a separate cached
   * `GetSignalingChannelEndpoint` call, since KVS refuses that protocol for a channel that records
   * no media), found with the channel's `ice` session. A failure drops it as {@link forget} does.
   * `observer` (the request's) is told the calls it makes. Rejects with `VendingError`.
   */
  async storageEndpoint(
    channel: Channel,
    role: ChannelRole,
    signal?: AbortSignal,
    observer?: MetricsObserver,
  ): Promise<string> {
    const { endpoints } = await this.cachedEndpoints(
      this.storageEndpointCache,
      channel,
      role,
      signal,
      observer,
    );
    return endpoints.webrtc;
  }

  /**
   * A cached session of the scoped role for `purpose` on `channel` (`ice`, the calls that vend ICE
   * servers; a role: a session whose policy allows only that role's Connect action, for presigned
   * URLs), opened or refreshed as an upstream step. With `signal`, the wait ends when it aborts (a
   * 504 `UpstreamTimeout`). `observer` (the request's) is told the calls it makes. Rejects with
   * `VendingError`.
   */
  async session(
    channel: Channel,
    purpose: SessionPurpose,
    signal?: AbortSignal,
    observer?: MetricsObserver,
  ): Promise<ScopedSession> {
    try {
      const key = { channel, purpose, ...(observer ? { observer } : {}) };
      const { value } = await abortable(this.sessions.get(sessionKey(key), key), signal);
      return value;
    } catch (error) {
      throw asVendingError(error, signal);
    }
  }

  /**
   * The channel's signaling endpoints for `role` (WSS and HTTPS, from one cached
   * `GetSignalingChannelEndpoint` call that both use cases share), and the channel's `ice` session
   * that finds them. A failure drops what it shows to be wrong (see {@link forget}). With `signal`,
   * the wait ends when it aborts (a 504 `UpstreamTimeout`). `observer` (the request's) is told the
   * calls it makes. Rejects with `VendingError`.
   */
  async endpoints(
    channel: Channel,
    role: ChannelRole,
    signal?: AbortSignal,
    observer?: MetricsObserver,
  ): Promise<ChannelEndpoints> {
    return this.cachedEndpoints(this.endpointCache, channel, role, signal, observer);
  }

  /** An endpoint of `cache` found with the channel's `ice` session, and that session; a failure drops what {@link forget} says. */
  private async cachedEndpoints<T extends object>(
    cache: RefreshingCache<T, EndpointKey>,
    channel: Channel,
    role: ChannelRole,
    signal: AbortSignal | undefined,
    observer: MetricsObserver | undefined,
  ): Promise<{ session: ScopedSession; endpoints: T }> {
    try {
      const session = await this.session(channel, 'ice', signal, observer);
      const key = { channel, role, session, ...(observer ? { observer } : {}) };
      const { value } = await abortable(cache.get(endpointKey(key), key), signal);
      return { session, endpoints: value };
    } catch (error) {
      this.forget(channel, role, error);
      throw asVendingError(error, signal);
    }
  }

  /** Opens the `ice` session and finds the viewer endpoints of a channel ahead of its first request. */
  async prewarm(channel: Channel): Promise<void> {
    const session = await this.session(channel, 'ice');
    const key = { channel, role: 'VIEWER', session } as const;
    await this.endpointCache.get(endpointKey(key), key);
  }

  /**
   * Drops what a failure of a call to `channel`'s signaling service for `role` shows to be wrong:
   * the endpoints when the channel is gone or unavailable, the endpoints and the `ice` session
   * when KVS errs or refuses the session's credentials (so the next call opens a new one).
   */
  forget(channel: Channel, role: ChannelRole, error: unknown): void {
    if (!(error instanceof VendingError)) return;
    const endpoint = endpointKey({ channel, role });
    const sessionWrong = error.code === 'UpstreamError' || error.credentialsRefusedBy !== undefined;
    if (sessionWrong || error.code === 'ChannelNotFound' || error.code === 'Unavailable') {
      this.endpointCache.delete(endpoint);
      this.storageEndpointCache.delete(endpoint);
    }
    if (sessionWrong) this.sessions.delete(sessionKey({ channel, purpose: 'ice' }));
  }

  /**
   * Drops the session of `purpose` on `channel` when `error` shows KVS refused its credentials
   * (expired, or signed on a wrong clock), so the next call opens another; other failures keep it.
   */
  forgetSession(channel: Channel, purpose: SessionPurpose, error: unknown): void {
    if (error instanceof VendingError && error.credentialsRefusedBy === 'KVS')
      this.sessions.delete(sessionKey({ channel, purpose }));
  }

  private openSession({ channel, purpose, observer }: SessionKey): Promise<ScopedSession> {
    const metrics = observed(this.metrics, observer);
    metrics.add('AssumeRoleCalls', 'Count', 1);
    return upstreamStep(this.policy, metrics, (signal) =>
      this.options.sessions.openSession(channel, signal, purpose),
    );
  }

  private async findEndpoints({ channel, role, session, observer }: EndpointKey): Promise<Endpoint> {
    const metrics = observed(this.metrics, observer);
    metrics.add('EndpointCalls', 'Count', 1);
    const endpoints = await upstreamStep(this.policy, metrics, (signal) =>
      session.getSignalingEndpoints(channel.arn, role, signal),
    );
    return { ...endpoints, fetchedAt: this.clock() };
  }

  private async findStorageEndpoint({
    channel,
    role,
    session,
    observer,
  }: EndpointKey): Promise<StorageEndpoint> {
    const metrics = observed(this.metrics, observer);
    metrics.add('EndpointCalls', 'Count', 1);
    const webrtc = await upstreamStep(this.policy, metrics, (signal) =>
      session.getStorageEndpoint(channel.arn, role, signal),
    );
    return { webrtc, fetchedAt: this.clock() };
  }
}

interface StorageEndpoint {
  readonly webrtc: string;
  readonly fetchedAt: number;
}

const endpointKey = (key: Pick<EndpointKey, 'channel' | 'role'>) => `${key.channel.arn}|${key.role}`;
const sessionKey = (key: SessionKey) => `${key.purpose}|${key.channel.name}`;
