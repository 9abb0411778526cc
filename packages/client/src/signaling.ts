import {
  type ChannelRole,
  type IceServer,
  type MediaStorage,
  type SignalingAnswer,
  type SignalingRequestBody,
  type StorageSessionAnswer,
  type StorageSessionRequestBody,
  signalingPath,
  storageSessionPath,
} from './contract';
import {
  checkOptions,
  type FetchFn,
  fetchOf,
  optionError,
  postJson,
  type RetryPolicy,
  requestUrl,
  type Unchecked,
} from './http';
import type { IceServerClientOptions } from './ice-server-client';

/**
 * Everything a peer needs to join a channel in one role, from one call to the broker
 * (`POST /v1/channels/{channel}/viewer|master`): the fields of the SDK's `SignalingClient`
 * configuration, the presigned signaling URL, and the ICE servers. The route's
 * {@link SignalingAnswer}, with its expiries as `Date`s on this device's clock.
 */
export interface SignalingConnection extends Omit<SignalingAnswer, 'signaling' | 'expiresAt'> {
  readonly signaling: {
    /** The channel's WSS endpoint for the role, presigned (it carries credentials: never log or share it). */
    readonly url: string;
    /** The endpoint without the signature: the SDK's `channelEndpoint`. */
    readonly endpoint: string;
    /** When KVS stops accepting the URL, on this device's clock (at most 300 s away). */
    readonly expiresAt: Date;
  };
  /** When the TURN credentials expire, on this device's clock. */
  readonly expiresAt: Date;
}

/** How to construct a {@link SignalingConnector}: an `IceServerClient`'s options but `role` and the cache's. */
export interface SignalingConnectorOptions
  extends Pick<
    IceServerClientOptions,
    'baseUrl' | 'channel' | 'transports' | 'maxServerSets' | 'getToken' | 'aws' | 'fetch'
  > {
  /** Deadline of one `connect()` in milliseconds, retries and waits included (an integer ≥ 1; default 15,000). */
  readonly timeoutMs?: number;
  /**
   * Requests per `connect()`, the first included (an integer ≥ 1; default 3). 429 and 503 answers
   * and network failures are retried as `IceServerClient` retries them, after the server's
   * `Retry-After` (one longer than 5 s fails the call with the server's error and its
   * `retryAfterSeconds`), else after an exponential backoff with full jitter (250 ms doubled per attempt).
   */
  readonly maxAttempts?: number;
}

/**
 * The `requestSigner` option of the official KVS WebRTC JS SDK's `SignalingClient`
 * (`amazon-kinesis-video-streams-webrtc`): its `getSignedURL` is called on every `open()`.
 */
export interface BrokerRequestSigner {
  getSignedURL(endpoint: string, queryParams: Record<string, string>, date?: Date): Promise<string>;
}

/** A presigned URL is reused only while it has at least this long left; later a new one is fetched. */
const URL_REUSE_MARGIN_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 15_000;
/** `maxAttempts` 3; the longest `Retry-After` honoured by waiting is 5 s, a longer one fails the call with the server's error. */
const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 5_000 };
const OWNER = 'SignalingConnector';

/** `new URL(text)`, or undefined; not `URL.canParse`, which Safari has only since 17. */
function parseUrl(text: unknown): URL | undefined {
  try {
    return typeof text === 'string' ? new URL(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The body's {@link SignalingAnswer} fields, checked; undefined when it is not a signaling route's answer. */
function readAnswer(body: unknown): SignalingAnswer | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Unchecked<SignalingAnswer>;
  const signaling = b.signaling as Unchecked<SignalingAnswer['signaling']> | undefined;
  const url = parseUrl(signaling?.url);
  if (
    (b.role !== 'VIEWER' && b.role !== 'MASTER') ||
    typeof b.channelArn !== 'string' ||
    typeof b.region !== 'string' ||
    !url ||
    !Array.isArray(b.iceServers) ||
    typeof b.ttl !== 'number'
  ) {
    return undefined;
  }
  return {
    role: b.role,
    ...(typeof b.clientId === 'string' ? { clientId: b.clientId } : {}),
    ...(isViewerSlot(b.viewerSlot) ? { viewerSlot: { slot: b.viewerSlot.slot, of: b.viewerSlot.of } } : {}),
    ...mediaStorageOf(b.mediaStorage),
    channelArn: b.channelArn,
    region: b.region,
    signaling: { url: url.toString(), expiresAt: String(signaling?.expiresAt) },
    iceServers: b.iceServers as IceServer[],
    ttl: b.ttl,
    expiresAt: String(b.expiresAt),
  };
}

/**
 * The connection an answer that arrived at `receivedAt` (epoch ms, this device's clock) describes;
 * undefined when its expiries are not times.
 */
function connectionOf(answer: SignalingAnswer, receivedAt: number): SignalingConnection | undefined {
  const signedFor = Date.parse(answer.signaling.expiresAt) - Date.parse(answer.expiresAt);
  if (Number.isNaN(signedFor)) return undefined;
  // Both expiries are on the broker's clock: keep their difference, anchored at receipt with `ttl`.
  const iceExpiresAt = receivedAt + answer.ttl * 1000;
  const url = new URL(answer.signaling.url);
  return {
    ...answer,
    signaling: {
      url: answer.signaling.url,
      endpoint: `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`,
      expiresAt: new Date(iceExpiresAt + signedFor),
    },
    expiresAt: new Date(iceExpiresAt),
  };
}

/**
 * Connects peers to a KVS signaling channel through a kvs-ice-broker deployment with signaling
 * routes (context `signalingRoles`): no AWS credentials on the device. {@link connect} returns the
 * whole {@link SignalingConnection} in one request; {@link requestSigner} plugs into the official
 * JS SDK's `SignalingClient` in place of `credentials`, and fetches a fresh presigned URL for every
 * (re)connect. Requests, retries and errors are `IceServerClient`'s (client/http.ts): rejects with
 * `IceServerError` (the broker's or API Gateway's code, `HttpError`, `Timeout`, `NetworkError`,
 * `InvalidResponse`, `CredentialsError`), or with the caller's `signal.reason`; the constructor
 * throws a `TypeError` naming a bad option.
 *
 * ```ts
 * const connector = new SignalingConnector({ baseUrl, channel: 'demo', getToken });
 * const connection = await connector.connect('VIEWER');
 * const client = new SignalingClient({ ...sdkConfig(connection), requestSigner: connector.requestSigner(connection) });
 * ```
 */
export class SignalingConnector {
  private readonly urls: Readonly<Record<ChannelRole, string>>;
  private readonly fetchFn: FetchFn;
  private readonly body: string;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: SignalingConnectorOptions) {
    // The checks are IceServerClient's (a TypeError naming the option).
    checkOptions(OWNER, options);
    this.urls = {
      VIEWER: requestUrl(options, (channel) => signalingPath('VIEWER', channel), OWNER),
      MASTER: requestUrl(options, (channel) => signalingPath('MASTER', channel), OWNER),
    };
    this.fetchFn = fetchOf(options);
    const body: SignalingRequestBody = {
      ...(options.transports !== undefined ? { transports: [...options.transports] } : {}),
      ...(options.maxServerSets !== undefined ? { maxServerSets: options.maxServerSets } : {}),
    };
    this.body = JSON.stringify(body);
    this.retry = { ...DEFAULT_RETRY, maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts };
  }

  /**
   * One request to the broker's route for `role`: the channel's presigned signaling URL (a fresh
   * viewer ClientId each time) and its ICE servers. Retries as {@link SignalingConnectorOptions.maxAttempts}
   * says, within `timeoutMs`. Rejects with `IceServerError` (as `IceServerClient.getIceServers`
   * does: `HttpError` for a 5xx other than 503, `Timeout` past `timeoutMs`, …), or with
   * `signal.reason` as soon as `signal` aborts (the request under way or the wait to retry).
   */
  async connect(role: ChannelRole, options: { signal?: AbortSignal } = {}): Promise<SignalingConnection> {
    const url = this.urls[role];
    if (url === undefined)
      throw optionError(OWNER, 'role', `must be VIEWER or MASTER, got "${String(role)}"`);
    return postJson(
      {
        url,
        body: this.body,
        auth: this.options,
        fetch: this.fetchFn,
        timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        retry: this.retry,
        // The connection's expiries are `Date`s: the arrival on the wall clock.
        read: (body, receivedAt) => {
          const answer = readAnswer(body);
          return answer && connectionOf(answer, Date.now() - (performance.now() - receivedAt));
        },
        expected: 'a signaling connection',
      },
      options.signal,
    );
  }

  /**
   * Joins `connection`'s storage session (WebRTC ingestion, deployments with `storageSessions`):
   * `POST` to its role's storage-session route (`/v1/channels/{channel}/storage-session/viewer`
   * or `…/master`) the join its answer names (`mediaStorage.join`: a viewer's ClientId, nothing for
   * the master). Call it once the SDK's signaling client is open (its `open` event), then answer
   * the SDP offer that KVS's recording peer sends over it. KVS's join is not idempotent (each call
   * sends one offer), and a request lost on the network may still have reached KVS: this sends it
   * once and never retries it, whatever the answer (a 429 or 503 too); join again only when no
   * offer arrives (the JS SDK's sample waits 6 seconds). Throws a `TypeError`, sending nothing,
   * when the channel records no media (`mediaStorage.enabled` false or absent: connect peer to
   * peer instead) or when the connection's join is for another channel or role than this
   * connector's; rejects with `IceServerError` when the broker refuses (its code, status and
   * `retryAfterSeconds`) or cannot be reached.
   */
  async joinStorageSession(
    connection: Pick<SignalingConnection, 'role' | 'mediaStorage'>,
    options: { signal?: AbortSignal } = {},
  ): Promise<StorageSessionAnswer> {
    const join = connection.mediaStorage?.join;
    if (connection.mediaStorage?.enabled !== true || join === undefined)
      throw optionError(
        OWNER,
        'connection',
        'is for a channel that records no media: connect peer to peer instead',
      );
    const { role } = connection;
    // The join goes to this connector's channel: a connection of another channel (or role) would
    // join that one's storage session with this channel's route, under another ClientId's name.
    const path = storageSessionPath(role, this.options.channel);
    if (join.path !== path)
      throw optionError(
        OWNER,
        'connection',
        `is for the storage session at ${join.path}, this connector's is ${path}`,
      );
    return postJson(
      {
        url: requestUrl(this.options, () => path, OWNER),
        body: JSON.stringify(role === 'VIEWER' ? { clientId: join.body.clientId } : {}),
        auth: this.options,
        fetch: this.fetchFn,
        timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        retry: { ...this.retry, maxAttempts: 1 },
        read: (body) => readStorageAnswer(body),
        expected: 'a storage session answer',
      },
      options.signal,
    );
  }

  /**
   * A `requestSigner` for the SDK's `SignalingClient` of the same role: the first `open()` uses
   * `first`'s URL while it has 30 s left, every later one (a reconnect) asks the broker again.
   * The SDK's own query parameters are not used: the broker signs for the channel and ClientId it
   * grants. Throws when the SDK asks for another channel than the connection's.
   */
  requestSigner(first: SignalingConnection): BrokerRequestSigner {
    let unused: SignalingConnection | undefined = first;
    return {
      getSignedURL: async (_endpoint, queryParams) => {
        const asked = queryParams['X-Amz-ChannelARN'];
        if (asked !== undefined && asked !== first.channelArn) {
          throw new Error(
            `the SignalingClient asks for channel ${asked}, this signer connects to ${first.channelArn}`,
          );
        }
        const reuse = unused && unused.signaling.expiresAt.getTime() - Date.now() > URL_REUSE_MARGIN_MS;
        const connection = reuse && unused ? unused : await this.connect(first.role);
        unused = undefined;
        return connection.signaling.url;
      },
    };
  }
}

/**
 * The SDK `SignalingClient` configuration of a connection, less the `requestSigner`:
 * `{ channelARN, channelEndpoint, clientId (viewers), role, region }`.
 */
export function sdkConfig(connection: SignalingConnection): {
  channelARN: string;
  channelEndpoint: string;
  clientId?: string;
  role: ChannelRole;
  region: string;
} {
  return {
    channelARN: connection.channelArn,
    channelEndpoint: connection.signaling.endpoint,
    ...(connection.clientId !== undefined ? { clientId: connection.clientId } : {}),
    role: connection.role,
    region: connection.region,
  };
}

/** `{ mediaStorage }` when the answer has one that fits the contract, else nothing. */
function mediaStorageOf(value: unknown): { mediaStorage?: MediaStorage } {
  const mediaStorage = value === undefined ? undefined : readMediaStorage(value);
  return mediaStorage ? { mediaStorage } : {};
}

/** The answer's `mediaStorage`, checked against the contract (a copy); undefined when it does not fit. */
function readMediaStorage(value: unknown): MediaStorage | undefined {
  const m = value as Unchecked<MediaStorage> | null | undefined;
  if (typeof m?.enabled !== 'boolean') return undefined;
  if (m.join === undefined) return { enabled: m.enabled };
  const join = m.join as Unchecked<NonNullable<MediaStorage['join']>> | null;
  const body = join?.body as Unchecked<StorageSessionRequestBody> | null | undefined;
  if (typeof join?.path !== 'string' || typeof body !== 'object' || body === null) return undefined;
  if (body.clientId !== undefined && typeof body.clientId !== 'string') return undefined;
  const clientId = typeof body.clientId === 'string' ? { clientId: body.clientId } : {};
  return { enabled: m.enabled, join: { path: join.path, body: clientId } };
}

/** The body's {@link StorageSessionAnswer} fields, checked; undefined when it is not a storage-session route's answer. */
function readStorageAnswer(body: unknown): StorageSessionAnswer | undefined {
  const b = body as Unchecked<StorageSessionAnswer> | null | undefined;
  if ((b?.role !== 'VIEWER' && b?.role !== 'MASTER') || typeof b.channelArn !== 'string') return undefined;
  if (b.role === 'VIEWER' && typeof b.clientId !== 'string') return undefined;
  return {
    role: b.role,
    ...(b.role === 'VIEWER' && typeof b.clientId === 'string' ? { clientId: b.clientId } : {}),
    channelArn: b.channelArn,
    ...(typeof b.streamArn === 'string' ? { streamArn: b.streamArn } : {}),
  };
}

function isViewerSlot(value: unknown): value is { slot: number; of: number } {
  const slot = value as { slot?: unknown; of?: unknown } | null | undefined;
  return typeof slot?.slot === 'number' && typeof slot.of === 'number';
}
