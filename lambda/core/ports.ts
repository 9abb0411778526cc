import type { ChannelRole } from '@kvs-ice-broker/client/contract';
import type { DESCRIBE_MEDIA_STORAGE, StorageAction } from '../contract';
import type { TurnServerSet } from './model';

/**
 * A session of the scoped role, narrowed to one channel. It is the only way the
 * core can reach KVS, so every KVS call runs with the scoped, channel-bound credentials.
 * Adapters translate their failures into `VendingError`s.
 */
export interface ScopedSession {
  /** Epoch milliseconds at which the session's credentials expire. */
  readonly expiresAt: number;
  /** KVS `GetSignalingChannelEndpoint` for protocols WSS and HTTPS, in one call: the channel's endpoints for `role`. */
  getSignalingEndpoints(
    channelArn: string,
    role: ChannelRole,
    signal?: AbortSignal,
  ): Promise<SignalingEndpoints>;
  /** KVS signaling `GetIceServerConfig`, sent to `endpoint`. */
  getIceServerConfig(request: IceServerConfigRequest, signal?: AbortSignal): Promise<TurnServerSet[]>;
  /**
   * The `ConnectAsViewer` / `ConnectAsMaster` URL, SigV4-presigned in its query string with this
   * session's credentials (signed on AWS's clock). Makes no call.
   */
  presignConnect(request: PresignConnectRequest): Promise<string>;
  /**
   * KVS `DescribeMediaStorageConfiguration`: whether the channel records media, and into which
   * stream. Needs a `DescribeMediaStorageConfiguration` session.
   */
  describeMediaStorage(channelArn: string, signal?: AbortSignal): Promise<MediaStorageConfiguration>;
  /**
   * KVS `GetSignalingChannelEndpoint` for protocol `WEBRTC` (the storage API's endpoint); KVS
   * refuses it (`InvalidArgumentException`) for a channel that does not record media.
   */
  getStorageEndpoint(channelArn: string, role: ChannelRole, signal?: AbortSignal): Promise<string>;
  /**
   * KVS `JoinStorageSession` (no `clientId`) or `JoinStorageSessionAsViewer`, sent to the
   * channel's `WEBRTC` endpoint; needs a session of that action. Sent once: KVS's join is not
   * idempotent (each call sends one SDP offer), so only failures that cannot have reached KVS
   * (a refused connection, a KVS throttle) are marked retryable.
   */
  joinStorageSession(request: JoinStorageSessionRequest, signal?: AbortSignal): Promise<void>;
}

/** KVS's `MediaStorageConfiguration` of a channel. */
export interface MediaStorageConfiguration {
  /** `Status` is `ENABLED`. */
  readonly enabled: boolean;
  readonly streamArn?: string;
}

/** One `JoinStorageSession` / `JoinStorageSessionAsViewer` call. */
export interface JoinStorageSessionRequest {
  /** The channel's `WEBRTC` endpoint. */
  readonly endpoint: string;
  readonly channelArn: string;
  /** Viewers (`JoinStorageSessionAsViewer`): the ClientId the recording peer offers to; absent for the master. */
  readonly clientId?: string;
}

/** A channel's signaling endpoints for one role, from one `GetSignalingChannelEndpoint` call. */
export interface SignalingEndpoints {
  /** The signaling API (`GetIceServerConfig`), `https://…`. */
  readonly https: string;
  /** The signaling WebSocket (`ConnectAsViewer` / `ConnectAsMaster`), `wss://…`. */
  readonly wss: string;
}

/** One presigned signaling connection. */
export interface PresignConnectRequest {
  /** The channel's WSS endpoint for the role. */
  readonly endpoint: string;
  readonly channelArn: string;
  /** `X-Amz-ClientId`: required for viewers (`[a-zA-Z0-9_.-]{1,256}`, not starting with `AWS_`), absent for the master. */
  readonly clientId?: string;
  /** `X-Amz-Expires`, whole seconds: at most 300 and never past the session's expiry. */
  readonly expiresInSeconds: number;
}

/** One `GetIceServerConfig` call. */
export interface IceServerConfigRequest {
  /** The channel's HTTPS signaling endpoint, from `GetSignalingChannelEndpoint`. */
  readonly endpoint: string;
  readonly channelArn: string;
  /** Passed as both `ClientId` and `Username`; must already match `[a-zA-Z0-9_.-]{1,256}`. */
  readonly clientId?: string;
}

/**
 * What a session's policy allows on its one channel: `ice`, the two calls that vend ICE servers
 * (and find the endpoints); a {@link ChannelRole}, only that role's Connect action, for sessions
 * whose credentials go into presigned URLs that clients hold; a storage action
 * (`JoinStorageSession`, `JoinStorageSessionAsViewer`, `DescribeMediaStorageConfiguration`), only
 * that action.
 */
export type SessionPurpose = 'ice' | ChannelRole | StorageAction | typeof DESCRIBE_MEDIA_STORAGE;

/**
 * Opens sessions of the scoped role (STS `AssumeRole`) whose session policy allows only the
 * actions of `purpose` (default `ice`) on the given channel's ARN; a session lasts at most one
 * hour (role chaining). Rejects with `VendingError` (429 on throttling, 503 when credentials are
 * refused or STS is down).
 */
export interface SessionProvider {
  openSession(
    channel: { name: string; arn: string },
    signal?: AbortSignal,
    purpose?: SessionPurpose,
  ): Promise<ScopedSession>;
}

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

/** One answer of `GetIceServerConfig`, as the vendor caches it. */
export interface IceConfig {
  readonly sets: TurnServerSet[];
  /** Epoch ms when KVS's answer arrived. */
  readonly fetchedAt: number;
}

/**
 * ICE answers shared by every function instance (context `sharedCache`), per cache key (channel,
 * role, caller), so that a caller whose next request lands on another instance makes no new KVS
 * call. Both methods reject with `SharedStateUnavailable` when the store cannot answer in time;
 * the vendor then carries on without it.
 */
export interface SharedIceCache {
  /** The stored answer for `key`, whatever its age (the vendor checks it is still fresh), or undefined. */
  get(key: string, signal?: AbortSignal): Promise<IceConfig | undefined>;
  /** Stores an answer for `key`, unless a newer one is stored already. */
  put(key: string, config: IceConfig, signal?: AbortSignal): Promise<void>;
}
