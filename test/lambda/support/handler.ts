import { GetSignalingChannelEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetIceServerConfigCommand,
  KinesisVideoSignalingClient,
} from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { ChannelRole } from '@kvs-ice-broker/client/contract';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import { loadConfig } from '../../../lambda/config';
import { type AuthMode, BLOCKED_CALLERS_FORMAT, parseChannelArn } from '../../../lambda/contract';
import { createHandler } from '../../../lambda/create-handler';
import { apiGatewayClaims } from '../../../lambda/http/claims';

export const NOW = Date.parse('2026-11-24T10:00:00.000Z');
export const DEMO_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000';
export const LOBBY_ARN =
  'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby-camera-01/1716796800123';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/kvs-ice-broker-scoped';
export const SIGNALING_ENDPOINT = 'https://r-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com';
export const SESSION = {
  AccessKeyId: 'ASIASCOPEDSESSION0001',
  SecretAccessKey: 'scoped-secret-access-key-must-never-be-logged',
  SessionToken: 'scoped-session-token-must-never-be-logged',
  Expiration: new Date(NOW + 3600_000),
};

export const sts = mockClient(STSClient);
export const kvs = mockClient(KinesisVideoClient);
export const signaling = mockClient(KinesisVideoSignalingClient);

/** A KVS server set as `GetIceServerConfig` returns it, expiring `ttl` seconds after NOW. */
export function kvsServer(n: number, ttl = 300) {
  const host = `10-0-0-${n}.t-${n}.kinesisvideo.us-west-2.amazonaws.com`;
  return {
    Uris: [
      `turn:${host}:443?transport=udp`,
      `turns:${host}:443?transport=udp`,
      `turns:${host}:443?transport=tcp`,
    ],
    Username: `${NOW / 1000 + ttl}:djE6YXJuOmF3czpraW5lc2lzdmlkZW8=`,
    Password: `turn-password-${n}-must-never-be-logged`,
    Ttl: ttl,
  };
}

/** Resets the SDK mocks to a healthy KVS that returns `servers`. */
export function healthyUpstream(servers = [kvsServer(1), kvsServer(2)]): void {
  for (const mock of [sts, kvs, signaling]) mock.reset();
  sts.on(AssumeRoleCommand).resolves({ Credentials: SESSION });
  kvs.on(GetSignalingChannelEndpointCommand).resolves({
    ResourceEndpointList: [
      { Protocol: 'WSS', ResourceEndpoint: 'wss://m-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com' },
      { Protocol: 'HTTPS', ResourceEndpoint: SIGNALING_ENDPOINT },
    ],
  });
  signaling.on(GetIceServerConfigCommand).resolves({ IceServerList: servers });
}

/**
 * The function as deployed (`createHandler`, from the configuration `loadConfig` reads) with SDK
 * calls answered by the mocks above: one attempt per upstream call (retries have their own tests),
 * metrics off, no cold-start work, a fixed clock, and nobody blocked.
 */
export function buildHandler({
  channelArns = [DEMO_ARN, LOBBY_ARN],
  minRemainingTtlSeconds = 120,
  now = NOW,
  logLevel = 'SILENT',
  authMode = 'none',
  channelsClaim,
  signalingRoles = [],
  masterChannelsClaim,
  viewerSlotsPerCaller,
  storageSessions = false,
}: {
  channelArns?: string[];
  minRemainingTtlSeconds?: number;
  now?: number;
  logLevel?: 'SILENT' | 'INFO';
  /** The deployment's auth mode; `none` (anonymous callers) unless a test is about identity. */
  authMode?: AuthMode;
  channelsClaim?: string;
  /** The signaling routes served (`SIGNALING_ROLES`, in lower case); none unless a test is about them. */
  signalingRoles?: readonly Lowercase<ChannelRole>[];
  masterChannelsClaim?: string;
  viewerSlotsPerCaller?: number;
  /** `STORAGE_SESSIONS`: the storage-session route, and `mediaStorage` in the signaling answers. */
  storageSessions?: boolean;
} = {}) {
  const channels = Object.fromEntries(
    channelArns.map((arn) => {
      const channel = parseChannelArn(arn);
      if (!channel) throw new Error(`bad test ARN ${arn}`);
      return [channel.name, arn];
    }),
  );
  const config = loadConfig({
    SCOPED_ROLE_ARN: ROLE_ARN,
    CHANNELS: JSON.stringify(channels),
    AUTH_MODE: authMode,
    BLOCKED_CALLERS_PARAMETER: '/kvs-ice-broker-test/blocked-callers',
    CHANNELS_CLAIM: channelsClaim,
    MASTER_CHANNELS_CLAIM: masterChannelsClaim,
    SIGNALING_ROLES: signalingRoles.join(','),
    MIN_REMAINING_TTL_SECONDS: String(minRemainingTtlSeconds),
    VIEWER_SLOTS_PER_CALLER: viewerSlotsPerCaller?.toString(),
    STORAGE_SESSIONS: String(storageSessions),
    UPSTREAM_ATTEMPTS: '1',
    POWERTOOLS_LOG_LEVEL: logLevel,
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  return createHandler(config, {
    aws: { region: 'us-west-2' },
    clock: () => now,
    prewarm: false,
    blockedCallers: async () => BLOCKED_CALLERS_FORMAT.empty,
  });
}

export function event(
  channel: string,
  body?: unknown,
  overrides: Partial<APIGatewayProxyEventV2> = {},
  route: 'ice-servers' | Lowercase<ChannelRole> | `storage-session/${Lowercase<ChannelRole>}` = 'ice-servers',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `POST /v1/channels/{channel}/${route}`,
    rawPath: `/v1/channels/${channel}/${route}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: { channel },
    isBase64Encoded: false,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      domainName: 'api1234567.execute-api.us-west-2.amazonaws.com',
      domainPrefix: 'api1234567',
      http: {
        method: 'POST',
        path: `/v1/channels/${channel}/${route}`,
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: 'test',
      },
      requestId: 'req-0001',
      routeKey: `POST /v1/channels/{channel}/${route}`,
      stage: '$default',
      time: '24/Nov/2026:10:00:00 +0000',
      timeEpoch: NOW,
    },
    ...overrides,
  };
}

export interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: any;
}

export function parse(response: APIGatewayProxyStructuredResultV2): Parsed {
  return {
    status: response.statusCode ?? 0,
    headers: (response.headers ?? {}) as Record<string, string>,
    body: JSON.parse(response.body ?? 'null'),
  };
}

/** Everything the logger prints while `run` runs. */
export async function captureLogs<T>(run: () => Promise<T>): Promise<{ result: T; logs: string }> {
  const chunks: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }),
  );
  try {
    const result = await run();
    return { result, logs: chunks.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** The event as API Gateway builds it behind an authorizer (`{ jwt: { claims, scopes } }` or `{ iam: {...} }`). */
export function authorized(
  base: APIGatewayProxyEventV2,
  authorizer: Record<string, unknown>,
): APIGatewayProxyEventV2 {
  return { ...base, requestContext: { ...base.requestContext, authorizer } } as APIGatewayProxyEventV2;
}

/** An unsigned JWS compact token carrying `payload`: the function never verifies one (API Gateway's authorizer does). */
export function unsignedToken(payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.c2lnbmF0dXJl`;
}

/**
 * The event as API Gateway builds it behind a JWT authorizer that verified a token carrying
 * `payload`: the token in its `Authorization` header, and the claims flattened as API Gateway
 * passes them (`{ jwt: { claims, scopes: null } }`). A claim given as `undefined` is left out.
 */
export function withToken(
  base: APIGatewayProxyEventV2,
  payload: Record<string, unknown>,
): APIGatewayProxyEventV2 {
  const claims = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined));
  const event = authorized(base, { jwt: { claims: apiGatewayClaims(claims), scopes: null } });
  return { ...event, headers: { ...event.headers, authorization: `Bearer ${unsignedToken(claims)}` } };
}
