import { signalingPath } from '../lambda/contract';
import { errorCodeOf, IceServerError } from './errors';
import {
  authHeaders,
  type IceServer,
  type IceServerClientOptions,
  parseRetryAfter,
  requestUrl,
} from './ice-server-client';

/** A signaling role, as KVS and its SDKs name it (`Role.VIEWER` / `Role.MASTER` of the JS SDK). */
export type SignalingRole = 'VIEWER' | 'MASTER';

/**
 * Everything a peer needs to join a channel in one role, from one call to the broker
 * (`POST /v1/channels/{channel}/viewer|master`): the fields of the SDK's `SignalingClient`
 * configuration, the presigned signaling URL, and the ICE servers.
 */
export interface SignalingConnection {
  readonly role: SignalingRole;
  /** Viewers: the `X-Amz-ClientId` the URL is signed for (the caller's stable id, `.`, a fresh suffix). Absent for the master. */
  readonly clientId?: string;
  readonly channelArn: string;
  /** The channel's Region. */
  readonly region: string;
  readonly signaling: {
    /** The channel's WSS endpoint for the role, presigned (it carries credentials: never log or share it). */
    readonly url: string;
    /** The endpoint without the signature: the SDK's `channelEndpoint`. */
    readonly endpoint: string;
    /** When KVS stops accepting the URL, on this device's clock (at most 300 s away). */
    readonly expiresAt: Date;
  };
  /** STUN and TURN servers for `new RTCPeerConnection({ iceServers })`. */
  readonly iceServers: IceServer[];
  /** Whole seconds the TURN credentials are valid, from when the answer arrived. */
  readonly ttl: number;
  /** When the TURN credentials expire, on this device's clock. */
  readonly expiresAt: Date;
}

/** How to construct a {@link SignalingConnector}: an `IceServerClient`'s options but `role` and the cache's. */
export interface SignalingConnectorOptions
  extends Pick<
    IceServerClientOptions,
    'baseUrl' | 'channel' | 'transports' | 'maxServerSets' | 'getToken' | 'aws' | 'fetch'
  > {
  /** Deadline of one `connect()` in milliseconds, retries included (default 15,000). */
  readonly timeoutMs?: number;
  /** Requests per `connect()`, the first included; 429 and 503 are retried after `Retry-After` (default 3). */
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
const DEFAULT_ATTEMPTS = 3;
/** Longest `Retry-After` honoured by waiting; a longer one fails the call with the server's error. */
const MAX_RETRY_WAIT_MS = 5_000;

function optionError(option: string, problem: string): TypeError {
  return new TypeError(`SignalingConnector: ${option} ${problem}`);
}

/** `new URL(text)`, or undefined; not `URL.canParse`, which Safari has only since 17. */
function parseUrl(text: unknown): URL | undefined {
  try {
    return typeof text === 'string' ? new URL(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The answer's fields, checked; undefined when the body is not a signaling route's answer. */
function readConnection(body: unknown, receivedAt: number): SignalingConnection | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const signaling = b.signaling as Record<string, unknown> | undefined;
  const url = parseUrl(signaling?.url);
  const signedFor = Date.parse(String(signaling?.expiresAt)) - Date.parse(String(b.expiresAt));
  if (
    (b.role !== 'VIEWER' && b.role !== 'MASTER') ||
    typeof b.channelArn !== 'string' ||
    typeof b.region !== 'string' ||
    !url ||
    !Array.isArray(b.iceServers) ||
    typeof b.ttl !== 'number' ||
    Number.isNaN(signedFor)
  ) {
    return undefined;
  }
  // Both expiries are on the broker's clock: keep their difference, anchored at receipt with `ttl`.
  const iceExpiresAt = receivedAt + b.ttl * 1000;
  return {
    role: b.role,
    ...(typeof b.clientId === 'string' ? { clientId: b.clientId } : {}),
    channelArn: b.channelArn,
    region: b.region,
    signaling: {
      url: url.toString(),
      endpoint: `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`,
      expiresAt: new Date(iceExpiresAt + signedFor),
    },
    iceServers: b.iceServers as IceServer[],
    ttl: b.ttl,
    expiresAt: new Date(iceExpiresAt),
  };
}

/**
 * Connects peers to a KVS signaling channel through a kvs-ice-broker deployment with signaling
 * routes (context `signalingRoles`): no AWS credentials on the device. {@link connect} returns the
 * whole {@link SignalingConnection} in one request; {@link requestSigner} plugs into the official
 * JS SDK's `SignalingClient` in place of `credentials`, and fetches a fresh presigned URL for every
 * (re)connect. Rejects with `IceServerError` (the broker's or API Gateway's code, `Timeout`,
 * `NetworkError`, `InvalidResponse`, `CredentialsError`); the constructor throws a `TypeError`
 * naming a bad option.
 *
 * ```ts
 * const connector = new SignalingConnector({ baseUrl, channel: 'demo', getToken });
 * const connection = await connector.connect('VIEWER');
 * const client = new SignalingClient({ ...sdkConfig(connection), requestSigner: connector.requestSigner(connection) });
 * ```
 */
export class SignalingConnector {
  private readonly urls: Readonly<Record<SignalingRole, string>>;
  private readonly fetchFn: (input: string, init: RequestInit) => Promise<Response>;
  private readonly body: string;

  constructor(private readonly options: SignalingConnectorOptions) {
    // The checks of `baseUrl` and `channel` are IceServerClient's (a TypeError naming the option).
    this.urls = {
      VIEWER: requestUrl(options, (channel) => signalingPath('viewer', channel)),
      MASTER: requestUrl(options, (channel) => signalingPath('master', channel)),
    };
    if (options.getToken !== undefined && options.aws !== undefined) {
      throw optionError('getToken', 'and aws exclude each other: a deployment uses either jwt or iam auth');
    }
    const custom = options.fetch;
    if (custom === undefined && typeof globalThis.fetch !== 'function') {
      throw optionError('fetch', 'is required: this runtime has no global fetch');
    }
    this.fetchFn = custom ?? ((input, init) => globalThis.fetch(input, init));
    this.body = JSON.stringify({
      ...(options.transports !== undefined ? { transports: [...options.transports] } : {}),
      ...(options.maxServerSets !== undefined ? { maxServerSets: options.maxServerSets } : {}),
    });
  }

  /**
   * One request to the broker's route for `role`: the channel's presigned signaling URL (a fresh
   * viewer ClientId each time) and its ICE servers. 429 and 503 are retried after their
   * `Retry-After` (at most 5 s) within `timeoutMs`; `signal` aborts the call.
   */
  async connect(role: SignalingRole, options: { signal?: AbortSignal } = {}): Promise<SignalingConnection> {
    const url = this.urls[role];
    if (url === undefined) throw optionError('role', `must be VIEWER or MASTER, got "${String(role)}"`);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const onAbort = () => deadline.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.attempts(url, deadline.signal);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Requests until a connection, a final error, or the attempts are spent. */
  private async attempts(url: string, signal: AbortSignal): Promise<SignalingConnection> {
    const attempts = this.options.maxAttempts ?? DEFAULT_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(url, signal);
      if (!(outcome instanceof IceServerError)) return outcome;
      const waitMs = (outcome.retryAfterSeconds ?? 1) * 1000;
      if (!outcome.retryable || attempt >= attempts || waitMs > MAX_RETRY_WAIT_MS) throw outcome;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      if (signal.aborted) throw outcome;
    }
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

  /** One request: the connection, or the error it ended in (thrown only when the deadline passed). */
  private async attempt(url: string, signal: AbortSignal): Promise<SignalingConnection | IceServerError> {
    const headers = await authHeaders(this.options, url, this.body);
    let response: Response;
    try {
      response = await this.fetchFn(url, { method: 'POST', headers, body: this.body, signal });
    } catch (error) {
      const code = signal.aborted ? 'Timeout' : 'NetworkError';
      return new IceServerError(code, `could not get an answer from POST ${url}: ${String(error)}`, {
        cause: error,
      });
    }
    const receivedAt = Date.now();
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const { code, message } = errorCodeOf(response.status, body);
      const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
      return new IceServerError(
        code,
        `POST ${url} answered ${response.status} ${code}${message ? `: ${message}` : ''}`,
        {
          status: response.status,
          ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
        },
      );
    }
    return (
      readConnection(body, receivedAt) ??
      new IceServerError(
        'InvalidResponse',
        `POST ${url} answered ${response.status} without a signaling connection`,
        {
          status: response.status,
        },
      )
    );
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
  role: SignalingRole;
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
