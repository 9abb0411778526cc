import type { ChannelRole, IceServer, Transport } from '@kvs-ice-broker/client/contract';

/** One TURN server set as KVS hands it out, with its absolute expiry. */
export interface TurnServerSet {
  readonly uris: readonly string[];
  readonly username: string;
  readonly password: string;
  /** Epoch milliseconds after which the credentials are no longer valid. */
  readonly expiresAt: number;
}

/**
 * The channels a caller may use: `'all'` when the deployment does not restrict callers to
 * channels (no channels claim, IAM, none), else the names its token grants. Explicit, so that
 * a missing grant can never read as "everything".
 */
export type ChannelGrant = 'all' | readonly string[];

export interface VendRequest {
  /** Signaling channel name, as it appears in the URL path. */
  readonly channel: string;
  readonly role: ChannelRole;
  /** Keep only TURN URIs of these kinds; undefined keeps all. */
  readonly transports?: readonly Transport[];
  /** Return at most this many TURN server sets; undefined returns all. */
  readonly maxServerSets?: number;
  /** Opaque, KVS-safe id of the caller (`[a-zA-Z0-9_.-]{1,256}`); undefined for anonymous callers (auth `none`). */
  readonly clientId?: string;
  /** The channels the caller may use. */
  readonly grantedChannels: ChannelGrant;
}

export interface VendResult {
  readonly iceServers: IceServer[];
  /** Whole seconds the returned credentials are still valid. */
  readonly ttl: number;
  /** ISO-8601 time of the earliest expiry among the returned sets. */
  readonly expiresAt: string;
  readonly channelArn: string;
}
