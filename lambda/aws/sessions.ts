import {
  type ChannelProtocol,
  DescribeMediaStorageConfigurationCommand,
  GetSignalingChannelEndpointCommand,
  KinesisVideoClient,
} from '@aws-sdk/client-kinesis-video';
import {
  GetIceServerConfigCommand,
  KinesisVideoSignalingClient,
} from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { ChannelRole } from '@kvs-ice-broker/client/contract';
import { CHANNEL_ROLES } from '@kvs-ice-broker/client/contract';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Channel } from '../contract';
import { connectPermission, KVS_ACTIONS } from '../contract';
import { VendingError } from '../core/errors';
import { type EndpointMode, turnServerSets } from '../core/ice-servers';
import { type Metrics, noMetrics } from '../core/metrics';
import type { TurnServerSet } from '../core/model';
import type {
  Clock,
  IceServerConfigRequest,
  JoinStorageSessionRequest,
  MediaStorageConfiguration,
  PresignConnectRequest,
  ScopedSession,
  SessionProvider,
  SessionPurpose,
  SignalingEndpoints,
} from '../core/ports';
import { type ClientDefaults, endpointSwitches } from './clients';
import { ClockOffset } from './clock-offset';
import { toVendingError } from './errors';

/** Role chaining (a Lambda role assuming another role) caps sessions at one hour. */
const SESSION_SECONDS = 3600;

/** The IAM actions a session of `purpose` may use: `ice`'s two, a role's Connect action, or the one storage action it is named after. */
export function purposeActions(purpose: SessionPurpose): string[] {
  if (purpose === 'ice') return [...KVS_ACTIONS];
  const role = CHANNEL_ROLES.find((known) => known === purpose);
  return [role !== undefined ? connectPermission(role) : `kinesisvideo:${purpose}`];
}

/**
 * Session policy: the scoped role's session may touch only this one channel, and only with the
 * actions of its purpose (a `VIEWER` or `MASTER` session's credentials end up in a presigned URL
 * a client holds: they allow that role's Connect action and nothing else; a storage session
 * allows only its one storage action).
 */
export const sessionPolicy = (channelArn: string, purpose: SessionPurpose = 'ice'): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: purposeActions(purpose), Resource: channelArn }],
  });

/** Short session-name prefixes of the storage purposes (STS caps names at 64 characters). */
const PURPOSE_NAMES: Readonly<Partial<Record<SessionPurpose, string>>> = {
  JoinStorageSession: 'join',
  JoinStorageSessionAsViewer: 'joinviewer',
  DescribeMediaStorageConfiguration: 'storage',
};

/** A readable session name (`ice-<channel>`, `viewer-<channel>`, `join-<channel>`, …) within STS's `[\w+=,.@-]{2,64}`. */
export const roleSessionName = (channelName: string, purpose: SessionPurpose = 'ice'): string =>
  `${PURPOSE_NAMES[purpose] ?? purpose.toLowerCase()}-${channelName}`.slice(0, 64);

/** The endpoint of `protocol` in a `GetSignalingChannelEndpoint` answer; a 502 `UpstreamError` when KVS named none. */
function endpointOf(found: ReadonlyMap<string, string>, protocol: ChannelProtocol): string {
  const endpoint = found.get(protocol);
  if (endpoint) return endpoint;
  throw new VendingError(
    'UpstreamError',
    `KVS returned no ${protocol} ${protocol === 'WEBRTC' ? 'storage' : 'signaling'} endpoint; retry shortly, and tell the operator if it persists`,
  );
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface AwsSessionProviderOptions {
  /** Signs with the broker's clock offset from construction on. */
  readonly sts: STSClient;
  readonly scopedRoleArn: string;
  /** Shared settings (HTTP handler, timeouts, retries) for the KVS clients of each session. */
  readonly clientDefaults: ClientDefaults;
  /** The KVS control plane's endpoint URL (the local emulator's); default the Region's, as the SDK resolves it. */
  readonly kinesisVideoEndpoint?: string;
  /**
   * The KVS control plane's endpoints without `kinesisVideoEndpoint`: dual-stack, FIPS (settings
   * `dualStack`, `fips`). The signaling API is reached where the control plane says, in any mode.
   * @default - IPv4-only, not FIPS
   */
  readonly mode?: EndpointMode;
  readonly clock?: Clock;
  /** Where clock skew between this host and KVS is reported (a metric and a warning). */
  readonly metrics?: Metrics;
}

/** What the sessions of one broker share. */
interface SessionContext {
  readonly defaults: ClientDefaults;
  readonly kinesisVideoEndpoint?: string;
  readonly mode?: EndpointMode;
  readonly clock: Clock;
  readonly clockOffset: ClockOffset;
  readonly metrics: Metrics;
}

/**
 * Opens scoped-role sessions with STS `AssumeRole`. The STS client and the KVS clients of every
 * session sign with one clock offset, so an offset learned from a skew error survives sessions.
 */
export class AwsSessionProvider implements SessionProvider {
  private readonly context: SessionContext;

  constructor(private readonly options: AwsSessionProviderOptions) {
    const clockOffset = new ClockOffset();
    clockOffset.bind(options.sts);
    this.context = {
      defaults: options.clientDefaults,
      ...(options.kinesisVideoEndpoint !== undefined
        ? { kinesisVideoEndpoint: options.kinesisVideoEndpoint }
        : {}),
      ...(options.mode !== undefined ? { mode: options.mode } : {}),
      clock: options.clock ?? Date.now,
      clockOffset,
      metrics: options.metrics ?? noMetrics,
    };
  }

  async openSession(
    channel: Channel,
    signal?: AbortSignal,
    purpose: SessionPurpose = 'ice',
  ): Promise<ScopedSession> {
    const command = new AssumeRoleCommand({
      RoleArn: this.options.scopedRoleArn,
      RoleSessionName: roleSessionName(channel.name, purpose),
      Policy: sessionPolicy(channel.arn, purpose),
      DurationSeconds: SESSION_SECONDS,
    });
    const output = await this.options.sts
      .send(command, { abortSignal: signal })
      .catch((error: unknown) => Promise.reject(toVendingError(error, 'STS AssumeRole')));
    const c = output.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new VendingError(
        'UpstreamError',
        'STS AssumeRole returned no credentials; retry shortly, and tell the operator if it persists',
      );
    }
    const credentials: Credentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      // STS states the expiry on AWS's clock.
      expiration: new Date(this.context.clockOffset.toLocal(c.Expiration.getTime())),
    };
    return new AwsScopedSession(channel.region, credentials, this.context);
  }
}

/** KVS clients signed with one scoped session's credentials. */
class AwsScopedSession implements ScopedSession {
  readonly expiresAt: number;
  /** Made on first use: a viewer or master session only presigns, and never calls KVS. */
  private kvsClient?: KinesisVideoClient;
  /** Made on first presign, then reused: it caches the session's derived signing key. */
  private signer?: SignatureV4;
  /** One signaling client per endpoint; a session sees one or two. They share the HTTP agents. */
  private readonly signaling = new Map<string, KinesisVideoSignalingClient>();

  constructor(
    private readonly region: string,
    private readonly credentials: Credentials,
    private readonly context: SessionContext,
  ) {
    this.expiresAt = credentials.expiration.getTime();
  }

  private get kvs(): KinesisVideoClient {
    this.kvsClient ??= this.context.clockOffset.bind(
      new KinesisVideoClient({
        ...this.context.defaults,
        region: this.region,
        credentials: this.credentials,
        ...(this.context.kinesisVideoEndpoint !== undefined
          ? { endpoint: this.context.kinesisVideoEndpoint }
          : {}),
        ...endpointSwitches(this.context.mode, this.context.kinesisVideoEndpoint),
      }),
    );
    return this.kvsClient;
  }

  async getSignalingEndpoints(
    channelArn: string,
    role: ChannelRole,
    signal?: AbortSignal,
  ): Promise<SignalingEndpoints> {
    const found = await this.resourceEndpoints(channelArn, role, ['WSS', 'HTTPS'], signal).catch(
      (error: unknown) => Promise.reject(toVendingError(error, 'KVS GetSignalingChannelEndpoint')),
    );
    return { https: endpointOf(found, 'HTTPS'), wss: endpointOf(found, 'WSS') };
  }

  async describeMediaStorage(channelArn: string, signal?: AbortSignal): Promise<MediaStorageConfiguration> {
    const output = await this.kvs
      .send(new DescribeMediaStorageConfigurationCommand({ ChannelARN: channelArn }), { abortSignal: signal })
      .catch((error: unknown) =>
        Promise.reject(toVendingError(error, 'KVS DescribeMediaStorageConfiguration')),
      );
    const configuration = output.MediaStorageConfiguration;
    const streamArn = configuration?.StreamARN;
    return {
      enabled: configuration?.Status === 'ENABLED',
      ...(streamArn ? { streamArn } : {}),
    };
  }

  async getStorageEndpoint(channelArn: string, role: ChannelRole, signal?: AbortSignal): Promise<string> {
    const found = await this.resourceEndpoints(channelArn, role, ['WEBRTC'], signal).catch((error: unknown) =>
      Promise.reject(
        (error as { name?: string } | undefined)?.name === 'InvalidArgumentException'
          ? new VendingError(
              'InvalidRequest',
              "KVS refuses the channel's WEBRTC endpoint: the channel does not record media (connect through its viewer or master route without a storage session)",
              { cause: error },
            )
          : toVendingError(error, 'KVS GetSignalingChannelEndpoint'),
      ),
    );
    return endpointOf(found, 'WEBRTC');
  }

  async joinStorageSession(request: JoinStorageSessionRequest, signal?: AbortSignal): Promise<void> {
    // Loaded on first use: only the storage-session route needs it, and module init counts at cold start.
    const { sendJoinStorageSession } = await import('./storage-api');
    await sendJoinStorageSession(
      {
        region: this.region,
        credentials: this.credentials,
        defaults: this.context.defaults,
        signingDate: () => new Date(this.context.clock() + this.context.clockOffset.offsetMs),
      },
      request,
      signal,
    );
  }

  /** KVS `GetSignalingChannelEndpoint` for `role`: the endpoint of each protocol it answers, by protocol; rejects with the SDK's error. */
  private async resourceEndpoints(
    channelArn: string,
    role: ChannelRole,
    protocols: ChannelProtocol[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, string>> {
    const command = new GetSignalingChannelEndpointCommand({
      ChannelARN: channelArn,
      SingleMasterChannelEndpointConfiguration: { Protocols: protocols, Role: role },
    });
    const output = await this.kvs.send(command, { abortSignal: signal });
    return new Map(
      (output.ResourceEndpointList ?? []).flatMap(({ Protocol, ResourceEndpoint }) =>
        Protocol && ResourceEndpoint ? [[Protocol, ResourceEndpoint] as const] : [],
      ),
    );
  }

  async presignConnect(request: PresignConnectRequest): Promise<string> {
    const url = new URL(request.endpoint);
    this.signer ??= new SignatureV4({
      credentials: this.credentials,
      region: this.region,
      service: 'kinesisvideo',
      sha256: Sha256,
    });
    const signer = this.signer;
    const query: Record<string, string> = { 'X-Amz-ChannelARN': request.channelArn };
    if (request.clientId !== undefined) query['X-Amz-ClientId'] = request.clientId;
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname,
        query,
        headers: { host: url.host },
      },
      // AWS checks X-Amz-Date against its own clock.
      {
        expiresIn: request.expiresInSeconds,
        signingDate: new Date(this.context.clock() + this.context.clockOffset.offsetMs),
      },
    );
    const search = new URLSearchParams(presigned.query as Record<string, string>);
    return `${url.protocol}//${url.host}${url.pathname}?${search.toString()}`;
  }

  async getIceServerConfig(request: IceServerConfigRequest, signal?: AbortSignal): Promise<TurnServerSet[]> {
    const command = new GetIceServerConfigCommand({
      ChannelARN: request.channelArn,
      Service: 'TURN',
      ClientId: request.clientId,
      Username: request.clientId,
    });
    const output = await this.signalingClient(request.endpoint)
      .send(command, { abortSignal: signal })
      .catch((error: unknown) => Promise.reject(toVendingError(error, 'KVS GetIceServerConfig')));
    const servers = (output.IceServerList ?? []).flatMap((server) =>
      server.Uris?.length && server.Username && server.Password && server.Ttl
        ? [
            {
              uris: server.Uris,
              username: server.Username,
              password: server.Password,
              ttlSeconds: server.Ttl,
            },
          ]
        : [],
    );
    return turnServerSets(servers, this.context.clock(), this.context.metrics);
  }

  private signalingClient(endpoint: string): KinesisVideoSignalingClient {
    let client = this.signaling.get(endpoint);
    if (!client) {
      client = this.context.clockOffset.bind(
        new KinesisVideoSignalingClient({
          ...this.context.defaults,
          region: this.region,
          credentials: this.credentials,
          endpoint,
          // The endpoint KVS returned is already of the mode; the SDK would refuse the switches with it.
          ...endpointSwitches(undefined, endpoint),
        }),
      );
      this.signaling.set(endpoint, client);
    }
    return client;
  }
}
