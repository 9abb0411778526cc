import { GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import type { ChannelRole } from '@kvs-ice-broker/client/contract';
import WebSocket from 'ws';
import { clientDefaults } from '../../../../lambda/aws/clients';
import { AwsSessionProvider } from '../../../../lambda/aws/sessions';
import { parseChannelArn } from '../../../../lambda/contract';
import type { SessionPurpose } from '../../../../lambda/core/ports';
import type { Emulator } from '../../../../local/emulator';
import { assumeScopedRole, channelArn, kvsClient, kvsPolicy, stsClient, withClient } from './emulator';

/** What a signaling connection request is made of. */
export interface ConnectRequest {
  readonly role: ChannelRole;
  readonly channel?: string;
  /** `X-Amz-ClientId`; default `viewer-1` for viewers, none for the master; `null`: none at all. */
  readonly clientId?: string | null;
  /** Default 300. */
  readonly expiresInSeconds?: number;
  /** The session's policy; default the role's own Connect action (what the broker uses). */
  readonly purpose?: SessionPurpose;
  /** The WebSocket endpoint to sign for; default the WSS endpoint `GetSignalingChannelEndpoint` returns. */
  readonly endpoint?: string;
}

/** The channel's WSS endpoint for a role, from `GetSignalingChannelEndpoint`, as the broker finds it. */
export async function wssEndpoint(emulator: Emulator, role: ChannelRole, channel = 'demo'): Promise<string> {
  const credentials = await assumeScopedRole(emulator, { policy: kvsPolicy(channelArn(emulator, channel)) });
  const out = await withClient(kvsClient(emulator, credentials), (kvs) =>
    kvs.send(
      new GetSignalingChannelEndpointCommand({
        ChannelARN: channelArn(emulator, channel),
        SingleMasterChannelEndpointConfiguration: {
          Protocols: ['WSS', 'HTTPS'],
          Role: role,
        },
      }),
    ),
  );
  const endpoint = out.ResourceEndpointList?.find((e) => e.Protocol === 'WSS')?.ResourceEndpoint;
  if (!endpoint) throw new Error('the emulator returned no WSS endpoint');
  return endpoint;
}

/** A `ConnectAs…` URL presigned by the broker's own AWS adapter (scoped session, session policy, SigV4 query). */
export async function presignedUrl(emulator: Emulator, request: ConnectRequest): Promise<string> {
  const channel = parseChannelArn(channelArn(emulator, request.channel ?? 'demo'));
  if (!channel) throw new Error('bad channel ARN');
  const defaults = clientDefaults({ connectionTimeoutMs: 1000, requestTimeoutMs: 5000, maxAttempts: 1 });
  const sts = stsClient(emulator);
  try {
    const provider = new AwsSessionProvider({
      sts,
      scopedRoleArn: emulator.scopedRoleArn,
      clientDefaults: defaults,
    });
    const session = await provider.openSession(channel, undefined, request.purpose ?? request.role);
    return await session.presignConnect({
      endpoint: request.endpoint ?? (await wssEndpoint(emulator, request.role, channel.name)),
      channelArn: channel.arn,
      clientId:
        request.clientId === null
          ? undefined
          : request.role === 'VIEWER'
            ? (request.clientId ?? 'viewer-1')
            : request.clientId,
      expiresInSeconds: request.expiresInSeconds ?? 300,
    });
  } finally {
    sts.destroy();
  }
}

/** A WebSocket refused at the handshake: the HTTP status and KVS's error type. */
export class HandshakeRefused extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string | undefined,
  ) {
    super(`handshake refused with ${status} ${errorType ?? ''}`);
  }
}

/**
 * Opens a WebSocket (trusting `tls.ca` for `wss://`); rejects with {@link HandshakeRefused} when
 * the server answers the upgrade with an error.
 */
export function openSocket(url: string, tls: { ca?: string } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, tls.ca ? { ca: tls.ca } : {});
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      reject(
        new HandshakeRefused(res.statusCode ?? 0, res.headers['x-amzn-errortype'] as string | undefined),
      );
      res.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** The next JSON message the socket receives. */
export function nextMessage(socket: WebSocket): Promise<Record<string, any>> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(data.toString()))));
}

/** Resolves with the close code and reason once the socket closes. */
export function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** A client message as the KVS SDK sends it: base64 JSON payload. */
export function message(action: string, payload: unknown, extra: Record<string, string> = {}): string {
  return JSON.stringify({
    action,
    messagePayload: Buffer.from(JSON.stringify(payload)).toString('base64'),
    ...extra,
  });
}

/** The payload of a delivered message, decoded. */
export const payloadOf = (delivered: Record<string, any>): unknown =>
  JSON.parse(Buffer.from(String(delivered.messagePayload), 'base64').toString('utf8'));
