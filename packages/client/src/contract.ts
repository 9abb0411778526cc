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
