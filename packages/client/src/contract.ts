/**
 * The wire contract of the kvs-ice-broker HTTP API (v1): its routes, the channel-name rule, the
 * roles and TURN transports a request may name, the shapes of its answers and its error codes.
 * The function (`lambda/`), the stack (`lib/`), the local runner and this client all import it
 * from here; it imports nothing, so the client stays free of runtime dependencies.
 */

/** The ICE servers route; `{channel}` is the signaling channel's name (URL-encoded). */
export const ICE_SERVERS_ROUTE_PATH = '/v1/channels/{channel}/ice-servers';

/** The ICE servers route's path for one channel, as IAM sees it in `execute-api` ARNs (not encoded). */
export const iceServersPath = (channel: string): string =>
  ICE_SERVERS_ROUTE_PATH.replace('{channel}', channel);

/** What KVS accepts as a signaling channel name, and so the `{channel}` of every route. */
export const CHANNEL_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,256}$/;

/**
 * The roles a peer can take on a channel, as KVS names them (`ChannelRole`): what the API answers
 * and what KVS takes. A signaling route's path, and the deployment setting `signalingRoles`, spell
 * a role in lower case (`viewer`, `master`).
 */
export const CHANNEL_ROLES = ['VIEWER', 'MASTER'] as const;
export type ChannelRole = (typeof CHANNEL_ROLES)[number];

/**
 * The presigned signaling routes, one per role (the deployment's setting `signalingRoles` says
 * which exist): each answers with everything a peer needs to join the channel in that role. The
 * role is in the path, in lower case, so that IAM can grant each route per channel.
 */
export const SIGNALING_ROUTE_PATHS = {
  VIEWER: '/v1/channels/{channel}/viewer',
  MASTER: '/v1/channels/{channel}/master',
} as const satisfies Readonly<Record<ChannelRole, string>>;

/** A signaling route's path for one channel, as IAM sees it in `execute-api` ARNs (not encoded). */
export const signalingPath = (role: ChannelRole, channel: string): string =>
  SIGNALING_ROUTE_PATHS[role].replace('{channel}', channel);

/**
 * The storage-session routes (WebRTC ingestion, deployment setting `storageSessions`), one per
 * role: each asks KVS to have its recording peer join the caller's open signaling connection of
 * that role (`JoinStorageSession` for the master, `JoinStorageSessionAsViewer` for a viewer). The
 * role is in the path, as on the signaling routes: with auth `iam`, IAM grants routes by path, so
 * a principal allowed to join as a viewer is not thereby allowed to join as the master.
 */
export const STORAGE_SESSION_ROUTE_PATHS = {
  VIEWER: '/v1/channels/{channel}/storage-session/viewer',
  MASTER: '/v1/channels/{channel}/storage-session/master',
} as const satisfies Readonly<Record<ChannelRole, string>>;

/** A storage-session route's path for one channel, as IAM sees it in `execute-api` ARNs (not encoded). */
export const storageSessionPath = (role: ChannelRole, channel: string): string =>
  STORAGE_SESSION_ROUTE_PATHS[role].replace('{channel}', channel);

/**
 * TURN transport kinds a request may keep (`transports`):
 * `turn:…?transport=udp` is udp, `turn:…?transport=tcp` is tcp,
 * `turns:…?transport=tcp` is tls, `turns:…?transport=udp` is dtls.
 * KVS offers udp, tls and dtls, no tcp: a filter that keeps no TURN server is refused with 400
 * `InvalidRequest` naming the transports offered.
 */
export const TRANSPORTS = ['udp', 'tcp', 'tls', 'dtls'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Which {@link Transport} a TURN URI is, or undefined for anything that is not a TURN URI. */
export function transportOf(uri: string): Transport | undefined {
  const match = /^(turns?):[^?]*(?:\?(.*))?$/i.exec(uri);
  if (!match) return undefined;
  const secure = match[1]?.toLowerCase() === 'turns';
  const transport =
    new URLSearchParams(match[2] ?? '').get('transport')?.toLowerCase() ?? (secure ? 'tcp' : 'udp');
  if (transport === 'udp') return secure ? 'dtls' : 'udp';
  if (transport === 'tcp') return secure ? 'tls' : 'tcp';
  return undefined;
}

/** One ICE server of an answer: the W3C `RTCIceServer` dictionary, as `RTCPeerConnection` takes it. */
export interface IceServer {
  readonly urls: string[];
  readonly username?: string;
  readonly credential?: string;
}

/**
 * The JSON body of `POST /v1/channels/{channel}/ice-servers`. Every field is optional: an empty
 * body (or none) asks for every ICE server as a viewer. A field not listed here is refused with
 * 400 `InvalidRequest`, as is a body over 4096 bytes.
 */
export interface IceServersRequestBody {
  /**
   * The role the peer takes on the channel; default `VIEWER`. The function asks KVS for that
   * role's signaling endpoint; the answer has the same shape either way.
   */
  readonly role?: ChannelRole;
  /**
   * Keep only TURN URIs of these kinds (1 to 4 of {@link TRANSPORTS}); default all. A TURN server
   * set left with no URI is dropped (the STUN server always stays); a filter that leaves none is
   * refused with 400 `InvalidRequest` naming the transports offered.
   */
  readonly transports?: readonly Transport[];
  /**
   * At most this many TURN server sets (an integer, 1 to 16), counted after `transports`; default
   * all (KVS hands out two; one makes ICE gathering quicker).
   */
  readonly maxServerSets?: number;
}

/**
 * The JSON body of a signaling route (`POST /v1/channels/{channel}/viewer|master`): the ICE
 * servers route's fields but `role`, which the path names (a `role` field is refused with 400
 * `InvalidRequest`).
 */
export type SignalingRequestBody = Omit<IceServersRequestBody, 'role'>;

/** The 200 answer of `POST /v1/channels/{channel}/ice-servers`. */
export interface IceServersAnswer {
  /**
   * `RTCIceServer` dictionaries for `new RTCPeerConnection({ iceServers })`: the channel's STUN
   * server first (`stun:stun.kinesisvideo.<region>.amazonaws.com:443`, `.amazonaws.com.cn` in
   * China; `….api.aws` / `….api.amazonwebservices.com.cn` in a `dualStack` deployment,
   * `stuns:stun.kinesisvideo-fips.…` in a `fips` one; no credentials), then the TURN server sets
   * of KVS `GetIceServerConfig`, each with the short-lived `username` and `credential` its URIs share.
   */
  readonly iceServers: IceServer[];
  /**
   * Whole seconds (0 to 300) the TURN credentials are still valid when the function answers: at
   * least the deployment's `minRemainingTtl` (default 120). Count it from the answer's arrival,
   * on the device's own clock.
   */
  readonly ttl: number;
  /** The earliest expiry among the TURN server sets: ISO 8601, UTC, on the broker's clock. */
  readonly expiresAt: string;
  /** The signaling channel's ARN (`arn:<partition>:kinesisvideo:<region>:<account>:channel/<name>/<creation time>`). */
  readonly channelArn: string;
}

/**
 * The 200 answer of a signaling route (`POST /v1/channels/{channel}/viewer|master`): everything a
 * peer needs to join the channel in that role, the fields of the KVS SDKs' signaling client
 * configuration, the presigned signaling URL in place of AWS credentials, and the ICE servers
 * (as {@link IceServersAnswer}, from the same call).
 */
export interface SignalingAnswer extends IceServersAnswer {
  /** The KVS channel role the URL connects as (`ConnectAsViewer` / `ConnectAsMaster`). */
  readonly role: ChannelRole;
  /**
   * Viewers only: the `X-Amz-ClientId` the URL is signed for, `<caller's stable id>.v<slot>`
   * (`anonymous-<hash of the source IP>.v<slot>` with auth `none`): one of the caller's
   * `viewerSlot.of` ClientIds on this channel, the least recently handed out. A connection with it
   * takes precedence over any older one with the same ClientId (KVS), which then receives no more
   * signaling messages. The master has none.
   */
  readonly clientId?: string;
  /**
   * Viewers only: which of the caller's viewer ClientIds on this channel `clientId` is (`slot`,
   * from 0), of how many (`of`, the deployment's `viewerSlotsPerCaller`, 1 to 10).
   */
  readonly viewerSlot?: { readonly slot: number; readonly of: number };
  /**
   * With `storageSessions`: whether the channel stores media, and how to join its storage
   * session (see {@link MediaStorage}); absent when the deployment does not serve storage sessions.
   */
  readonly mediaStorage?: MediaStorage;
  /** The channel's Region, from its ARN. */
  readonly region: string;
  readonly signaling: {
    /**
     * The channel's WSS endpoint for the role (KVS `GetSignalingChannelEndpoint`), SigV4-presigned
     * in its query by a session of the scoped role allowed only this role's Connect action on this
     * one channel. Open it as a WebSocket, as is. It carries credentials: never log or share it.
     */
    readonly url: string;
    /**
     * When KVS stops accepting the URL: ISO 8601, UTC, on the broker's clock; at most 300 seconds
     * after the answer and never after the signing session. Ask again for every (re)connect.
     */
    readonly expiresAt: string;
  };
}

/**
 * What a signaling answer says of the channel's media storage (WebRTC ingestion), when the
 * deployment serves storage sessions (`storageSessions`); absent otherwise: the broker then does
 * not know. KVS's `DescribeMediaStorageConfiguration`, as the broker last read it (cached).
 */
export interface MediaStorage {
  /**
   * `true`: the channel records media into a Kinesis video stream. KVS then connects no peer to
   * peer: the master and up to 3 viewers each connect to KVS's recording peer, which sends them an
   * SDP offer over signaling after the `join` below (a storage-session route,
   * {@link STORAGE_SESSION_ROUTE_PATHS}). A plain viewer's offer to the master is not answered.
   */
  readonly enabled: boolean;
  /**
   * With `enabled`: what to do once the signaling connection is open, `POST` `path` (the answer's
   * role's storage-session route on this channel) with `body`, then answer the SDP offer that
   * arrives over signaling (keep the connection open: the recording peer offers through it).
   * Repeat only when no offer arrives (each call sends one offer).
   */
  readonly join?: { readonly path: string; readonly body: StorageSessionRequestBody };
}

/**
 * The JSON body of a storage-session route: the viewer's (`…/storage-session/viewer`) has the
 * ClientId the broker signed its viewer URL for (the viewer answer's `clientId`; a ClientId the
 * broker did not issue to this caller is refused with 403 `ChannelNotAllowed`); the master's
 * (`…/storage-session/master`) is empty. No other field is accepted.
 */
export interface StorageSessionRequestBody {
  /** Viewers only, and required for them. */
  readonly clientId?: string;
}

/**
 * The 200 answer of a storage-session route: KVS accepted the join (it
 * answers with no body). Its recording peer then sends an SDP offer over the caller's open
 * signaling connection; KVS's join call is not idempotent (each call sends one offer) and KVS
 * may accept it without an offer following, so join again only when none arrives.
 */
export interface StorageSessionAnswer {
  readonly role: ChannelRole;
  /** Viewers: the ClientId the recording peer offers to. */
  readonly clientId?: string;
  readonly channelArn: string;
  /** The Kinesis video stream the channel records into, when KVS names it. */
  readonly streamArn?: string;
}

/**
 * The body of every error the function answers with, whatever its status (see {@link ERROR_CODES}).
 * API Gateway's own refusals (401, 403, 429, 500 before the function runs) are `{"message": …}` instead.
 */
export interface ErrorAnswer {
  readonly error: {
    /** What went wrong, stable and meant for programs. */
    readonly code: ErrorCode;
    /** What went wrong, for people: safe to show, and may change. Never upstream error text or credentials. */
    readonly message: string;
  };
}

/**
 * The error codes of the API's `{"error": {"code", "message"}}` answers, each with its HTTP
 * status: 400 `InvalidRequest`; 403 `ChannelNotAllowed`, `CallerNotIdentified`, `CallerBlocked`;
 * 404 `ChannelNotFound`; 429 `Throttled` (with `Retry-After`); 502 `UpstreamError`;
 * 503 `Unavailable` (with `Retry-After`); 504 `UpstreamTimeout`; 500 `InternalError`.
 */
export const ERROR_CODES = [
  'InvalidRequest',
  'ChannelNotAllowed',
  'CallerNotIdentified',
  'CallerBlocked',
  'ChannelNotFound',
  'Throttled',
  'UpstreamError',
  'Unavailable',
  'UpstreamTimeout',
  'InternalError',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
