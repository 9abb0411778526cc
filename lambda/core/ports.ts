import type { ChannelRole, TurnServerSet } from './model';

/**
 * A session of the scoped role, narrowed to one channel. It is the only way the
 * core can reach KVS, so every KVS call runs with the scoped, channel-bound credentials.
 * Adapters translate their failures into `VendingError`s.
 */
export interface ScopedSession {
  /** Epoch milliseconds at which the session's credentials expire. */
  readonly expiresAt: number;
  /** KVS `GetSignalingChannelEndpoint` for protocol HTTPS: the channel's signaling endpoint URL. */
  getSignalingEndpoint(channelArn: string, role: ChannelRole, signal?: AbortSignal): Promise<string>;
  /** KVS signaling `GetIceServerConfig`, sent to `endpoint`. */
  getIceServerConfig(request: IceServerConfigRequest, signal?: AbortSignal): Promise<TurnServerSet[]>;
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
 * Opens sessions of the scoped role (STS `AssumeRole`) whose session policy allows only the
 * given channel's ARN; a session lasts at most one hour (role chaining). Rejects with
 * `VendingError` (429 on throttling, 503 when credentials are refused or STS is down).
 */
export interface SessionProvider {
  openSession(channel: { name: string; arn: string }, signal?: AbortSignal): Promise<ScopedSession>;
}

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;
