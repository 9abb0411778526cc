import { createHash } from 'node:crypto';
import type { Principal } from './credentials';
import {
  authorizeChannel,
  type ChannelRef,
  CLIENT_ID,
  channelRef,
  invalidArgument,
  optionalString,
  parseJsonObject,
  requireChannel,
} from './kvs-access';
import type { EmulatorContext, OperationHandler, PreparedCall } from './operation';
import { restJson } from './protocols';
import { mintTurnCredentials } from './turn-credentials';

const PROTOCOLS = new Set(['HTTPS', 'WSS', 'WEBRTC']);
const ROLES = new Set(['MASTER', 'VIEWER']);
/** What KVS returns when the request names no protocols. */
const DEFAULT_PROTOCOLS = ['WSS', 'HTTPS'];
/** KVS's hard TURN credential lifetime, seconds. */
const TURN_TTL_SECONDS = 300;
const TURN_SERVER_SETS = 2;

function requestedProtocols(config: unknown): string[] {
  if (config === undefined || config === null) return DEFAULT_PROTOCOLS;
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw invalidArgument('SingleMasterChannelEndpointConfiguration must be an object.');
  }
  const { Protocols, Role } = config as Record<string, unknown>;
  if (Role !== undefined && !ROLES.has(Role as string))
    throw invalidArgument('Role must be MASTER or VIEWER.');
  if (Protocols === undefined) return DEFAULT_PROTOCOLS;
  const valid =
    Array.isArray(Protocols) &&
    Protocols.length >= 1 &&
    Protocols.length <= 5 &&
    Protocols.every((p) => PROTOCOLS.has(p));
  if (!valid) throw invalidArgument('Protocols must list 1 to 5 of HTTPS, WSS, WEBRTC.');
  return [...new Set(Protocols as string[])];
}

/**
 * Only the HTTPS (signaling API) endpoint is served, by the emulator itself; WSS and WEBRTC get
 * realistic but unserved KVS host names of the emulated partition.
 */
function endpointFor(ctx: EmulatorContext, protocol: string, channel: ChannelRef): string {
  if (protocol === 'HTTPS') return ctx.url;
  const id = createHash('sha256').update(channel.arn).digest('hex').slice(0, 8);
  const host = `kinesisvideo.${ctx.region}.${ctx.dnsSuffix}`;
  return protocol === 'WSS' ? `wss://m-${id}.${host}` : `https://w-${id}.${host}`;
}

/** KVS `GetSignalingChannelEndpoint` (REST-JSON, control plane). */
export function getSignalingChannelEndpointHandler(ctx: EmulatorContext): OperationHandler {
  return {
    operation: 'GetSignalingChannelEndpoint',
    path: '/getSignalingChannelEndpoint',
    service: 'kinesisvideo',
    protocol: restJson,
    prepare(body: Buffer, principal: Principal): PreparedCall {
      const input = parseJsonObject(body);
      const channel = channelRef(input.ChannelARN);
      const protocols = requestedProtocols(input.SingleMasterChannelEndpointConfiguration);
      authorizeChannel(
        ctx,
        principal,
        'kinesisvideo:GetSignalingChannelEndpoint',
        channel,
        'AccessDeniedException',
      );
      return {
        channel: channel.name,
        run: () => {
          requireChannel(ctx, channel);
          const list = protocols.map((p) => ({
            Protocol: p,
            ResourceEndpoint: endpointFor(ctx, p, channel),
          }));
          return JSON.stringify({ ResourceEndpointList: list });
        },
      };
    },
  };
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

/** KVS signaling `GetIceServerConfig` (REST-JSON, served at the HTTPS channel endpoint). */
export function getIceServerConfigHandler(ctx: EmulatorContext): OperationHandler {
  return {
    operation: 'GetIceServerConfig',
    path: '/v1/get-ice-server-config',
    service: 'kinesisvideo',
    protocol: restJson,
    prepare(body: Buffer, principal: Principal): PreparedCall {
      const input = parseJsonObject(body);
      const channel = channelRef(input.ChannelARN);
      const clientId = optionalString(input.ClientId, 'ClientId', CLIENT_ID);
      optionalString(input.Username, 'Username', CLIENT_ID);
      if (input.Service !== undefined && input.Service !== 'TURN')
        throw invalidArgument('Service must be TURN.');
      authorizeChannel(ctx, principal, 'kinesisvideo:GetIceServerConfig', channel, 'NotAuthorizedException');
      return {
        channel: channel.name,
        clientId,
        run: () => {
          requireChannel(ctx, channel);
          return JSON.stringify({ IceServerList: iceServerList(ctx, channel.arn) });
        },
      };
    },
  };
}
