import { Sha256 } from '@aws-crypto/sha256-js';
import { KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoSignalingClient } from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { scopedRoleStatements } from '../../../../lib/iam-policies';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../../../local/emulator';

export const TURN = { host: '127.0.0.1', port: 3478, tlsPort: 5349, secret: 'test-turn-secret' };

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A settable clock for the emulator, starting at the real time (so SDK signatures are fresh). */
export class FakeClock {
  ms = Date.now();
  readonly now = (): number => this.ms;
  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }
  /** What an SDK client must add to its own clock to sign at emulator time. */
  offset(): number {
    return this.ms - Date.now();
  }
}

/**
 * What a stack that serves both signaling routes grants its scoped role (lib/iam-policies.ts):
 * the Connect actions besides the ICE calls. The emulator's default is a stack without them.
 */
export const SERVES_SIGNALING: Partial<EmulatorOptions> = {
  scopedRolePolicy: (channelArns) => scopedRoleStatements(channelArns, ['VIEWER', 'MASTER']),
};

/**
 * A stack with storage sessions (WebRTC ingestion) whose `demo` channel records media: the scoped
 * role has the join actions and DescribeMediaStorageConfiguration besides the signaling ones.
 */
export const STORES_MEDIA: Partial<EmulatorOptions> = {
  storageChannels: ['demo'],
  scopedRolePolicy: (channelArns) => scopedRoleStatements(channelArns, ['VIEWER', 'MASTER'], true),
};

export function startTestEmulator(overrides: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  return startEmulator({ channels: ['demo', 'lobby'], turn: TURN, ...overrides });
}

/** SDK client settings pointing at an endpoint of the emulator, one attempt each (no retry delays in tests). */
const clientConfig = (
  emulator: Emulator,
  credentials: Credentials,
  systemClockOffset = 0,
  endpoint = emulator.url,
) => ({
  endpoint,
  region: emulator.region,
  credentials,
  maxAttempts: 1,
  systemClockOffset,
});

export function stsClient(
  emulator: Emulator,
  credentials: Credentials = emulator.executionCredentials,
): STSClient {
  return new STSClient(clientConfig(emulator, credentials));
}

export function kvsClient(
  emulator: Emulator,
  credentials: Credentials,
  systemClockOffset = 0,
): KinesisVideoClient {
  return new KinesisVideoClient(clientConfig(emulator, credentials, systemClockOffset));
}

/** A KVS signaling client at the channels' HTTPS endpoint, where KVS serves GetIceServerConfig. */
export function signalingClient(
  emulator: Emulator,
  credentials: Credentials,
  systemClockOffset = 0,
): KinesisVideoSignalingClient {
  return new KinesisVideoSignalingClient(
    clientConfig(emulator, credentials, systemClockOffset, emulator.signalingEndpoints.https),
  );
}

/** Runs `use` with an SDK client and destroys the client afterwards, whatever the outcome. */
export async function withClient<C extends { destroy(): void }, T>(
  client: C,
  use: (client: C) => Promise<T>,
): Promise<T> {
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

/** A session policy allowing both KVS actions on the given resources. */
export const kvsPolicy = (...resources: string[]): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['kinesisvideo:GetSignalingChannelEndpoint', 'kinesisvideo:GetIceServerConfig'],
        Resource: resources,
      },
    ],
  });

/** Assumes the scoped role with the execution credentials and returns the session's credentials. */
export async function assumeScopedRole(
  emulator: Emulator,
  options: { policy?: string; durationSeconds?: number } = {},
): Promise<Required<Credentials>> {
  const out = await withClient(stsClient(emulator), (sts) =>
    sts.send(
      new AssumeRoleCommand({
        RoleArn: emulator.scopedRoleArn,
        RoleSessionName: 'emulator-test',
        Policy: options.policy,
        DurationSeconds: options.durationSeconds ?? 900,
      }),
    ),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
    throw new Error('AssumeRole returned no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** The ARN of a channel the emulator was started with. */
export function channelArn(emulator: Emulator, name: string): string {
  const arn = emulator.channelArns.get(name);
  if (arn === undefined) throw new Error(`emulator has no channel ${name}`);
  return arn;
}

/** Awaits a promise expected to reject and returns the rejection (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export interface RawCall {
  path: string;
  /** The endpoint to send to; default the one that serves `path` (the signaling API for GetIceServerConfig). */
  endpoint?: string;
  body: string;
  credentials: Credentials;
  service?: string;
  region?: string;
  /** Signing time; default now. */
  signingDate?: Date;
  /** Changes the signed headers before sending (to forge or corrupt a request). */
  tamper?: (headers: Record<string, string>) => void;
}

/** Signs a POST with SigV4 the way the SDK does and sends it with fetch, bypassing the SDK. */
export async function signedFetch(emulator: Emulator, call: RawCall): Promise<Response> {
  const base =
    call.endpoint ??
    (call.path === '/v1/get-ice-server-config' ? emulator.signalingEndpoints.https : emulator.url);
  const url = new URL(base);
  const signer = new SignatureV4({
    credentials: call.credentials,
    region: call.region ?? emulator.region,
    service: call.service ?? 'kinesisvideo',
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: call.path,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body: call.body,
    },
    { signingDate: call.signingDate },
  );
  const { host: _host, ...headers } = signed.headers;
  call.tamper?.(headers);
  return fetch(`${base}${call.path}`, { method: 'POST', headers, body: call.body });
}
