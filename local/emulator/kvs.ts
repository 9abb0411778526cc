import { createHash } from 'node:crypto';
import { resourceNotFound } from './errors';
import { authorizeKvs, channelOperation, channelRef, invalidArgument, requireChannel } from './kvs-access';
import { type EmulatorContext, handler, type OperationHandler } from './operation';
import { mintTurnCredentials } from './turn-credentials';

/** What KVS returns when the request names no protocols. */
const DEFAULT_PROTOCOLS = ['WSS', 'HTTPS'];
/** KVS's hard TURN credential lifetime, seconds. */
const TURN_TTL_SECONDS = 300;
const TURN_SERVER_SETS = 2;
/** A signaling channel's default message TTL (CreateSignalingChannel's `MessageTtlSeconds`). */
const MESSAGE_TTL_SECONDS = 60;

/** The requested protocols and role (KVS's default role is MASTER); the shape has checked their values. */
function requestedEndpoints(config: unknown): { protocols: string[]; role: string } {
  const { Protocols, Role } = (config ?? {}) as { Protocols?: string[]; Role?: string };
  return { protocols: Protocols ? [...new Set(Protocols)] : DEFAULT_PROTOCOLS, role: Role ?? 'MASTER' };
}

/**
 * The endpoint of a protocol, as KVS hands them out: the signaling API's HTTPS endpoint, the WSS
 * endpoint of the role (a host per role on KVS, a port per role here), and for WEBRTC the storage
 * API's (asked only for a channel that records media).
 */
function endpointFor(ctx: EmulatorContext, protocol: string, role: string): string {
  if (protocol === 'HTTPS') return ctx.signalingEndpoints.https;
  if (protocol === 'WSS')
    return role === 'VIEWER' ? ctx.signalingEndpoints.viewer : ctx.signalingEndpoints.master;
  return ctx.storage.endpoint;
}

function iceServerList(ctx: EmulatorContext, channelArn: string) {
  const { port, tlsPort, secret } = ctx.turn;
  // An IPv6 address is bracketed in a URI (RFC 7065's host is RFC 3986's: IP-literal).
  const host = ctx.turn.host.includes(':') ? `[${ctx.turn.host}]` : ctx.turn.host;
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

/** `DescribeSignalingChannel`'s and `ListSignalingChannels`' `ChannelInfo` of an emulated channel. */
function channelInfo(ctx: EmulatorContext, name: string, arn: string) {
  return {
    ChannelName: name,
    ChannelARN: arn,
    ChannelType: 'SINGLE_MASTER',
    ChannelStatus: 'ACTIVE',
    // REST-JSON timestamps are epoch seconds.
    CreationTime: ctx.createdAt / 1000,
    SingleMasterConfiguration: { MessageTtlSeconds: MESSAGE_TTL_SECONDS },
    Version: createHash('sha256').update(arn).digest('hex').slice(0, 20),
  };
}

/**
 * A control-plane call on one channel, named by exactly one of `ChannelName` and `ChannelARN`:
 * authorization of `kinesisvideo:<operation>` on the channel's ARN (`channel/<name>/*` for a name
 * the account does not have), then, when the call runs, ResourceNotFoundException unless the
 * channel exists, then `answer`'s body.
 */
function namedChannelOperation(
  ctx: EmulatorContext,
  operation: 'DescribeSignalingChannel' | 'DescribeMediaStorageConfiguration',
  answer: (name: string, arn: string) => unknown,
): OperationHandler {
  return handler(operation, (input, principal) => {
    const { ChannelName, ChannelARN } = input as { ChannelName?: string; ChannelARN?: string };
    if ((ChannelName === undefined) === (ChannelARN === undefined))
      throw invalidArgument('Specify either ChannelName or ChannelARN, not both.');
    const channel = ChannelARN !== undefined ? channelRef(ChannelARN) : undefined;
    const name = channel?.name ?? String(ChannelName);
    const arn =
      channel?.arn ??
      ctx.channelArns.get(name) ??
      `arn:${ctx.partition}:kinesisvideo:${ctx.region}:${ctx.accountId}:channel/${name}/*`;
    authorizeKvs(ctx, principal, operation, arn, 'AccessDeniedException');
    return {
      channel: name,
      run: () => {
        if (channel) requireChannel(ctx, channel);
        else if (!ctx.channelArns.has(name)) throw resourceNotFound();
        return JSON.stringify(answer(name, arn));
      },
    };
  });
}

/** KVS `DescribeSignalingChannel` (control plane): a channel by name or by ARN. */
const describeSignalingChannel = (ctx: EmulatorContext): OperationHandler =>
  namedChannelOperation(ctx, 'DescribeSignalingChannel', (name, arn) => ({
    ChannelInfo: channelInfo(ctx, name, arn),
  }));

/**
 * KVS `DescribeMediaStorageConfiguration` (control plane): a channel's media storage, by name or
 * ARN: `ENABLED` with its stream for the channels the emulator records, else `DISABLED`.
 */
const describeMediaStorageConfiguration = (ctx: EmulatorContext): OperationHandler =>
  namedChannelOperation(ctx, 'DescribeMediaStorageConfiguration', (name) => ({
    MediaStorageConfiguration: ctx.storage.channels.has(name)
      ? { StreamARN: ctx.storage.streamArn(name), Status: 'ENABLED' }
      : { Status: 'DISABLED' },
  }));

/** KVS `ListSignalingChannels` (control plane): the channels by name, a page at a time. */
function listSignalingChannels(ctx: EmulatorContext): OperationHandler {
  return handler('ListSignalingChannels', (input, principal) => {
    const { MaxResults, NextToken, ChannelNameCondition } = input as {
      MaxResults?: number;
      NextToken?: string;
      ChannelNameCondition?: { ComparisonValue?: string };
    };
    const start =
      NextToken === undefined || NextToken === '' ? 0 : Number(Buffer.from(NextToken, 'base64').toString());
    if (!Number.isSafeInteger(start) || start < 0) throw invalidArgument('NextToken is not valid.');
    authorizeKvs(ctx, principal, 'ListSignalingChannels', '*', 'AccessDeniedException');
    return {
      run: () => {
        const prefix = ChannelNameCondition?.ComparisonValue ?? '';
        const all = [...ctx.channelArns]
          .filter(([name]) => name.startsWith(prefix))
          .sort(([a], [b]) => a.localeCompare(b));
        const end = start + (MaxResults ?? 10_000);
        const page = all.slice(start, end).map(([name, arn]) => channelInfo(ctx, name, arn));
        const next = end < all.length ? { NextToken: Buffer.from(String(end)).toString('base64') } : {};
        return JSON.stringify({ ChannelInfoList: page, ...next });
      },
    };
  });
}

/**
 * The KVS operations: the control plane's (`GetSignalingChannelEndpoint`, `DescribeSignalingChannel`,
 * `ListSignalingChannels`, `DescribeMediaStorageConfiguration`), the signaling API's
 * `GetIceServerConfig`, and the storage API's `JoinStorageSession[AsViewer]`.
 */
export function kvsOperationHandlers(ctx: EmulatorContext): OperationHandler[] {
  return [
    channelOperation(ctx, {
      operation: 'GetSignalingChannelEndpoint',
      deniedCode: 'AccessDeniedException',
      accept: (input, channel) => {
        const { protocols, role } = requestedEndpoints(input.SingleMasterChannelEndpointConfiguration);
        const list = () =>
          protocols.map((p) => ({ Protocol: p, ResourceEndpoint: endpointFor(ctx, p, role) }));
        return {
          answer: () => {
            // The model's documentation: WEBRTC for a channel not configured for ingestion is refused.
            if (protocols.includes('WEBRTC') && !ctx.storage.channels.has(channel.name))
              throw invalidArgument(`The channel ${channel.name} is not configured for WebRTC ingestion.`);
            return JSON.stringify({ ResourceEndpointList: list() });
          },
        };
      },
    }),
    describeSignalingChannel(ctx),
    listSignalingChannels(ctx),
    describeMediaStorageConfiguration(ctx),
    channelOperation(ctx, {
      operation: 'JoinStorageSession',
      deniedCode: 'AccessDeniedException',
      arnMember: 'channelArn',
      deniedStatus: 403,
      accept: (_input, channel) => ({
        answer: () => {
          ctx.storage.join(channel.name);
          // The model has no output: an empty JSON object.
          return '{}';
        },
      }),
    }),
    channelOperation(ctx, {
      operation: 'JoinStorageSessionAsViewer',
      deniedCode: 'AccessDeniedException',
      arnMember: 'channelArn',
      deniedStatus: 403,
      accept: (input, channel) => {
        const clientId = String(input.clientId);
        return {
          clientId,
          answer: () => {
            ctx.storage.join(channel.name, clientId);
            return '{}';
          },
        };
      },
    }),
    channelOperation(ctx, {
      operation: 'GetIceServerConfig',
      deniedCode: 'NotAuthorizedException',
      accept: (input, channel) => ({
        clientId: typeof input.ClientId === 'string' ? input.ClientId : undefined,
        answer: () => JSON.stringify({ IceServerList: iceServerList(ctx, channel.arn) }),
      }),
    }),
  ];
}
