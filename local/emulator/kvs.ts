import { createHash } from 'node:crypto';
import {
  type ChannelOperation,
  type ChannelRef,
  CLIENT_ID,
  channelOperation,
  invalidArgument,
  optionalString,
} from './kvs-access';
import type { EmulatorContext, OperationHandler } from './operation';
import { mintTurnCredentials } from './turn-credentials';

const PROTOCOLS = new Set(['HTTPS', 'WSS', 'WEBRTC']);
const ROLES = new Set(['MASTER', 'VIEWER']);
/** What KVS returns when the request names no protocols. */
const DEFAULT_PROTOCOLS = ['WSS', 'HTTPS'];
/** KVS's hard TURN credential lifetime, seconds. */
const TURN_TTL_SECONDS = 300;
const TURN_SERVER_SETS = 2;

/** The requested protocols and role (KVS's default role is MASTER). */
function requestedEndpoints(config: unknown): { protocols: string[]; role: string } {
  if (config === undefined || config === null) return { protocols: DEFAULT_PROTOCOLS, role: 'MASTER' };
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw invalidArgument('SingleMasterChannelEndpointConfiguration must be an object.');
  }
  const { Protocols, Role } = config as Record<string, unknown>;
  if (Role !== undefined && !ROLES.has(Role as string))
    throw invalidArgument('Role must be MASTER or VIEWER.');
  const role = typeof Role === 'string' ? Role : 'MASTER';
  if (Protocols === undefined) return { protocols: DEFAULT_PROTOCOLS, role };
  const valid =
    Array.isArray(Protocols) &&
    Protocols.length >= 1 &&
    Protocols.length <= 5 &&
    Protocols.every((p) => PROTOCOLS.has(p));
  if (!valid) throw invalidArgument('Protocols must list 1 to 5 of HTTPS, WSS, WEBRTC.');
  return { protocols: [...new Set(Protocols as string[])], role };
}

/**
 * The emulator serves the HTTPS (signaling API) endpoint and the WSS (signaling WebSocket) one,
 * a path per role as KVS has a host per role; WEBRTC gets a realistic but unserved KVS host name.
 */
function endpointFor(ctx: EmulatorContext, protocol: string, role: string, channel: ChannelRef): string {
  if (protocol === 'HTTPS') return ctx.url;
  if (protocol === 'WSS') return `${ctx.signalingUrl}/${role === 'VIEWER' ? 'viewer' : 'master'}`;
  const id = createHash('sha256').update(channel.arn).digest('hex').slice(0, 8);
  return `https://w-${id}.kinesisvideo.${ctx.region}.${ctx.dnsSuffix}`;
}

/** KVS `GetSignalingChannelEndpoint`'s answer (control plane): an endpoint per protocol asked for. */
function signalingChannelEndpoints(
  ctx: EmulatorContext,
  input: Record<string, unknown>,
  channel: ChannelRef,
) {
  const { protocols, role } = requestedEndpoints(input.SingleMasterChannelEndpointConfiguration);
  const list = () =>
    protocols.map((p) => ({ Protocol: p, ResourceEndpoint: endpointFor(ctx, p, role, channel) }));
  return { answer: () => JSON.stringify({ ResourceEndpointList: list() }) };
}

function iceServerList(ctx: EmulatorContext, channelArn: string) {
  const { host, port, tlsPort, secret } = ctx.turn;
  const Uris = [
    `turn:${host}:${port}?transport=udp`,
    `turns:${host}:${tlsPort}?transport=udp`,
    `turns:${host}:${tlsPort}?transport=tcp`,
  ];
  const expiresAt = Math.floor(ctx.now() / 1000) + TURN_TTL_SECONDS;
  return Array.from({ length: TURN_SERVER_SETS }, (_, i) => {
    const { username, password } = mintTurnCredentials(secret, channelArn, expiresAt + i);
    return { Uris, Username: username, Password: password, Ttl: TURN_TTL_SECONDS };
  });
}

/** KVS signaling `GetIceServerConfig`'s answer (served at the HTTPS channel endpoint): TURN server sets. */
function iceServerConfig(ctx: EmulatorContext, input: Record<string, unknown>, channel: ChannelRef) {
  const clientId = optionalString(input.ClientId, 'ClientId', CLIENT_ID);
  optionalString(input.Username, 'Username', CLIENT_ID);
  if (input.Service !== undefined && input.Service !== 'TURN') throw invalidArgument('Service must be TURN.');
  return { clientId, answer: () => JSON.stringify({ IceServerList: iceServerList(ctx, channel.arn) }) };
}

/** The two KVS operations the broker calls, as REST-JSON handlers (see {@link channelOperation}). */
export function kvsOperationHandlers(ctx: EmulatorContext): OperationHandler[] {
  const operations: ChannelOperation[] = [
    {
      operation: 'GetSignalingChannelEndpoint',
      path: '/getSignalingChannelEndpoint',
      deniedCode: 'AccessDeniedException',
      accept: (input, channel) => signalingChannelEndpoints(ctx, input, channel),
    },
    {
      operation: 'GetIceServerConfig',
      path: '/v1/get-ice-server-config',
      deniedCode: 'NotAuthorizedException',
      accept: (input, channel) => iceServerConfig(ctx, input, channel),
    },
  ];
  return operations.map((operation) => channelOperation(ctx, operation));
}
