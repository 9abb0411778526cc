import type { ChannelRole, IceServersRequestBody } from '@kvs-ice-broker/client/contract';
import type { MetricsObserver } from './metrics';

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

/** One request for ICE servers: the route's body (its defaults applied), and who asks for which channel. */
export interface VendRequest extends Omit<IceServersRequestBody, 'role'> {
  /** Signaling channel name, as it appears in the URL path. */
  readonly channel: string;
  readonly role: ChannelRole;
  /** Opaque, KVS-safe id of the caller (`[a-zA-Z0-9_.-]{1,256}`); undefined for anonymous callers (auth `none`). */
  readonly clientId?: string;
  /** The channels the caller may use. */
  readonly grantedChannels: ChannelGrant;
  /** Told every metric the request's work records (the handler's per-request summary); see {@link MetricsObserver}. */
  readonly observer?: MetricsObserver;
}
