import type { ChannelRole, IceServer, IceServersAnswer, IceServersRequestBody, Transport } from './contract';
import type { IceServerError } from './errors';
import {
  checkOptions,
  type FetchFn,
  fetchOf,
  postJson,
  type RetryPolicy,
  requestUrl,
  type Unchecked,
} from './http';
import type { AwsCredentialsSource } from './sigv4';

export { authHeaders, parseRetryAfter, requestUrl } from './http';

/**
 * What {@link IceServerClient.getIceServers} resolves to: the route's {@link IceServersAnswer}, with
 * `ttl` and `expiresAt` as of now, on this device's clocks.
 */
export interface IceServers extends Pick<IceServersAnswer, 'iceServers' | 'channelArn'> {
  /**
   * Whole seconds the TURN credentials are still valid, now: the answer's `ttl` less the time
   * since it arrived, measured on this client's monotonic clock (so a skewed wall clock does not matter).
   */
  readonly ttl: number;
  /** When the credentials expire, on this device's clock (`Date.now()` + `ttl`); for display and timers. */
  readonly expiresAt: Date;
}

/** `iam` mode: who signs the requests (SigV4, service `execute-api`). */
export interface AwsSigning {
  /**
   * AWS credentials, or a function that returns them (called for every request, so a provider
   * such as the AWS SDK's `fromCognitoIdentityPool` may cache and refresh them).
   */
  readonly credentials: AwsCredentialsSource;
  /** The Region of the API, e.g. `us-west-2`. */
  readonly region: string;
}

/** How {@link IceServerClient.getIceServers} retries 429 and 503 answers and network failures. */
export interface RetryOptions {
  /** Requests in all, the first one included (default 4; 1 disables retries). */
  readonly maxAttempts?: number;
  /** First backoff step in milliseconds, doubled per attempt with full jitter (default 250). */
  readonly baseDelayMs?: number;
  /**
   * Longest wait between attempts, in milliseconds (default 10,000). A `Retry-After` longer than
   * this is honoured by not retrying: the call rejects with the server's error and its `retryAfterSeconds`.
   */
  readonly maxDelayMs?: number;
}

/** How to construct an {@link IceServerClient}. */
export interface IceServerClientOptions {
  /**
   * The API's base URL: a deployment's `ApiUrl` output (with its stage path, if any) or the local
   * runner's `http://127.0.0.1:8080`. `https:` is required except for localhost and loopback addresses.
   */
  readonly baseUrl: string;
  /** The signaling channel's name (`[a-zA-Z0-9_.-]{1,256}`). */
  readonly channel: string;
  /** `VIEWER` (default, decided by the server) or `MASTER`. */
  readonly role?: ChannelRole;
  /**
   * Keep only TURN URIs of these kinds (`udp`, `tcp`, `tls`, `dtls`); default all. One that keeps
   * no TURN server (`tcp` alone: KVS offers none) is refused with 400 `InvalidRequest`.
   */
  readonly transports?: readonly Transport[];
  /** At most this many TURN server sets (KVS has two; one makes ICE gathering quicker); default all. */
  readonly maxServerSets?: number;
  /** `jwt` mode: returns the bearer token for each request (e.g. the app's current ID or access token). */
  readonly getToken?: () => string | Promise<string>;
  /** `iam` mode: SigV4-sign each request with these credentials. */
  readonly aws?: AwsSigning;
  /** The `fetch` to use; default `globalThis.fetch`. */
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Deadline of one `getIceServers()` call in milliseconds, retries and waits included (default 15,000). */
  readonly timeoutMs?: number;
  /**
   * Seconds before the credentials expire at which a cached answer stops being served and
   * {@link keepIceServersFresh} refreshes (default 60; at most half the answer's `ttl` is used).
   * Keep it below the deployment's `minRemainingTtl` (default 120) to get new credentials when refreshing.
   */
  readonly refreshMarginSeconds?: number;
  readonly retry?: RetryOptions;
}

/** Options of one {@link IceServerClient.getIceServers} call. */
export interface GetIceServersOptions {
  /** Aborts this caller's wait (rejecting with `signal.reason`); a request shared with other callers goes on. */
  readonly signal?: AbortSignal;
  /** Skip the cache and ask the server (e.g. after the relay refused the credentials). */
  readonly forceRefresh?: boolean;
}

const DEFAULTS = {
  timeoutMs: 15_000,
  refreshMarginSeconds: 60,
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
} as const;

/** The fields of an answer the client uses (its `expiresAt` is on the broker's clock: `ttl` is not). */
type AnswerFields = Pick<IceServersAnswer, 'iceServers' | 'ttl' | 'channelArn'>;

/** An answer as it arrived, stamped with this client's monotonic clock. */
interface Cached extends AnswerFields {
  /** `performance.now()` when the answer arrived. */
  readonly receivedAt: number;
}

const now = () => performance.now();

/** Rejects with `signal.reason` when `signal` aborts before `promise` settles. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function isIceServer(value: unknown): value is IceServer {
  if (typeof value !== 'object' || value === null) return false;
  const { urls, username, credential } = value as Unchecked<IceServer>;
  return (
    Array.isArray(urls) &&
    urls.every((url) => typeof url === 'string') &&
    (username === undefined || typeof username === 'string') &&
    (credential === undefined || typeof credential === 'string')
  );
}

/** The 200 body's {@link IceServersAnswer} fields, checked: `iceServers`, `ttl` (seconds ≥ 0) and `channelArn`; undefined when it is not the API's. */
function readAnswer(body: unknown): AnswerFields | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { iceServers, ttl, channelArn } = body as Unchecked<IceServersAnswer>;
  if (!Array.isArray(iceServers) || !iceServers.every(isIceServer)) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) return undefined;
  if (typeof channelArn !== 'string') return undefined;
  return { iceServers, ttl, channelArn };
}

/**
 * Gets a signaling channel's ICE servers (STUN and short-lived TURN credentials) from a
 * kvs-ice-broker API, and keeps the answer until shortly before the credentials expire.
 *
 * - **Cache.** An answer is served until its `ttl` less {@link IceServerClientOptions.refreshMarginSeconds}
 *   (at most half the `ttl`) has passed, measured on this client's monotonic clock from when the
 *   answer arrived: the device's wall clock may be skewed from AWS, it does not matter.
 * - **Single flight.** Callers that ask while a request is under way share it.
 * - **Retries.** 429 and 503 answers (and network failures) are retried after the server's
 *   `Retry-After`, or after an exponential backoff with full jitter when it sent none, capped by
 *   `retry.maxDelayMs`, within one deadline (`timeoutMs`).
 * - **Errors.** Rejects with {@link IceServerError}, whose `code` is the broker's error code (or
 *   API Gateway's, or `Timeout` / `NetworkError` / …) and whose `status` is the HTTP status.
 *
 * Auth: none, a bearer token from `getToken` (`jwt` deployments), or SigV4 with `aws` (`iam`
 * deployments; the signer, `aws4fetch`, is loaded only then). The constructor throws a `TypeError`
 * that names a bad option.
 */
export class IceServerClient {
  /** Seconds before expiry at which answers stop being served from the cache (see the options). */
  readonly refreshMarginSeconds: number;
  private readonly url: string;
  private readonly body: string;
  private readonly fetchFn: FetchFn;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private cached: Cached | undefined;
  private inFlight: Promise<Cached> | undefined;

  constructor(private readonly options: IceServerClientOptions) {
    checkOptions('IceServerClient', options);
    this.url = requestUrl(options);
    const body: IceServersRequestBody = {
      ...(options.role !== undefined ? { role: options.role } : {}),
      ...(options.transports !== undefined ? { transports: [...options.transports] } : {}),
      ...(options.maxServerSets !== undefined ? { maxServerSets: options.maxServerSets } : {}),
    };
    this.body = JSON.stringify(body);
    this.fetchFn = fetchOf(options);
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.refreshMarginSeconds = options.refreshMarginSeconds ?? DEFAULTS.refreshMarginSeconds;
    this.retry = {
      maxAttempts: options.retry?.maxAttempts ?? DEFAULTS.maxAttempts,
      baseDelayMs: options.retry?.baseDelayMs ?? DEFAULTS.baseDelayMs,
      maxDelayMs: options.retry?.maxDelayMs ?? DEFAULTS.maxDelayMs,
    };
  }

  /**
   * The channel's ICE servers: from the cache while it is fresh, else from the API (one request
   * for all concurrent callers). Rejects with {@link IceServerError}, or with `signal.reason`
   * when the caller's signal aborts.
   */
  async getIceServers(options: GetIceServersOptions = {}): Promise<IceServers> {
    options.signal?.throwIfAborted();
    const cached = this.cached;
    if (!options.forceRefresh && cached && this.isFresh(cached)) return this.view(cached);
    this.inFlight ??= this.fetchAnswer().finally(() => {
      this.inFlight = undefined;
    });
    return this.view(await abortable(this.inFlight, options.signal));
  }

  /** Forgets the cached answer: the next call asks the server. */
  clearCache(): void {
    this.cached = undefined;
  }

  /**
   * Milliseconds until the cached answer stops being served (0 when there is none or it is
   * stale): when {@link keepIceServersFresh} asks again.
   */
  msUntilRefresh(): number {
    const cached = this.cached;
    return cached ? Math.max(0, cached.receivedAt + this.freshForMs(cached) - now()) : 0;
  }

  private freshForMs(answer: Cached): number {
    return Math.max(answer.ttl - this.refreshMarginSeconds, answer.ttl / 2) * 1000;
  }

  private isFresh(answer: Cached): boolean {
    return now() - answer.receivedAt < this.freshForMs(answer);
  }

  private view(answer: Cached): IceServers {
    const remainingMs = Math.max(0, answer.ttl * 1000 - (now() - answer.receivedAt));
    return {
      iceServers: answer.iceServers.map((server) => ({
        ...server,
        urls: [...server.urls],
      })),
      ttl: Math.floor(remainingMs / 1000),
      expiresAt: new Date(Date.now() + remainingMs),
      channelArn: answer.channelArn,
    };
  }

  /** Requests until an answer, a final error, or the deadline (see {@link postJson}); caches the answer. */
  private async fetchAnswer(): Promise<Cached> {
    const answer = await postJson({
      url: this.url,
      body: this.body,
      auth: this.options,
      fetch: this.fetchFn,
      timeoutMs: this.timeoutMs,
      retry: this.retry,
      read: (body, receivedAt) => {
        const fields = readAnswer(body);
        return fields && { ...fields, receivedAt };
      },
      expected: "the API's JSON (iceServers, ttl, channelArn)",
    });
    this.cached = answer;
    return answer;
  }
}
