import { CHANNEL_NAME_PATTERN, iceServersPath } from '../lambda/contract';
import { CHANNEL_ROLES, type ChannelRole, TRANSPORTS, type Transport } from '../lambda/core/model';
import { errorCodeOf, IceServerError } from './errors';
import { type AwsCredentialsSource, signedHeaders } from './sigv4';

/** An ICE server as the W3C `RTCIceServer` dictionary has it; goes straight into `RTCConfiguration.iceServers`. */
export interface IceServer {
  readonly urls: string | string[];
  readonly username?: string;
  readonly credential?: string;
}

/** What {@link IceServerClient.getIceServers} resolves to. */
export interface IceServers {
  /** The STUN server and the TURN server sets, for `new RTCPeerConnection({ iceServers })`. */
  readonly iceServers: IceServer[];
  /**
   * Whole seconds the TURN credentials are still valid, now: the answer's `ttl` less the time
   * since it arrived, measured on this client's monotonic clock (so a skewed wall clock does not matter).
   */
  readonly ttl: number;
  /** When the credentials expire, on this device's clock (`Date.now()` + `ttl`); for display and timers. */
  readonly expiresAt: Date;
  /** The signaling channel's ARN, as the broker resolved it. */
  readonly channelArn: string;
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
  /** Keep only TURN URIs of these kinds (`udp`, `tcp`, `tls`, `dtls`); default all. */
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

/** Statuses retried after a pause: throttling (the broker's and API Gateway's) and `Unavailable`. */
const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** An answer as it arrived, stamped with this client's monotonic clock. */
interface Cached {
  readonly iceServers: IceServer[];
  readonly ttl: number;
  readonly channelArn: string;
  /** `performance.now()` when the answer arrived. */
  readonly receivedAt: number;
}

const now = () => performance.now();

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function optionError(option: string, problem: string): TypeError {
  return new TypeError(`IceServerClient: ${option} ${problem}`);
}

function checkPositiveInteger(option: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    throw optionError(option, `must be an integer of at least ${min}, got ${String(value)}`);
  }
}

/**
 * The request URL for `options`, validated; throws a `TypeError` naming the option otherwise.
 * `path` gives the route's path for the channel: the ICE servers route by default (the
 * signaling connector of client/signaling.ts passes its own).
 */
export function requestUrl(
  options: Pick<IceServerClientOptions, 'baseUrl' | 'channel'>,
  path: (channel: string) => string = iceServersPath,
): string {
  let base: URL | undefined;
  try {
    base = new URL(options.baseUrl); // not URL.canParse: Safari has it only since 17
  } catch {
    base = undefined;
  }
  if (!base || (base.protocol !== 'https:' && base.protocol !== 'http:') || base.search || base.hash) {
    throw optionError('baseUrl', `must be the API's http(s) URL without query, got "${options.baseUrl}"`);
  }
  if (base.username !== '' || base.password !== '') {
    throw optionError('baseUrl', 'must not carry a user name or password (use getToken or aws)');
  }
  if (base.protocol === 'http:' && !isLoopback(base.hostname)) {
    throw optionError('baseUrl', 'must use https: (http: is only for localhost and loopback addresses)');
  }
  // "." and ".." are KVS names no URL can carry: clients and proxies resolve them away.
  if (!CHANNEL_NAME_PATTERN.test(options.channel) || /^\.{1,2}$/.test(options.channel)) {
    throw optionError(
      'channel',
      `must be a signaling channel name ([a-zA-Z0-9_.-]{1,256}), got "${options.channel}"`,
    );
  }
  return `${base.href.replace(/\/+$/, '')}${path(options.channel)}`;
}

function checkOptions(options: IceServerClientOptions): void {
  for (const name of ['getToken', 'fetch'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw optionError(name, `must be a function, got ${typeof options[name]}`);
    }
  }
  if (options.role !== undefined && !CHANNEL_ROLES.includes(options.role)) {
    throw optionError('role', `must be one of ${CHANNEL_ROLES.join(', ')}, got "${String(options.role)}"`);
  }
  const transports = options.transports;
  if (transports !== undefined) {
    const unknown = transports.find((transport) => !TRANSPORTS.includes(transport));
    if (transports.length === 0 || unknown !== undefined) {
      throw optionError(
        'transports',
        `must list some of ${TRANSPORTS.join(', ')}, got [${transports.join(', ')}]`,
      );
    }
  }
  checkPositiveInteger('maxServerSets', options.maxServerSets, 1);
  checkPositiveInteger('timeoutMs', options.timeoutMs, 1);
  checkPositiveInteger('refreshMarginSeconds', options.refreshMarginSeconds, 0);
  checkPositiveInteger('retry.maxAttempts', options.retry?.maxAttempts, 1);
  checkPositiveInteger('retry.baseDelayMs', options.retry?.baseDelayMs, 0);
  checkPositiveInteger('retry.maxDelayMs', options.retry?.maxDelayMs, 0);
  if (options.getToken !== undefined && options.aws !== undefined) {
    throw optionError('getToken', 'and aws exclude each other: a deployment uses either jwt or iam auth');
  }
  if (options.aws !== undefined && !options.aws.region) {
    throw optionError('aws.region', 'is required to sign requests (the Region of the API)');
  }
  if (options.fetch === undefined && typeof globalThis.fetch !== 'function') {
    throw optionError('fetch', 'is required: this runtime has no global fetch');
  }
}

/**
 * `Retry-After` in seconds: delta-seconds, or an HTTP date (compared with this device's clock);
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/** Sleeps `ms`, or rejects with `signal.reason` as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

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
  const { urls, username, credential } = value as Record<string, unknown>;
  const urlsOk =
    typeof urls === 'string' || (Array.isArray(urls) && urls.every((url) => typeof url === 'string'));
  return (
    urlsOk &&
    (username === undefined || typeof username === 'string') &&
    (credential === undefined || typeof credential === 'string')
  );
}

/** The 200 body, checked: `iceServers`, `ttl` (seconds ≥ 0) and `channelArn`; undefined when it is not the API's. */
function readAnswer(body: unknown): Omit<Cached, 'receivedAt'> | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { iceServers, ttl, channelArn } = body as Record<string, unknown>;
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
  private readonly fetchFn: (input: string, init: RequestInit) => Promise<Response>;
  private readonly timeoutMs: number;
  private readonly retry: Required<RetryOptions>;
  private cached: Cached | undefined;
  private inFlight: Promise<Cached> | undefined;

  constructor(private readonly options: IceServerClientOptions) {
    checkOptions(options);
    this.url = requestUrl(options);
    this.body = JSON.stringify({
      ...(options.role !== undefined ? { role: options.role } : {}),
      ...(options.transports !== undefined ? { transports: [...options.transports] } : {}),
      ...(options.maxServerSets !== undefined ? { maxServerSets: options.maxServerSets } : {}),
    });
    // Called as a plain function: a browser's fetch refuses any `this` but the global object.
    const custom = options.fetch;
    this.fetchFn = custom ?? ((input, init) => globalThis.fetch(input, init));
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
        urls: Array.isArray(server.urls) ? [...server.urls] : server.urls,
      })),
      ttl: Math.floor(remainingMs / 1000),
      expiresAt: new Date(Date.now() + remainingMs),
      channelArn: answer.channelArn,
    };
  }

  /** Requests until an answer, a final error, or the deadline; caches the answer. */
  private async fetchAnswer(): Promise<Cached> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    const startedAt = now();
    try {
      for (let attempt = 1; ; attempt++) {
        const outcome = await this.attempt(deadline.signal);
        if (!(outcome instanceof IceServerError)) {
          this.cached = outcome;
          return outcome;
        }
        const delay = this.retryDelay(outcome, attempt);
        const left = this.timeoutMs - (now() - startedAt);
        if (delay === undefined || delay >= left) throw outcome;
        await sleep(delay, deadline.signal);
      }
    } catch (error) {
      if (deadline.signal.aborted && !(error instanceof IceServerError)) {
        throw new IceServerError('Timeout', `no answer from ${this.describe()} within ${this.timeoutMs} ms`, {
          cause: error,
        });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The wait before the next attempt, or undefined when `error` is final or the attempts are used up. */
  private retryDelay(error: IceServerError, attempt: number): number | undefined {
    if (!error.retryable || attempt >= this.retry.maxAttempts) return undefined;
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    const backoff = Math.random() * ceiling;
    if (error.retryAfterSeconds === undefined) return backoff;
    const asked = error.retryAfterSeconds * 1000;
    return asked > this.retry.maxDelayMs ? undefined : Math.max(asked, backoff);
  }

  /** One request: the answer, or the error it ended in (thrown only for an expired deadline). */
  private async attempt(signal: AbortSignal): Promise<Cached | IceServerError> {
    const headers = await this.headers();
    let response: Response;
    try {
      response = await this.fetchFn(this.url, { method: 'POST', headers, body: this.body, signal });
    } catch (error) {
      if (signal.aborted) throw error;
      return new IceServerError('NetworkError', `could not reach ${this.describe()}: ${String(error)}`, {
        cause: error,
      });
    }
    const receivedAt = now();
    const text = await response.text().catch((error: unknown) => {
      if (signal.aborted) throw error;
      return undefined;
    });
    let body: unknown;
    try {
      body = text === undefined ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) return this.httpError(response, body);
    const answer = readAnswer(body);
    if (!answer) {
      return new IceServerError(
        'InvalidResponse',
        `${this.describe()} answered ${response.status} without the API's JSON (iceServers, ttl, channelArn)`,
        { status: response.status },
      );
    }
    return { ...answer, receivedAt };
  }

  private httpError(response: Response, body: unknown): IceServerError {
    const { code, message } = errorCodeOf(response.status, body);
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
    const error = new IceServerError(
      code,
      `${this.describe()} answered ${response.status} ${code}${message ? `: ${message}` : ''}`,
      { status: response.status, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) },
    );
    // A 5xx other than 503 is final, whatever its code says: the broker retried upstream already.
    if (!RETRIED_STATUSES.has(response.status) && error.retryable) {
      return new IceServerError('HttpError', error.message, { status: response.status });
    }
    return error;
  }

  private headers(): Promise<Record<string, string>> {
    return authHeaders(this.options, this.url, this.body);
  }

  private describe(): string {
    return `POST ${this.url}`;
  }
}

/**
 * A broker request's headers: JSON, and the bearer token (`getToken`, jwt) or the SigV4 headers
 * (`aws`, iam) of a `POST` of `body` to `url`. Rejects with `IceServerError` `CredentialsError`
 * when the token or credentials provider fails or returns nothing.
 */
export async function authHeaders(
  options: Pick<IceServerClientOptions, 'getToken' | 'aws'>,
  url: string,
  body: string,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const { getToken, aws } = options;
  if (getToken) {
    const token = await Promise.resolve()
      .then(getToken)
      .catch((error: unknown) => {
        throw new IceServerError('CredentialsError', `getToken failed: ${String(error)}`, { cause: error });
      });
    if (typeof token !== 'string' || token.trim() === '') {
      throw new IceServerError('CredentialsError', 'getToken returned no token');
    }
    headers.authorization = `Bearer ${token}`;
  }
  if (aws) return signedHeaders({ url, headers, body, ...aws });
  return headers;
}
