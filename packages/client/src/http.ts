import { CHANNEL_NAME_PATTERN, CHANNEL_ROLES, iceServersPath, TRANSPORTS } from './contract';
import { errorCodeOf, IceServerError } from './errors';
import type { IceServerClientOptions } from './ice-server-client';
import { signedHeaders } from './sigv4';

/**
 * The request machinery that `IceServerClient` (client/ice-server-client.ts) and
 * `SignalingConnector` (client/signaling.ts) share: option checks, the request URL, auth headers,
 * and {@link postJson}, one `POST` retried within a deadline. Browser-safe: no `node:` imports.
 */

/** The options both clients take the same way (`IceServerClientOptions` spells each out). */
export type RequestOptions = Pick<
  IceServerClientOptions,
  'baseUrl' | 'channel' | 'transports' | 'maxServerSets' | 'getToken' | 'aws' | 'fetch' | 'timeoutMs'
>;

/** The options {@link checkOptions} checks: {@link RequestOptions} and those only one client has. */
export interface CheckedOptions
  extends RequestOptions,
    Partial<Pick<IceServerClientOptions, 'role' | 'refreshMarginSeconds' | 'retry'>> {
  /** `SignalingConnector`'s requests per call (`IceServerClient` has `retry.maxAttempts`). */
  readonly maxAttempts?: number;
}

/** How {@link postJson} retries, every field set (see `RetryOptions` for their meaning and units). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** A JSON answer of shape `T` (a contract type) before its fields are checked: each may be missing or of any type. */
export type Unchecked<T> = { readonly [K in keyof T]?: unknown };

/** A `fetch`, called as a plain function. */
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

/** Statuses retried after a pause: throttling (the broker's and API Gateway's) and `Unavailable`. */
const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 503]);

const now = () => performance.now();

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** A `TypeError` `"<owner>: <option> <problem>"`, e.g. `IceServerClient: timeoutMs must be …`. */
export function optionError(owner: string, option: string, problem: string): TypeError {
  return new TypeError(`${owner}: ${option} ${problem}`);
}

/** The longest delay a timer holds (2^31 - 1 ms, about 24.8 days): a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

function checkInteger(
  owner: string,
  option: string,
  value: number | undefined,
  min: number,
  max?: number,
): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min) {
    throw optionError(owner, option, `must be an integer of at least ${min}, got ${String(value)}`);
  }
  if (max !== undefined && value > max) {
    throw optionError(owner, option, `must be at most ${max} ms (a timer's limit), got ${String(value)}`);
  }
}

/**
 * Checks `options` (all but `baseUrl` and `channel`, which {@link requestUrl} checks); throws a
 * `TypeError` whose message begins with `owner` (the class the options are for) and the option's name.
 */
export function checkOptions(owner: string, options: CheckedOptions): void {
  for (const name of ['getToken', 'fetch'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw optionError(owner, name, `must be a function, got ${typeof options[name]}`);
    }
  }
  if (options.role !== undefined && !CHANNEL_ROLES.includes(options.role)) {
    throw optionError(
      owner,
      'role',
      `must be one of ${CHANNEL_ROLES.join(', ')}, got "${String(options.role)}"`,
    );
  }
  const transports = options.transports;
  if (
    transports !== undefined &&
    !(Array.isArray(transports) && transports.length > 0 && transports.every((t) => TRANSPORTS.includes(t)))
  ) {
    throw optionError(
      owner,
      'transports',
      `must list some of ${TRANSPORTS.join(', ')}, got [${[transports].flat().join(', ')}]`,
    );
  }
  checkInteger(owner, 'maxServerSets', options.maxServerSets, 1);
  checkInteger(owner, 'timeoutMs', options.timeoutMs, 1, MAX_TIMER_MS);
  checkInteger(owner, 'maxAttempts', options.maxAttempts, 1);
  checkInteger(owner, 'refreshMarginSeconds', options.refreshMarginSeconds, 0);
  checkInteger(owner, 'retry.maxAttempts', options.retry?.maxAttempts, 1);
  checkInteger(owner, 'retry.baseDelayMs', options.retry?.baseDelayMs, 0, MAX_TIMER_MS);
  checkInteger(owner, 'retry.maxDelayMs', options.retry?.maxDelayMs, 0, MAX_TIMER_MS);
  if (options.getToken !== undefined && options.aws !== undefined) {
    throw optionError(
      owner,
      'getToken',
      'and aws exclude each other: a deployment uses either jwt or iam auth',
    );
  }
  if (options.aws !== undefined && !options.aws.region) {
    throw optionError(owner, 'aws.region', 'is required to sign requests (the Region of the API)');
  }
  if (options.fetch === undefined && typeof globalThis.fetch !== 'function') {
    throw optionError(owner, 'fetch', 'is required: this runtime has no global fetch');
  }
}

/** `options.fetch`, or the global `fetch` called as a plain function (a browser's refuses any `this` but the global object). */
export function fetchOf(options: Pick<RequestOptions, 'fetch'>): FetchFn {
  return options.fetch ?? ((input, init) => globalThis.fetch(input, init));
}

/**
 * The request URL for `options`, validated; throws a `TypeError` naming the option (its message
 * begins with `owner`) otherwise. `path` gives the route's path for the channel: the ICE servers
 * route by default (the signaling connector of client/signaling.ts passes its own).
 */
export function requestUrl(
  options: Pick<RequestOptions, 'baseUrl' | 'channel'>,
  path: (channel: string) => string = iceServersPath,
  owner = 'IceServerClient',
): string {
  let base: URL | undefined;
  try {
    base = new URL(options.baseUrl); // not URL.canParse: Safari has it only since 17
  } catch {
    base = undefined;
  }
  if (!base || (base.protocol !== 'https:' && base.protocol !== 'http:') || base.search || base.hash) {
    throw optionError(
      owner,
      'baseUrl',
      `must be the API's http(s) URL without query, got "${options.baseUrl}"`,
    );
  }
  if (base.username !== '' || base.password !== '') {
    throw optionError(owner, 'baseUrl', 'must not carry a user name or password (use getToken or aws)');
  }
  if (base.protocol === 'http:' && !isLoopback(base.hostname)) {
    throw optionError(
      owner,
      'baseUrl',
      'must use https: (http: is only for localhost and loopback addresses)',
    );
  }
  // "." and ".." are KVS names no URL can carry: clients and proxies resolve them away.
  if (
    typeof options.channel !== 'string' ||
    !CHANNEL_NAME_PATTERN.test(options.channel) ||
    /^\.{1,2}$/.test(options.channel)
  ) {
    throw optionError(
      owner,
      'channel',
      `must be a signaling channel name ([a-zA-Z0-9_.-]{1,256}), got "${options.channel}"`,
    );
  }
  return `${base.href.replace(/\/+$/, '')}${path(options.channel)}`;
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

/** A bearer token as a header carries it: printable ASCII without spaces (RFC 6750 b64token is narrower). */
const HEADER_TOKEN = /^[\x21-\x7e]+$/;

/**
 * A broker request's headers: JSON, and the bearer token (`getToken`, jwt) or the SigV4 headers
 * (`aws`, iam) of a `POST` of `body` to `url`. Rejects with `IceServerError` `CredentialsError`
 * when the token or credentials provider fails, returns nothing, or returns a token no header
 * can carry (never quoting it).
 */
export async function authHeaders(
  options: Pick<RequestOptions, 'getToken' | 'aws'>,
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
    // A header cannot carry it, and fetch's error would quote the whole token: say so without it.
    if (!HEADER_TOKEN.test(token)) {
      throw new IceServerError(
        'CredentialsError',
        'getToken returned a token with characters an Authorization header cannot carry (spaces, line breaks, control or non-ASCII characters)',
      );
    }
    headers.authorization = `Bearer ${token}`;
  }
  if (aws) return signedHeaders({ url, headers, body, ...aws });
  return headers;
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

/**
 * The wait in milliseconds before attempt `attempt + 1`, or undefined when `error` is final or the
 * attempts are used up: the server's `Retry-After` (undefined when longer than `maxDelayMs`), at
 * least an exponential backoff with full jitter (`baseDelayMs` doubled per attempt, capped by `maxDelayMs`).
 */
function retryDelay(error: IceServerError, attempt: number, policy: RetryPolicy): number | undefined {
  if (!error.retryable || attempt >= policy.maxAttempts) return undefined;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const backoff = Math.random() * ceiling;
  if (error.retryAfterSeconds === undefined) return backoff;
  const asked = error.retryAfterSeconds * 1000;
  return asked > policy.maxDelayMs ? undefined : Math.max(asked, backoff);
}

/** The error for a non-2xx answer: its code (see `errorCodeOf`), status and `Retry-After`. */
function httpError(describe: string, response: Response, body: unknown): IceServerError {
  const { code, message } = errorCodeOf(response.status, body);
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
  const error = new IceServerError(
    code,
    `${describe} answered ${response.status} ${code}${message ? `: ${message}` : ''}`,
    { status: response.status, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) },
  );
  // A 5xx other than 503 is final, whatever its code says: the broker retried upstream already.
  if (!RETRIED_STATUSES.has(response.status) && error.retryable) {
    return new IceServerError('HttpError', error.message, { status: response.status });
  }
  return error;
}

/** One {@link postJson} call. */
export interface PostJson<T> {
  readonly url: string;
  /** The JSON request body, as sent (and signed). */
  readonly body: string;
  /** Whose token or credentials go with the request (see {@link authHeaders}). */
  readonly auth: Pick<RequestOptions, 'getToken' | 'aws'>;
  readonly fetch: FetchFn;
  /** Deadline of the whole call in milliseconds, retries and waits included. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  /**
   * The answer of a 2xx, from its parsed JSON body (undefined when the body was not JSON) and
   * `performance.now()` when the answer's headers arrived; undefined when it is not the route's
   * answer, which rejects with `InvalidResponse`.
   */
  readonly read: (body: unknown, receivedAt: number) => T | undefined;
  /** What a 2xx must hold, for the `InvalidResponse` message (e.g. `the API's JSON (iceServers, ttl, channelArn)`). */
  readonly expected: string;
}

/**
 * `POST`s `request.body` to `request.url` until an answer, a final error, or the deadline:
 * 429 and 503 answers and network failures are retried after {@link retryDelay} when the next
 * attempt can still start before the deadline. Resolves to `request.read`'s answer; rejects with
 * `IceServerError` (the broker's or API Gateway's code and status, `HttpError` for a 5xx other than
 * 503, `Timeout`, `NetworkError`, `InvalidResponse`, `CredentialsError`), or with `signal.reason`
 * as soon as `signal` aborts (aborting the request under way or the wait to retry).
 */
export async function postJson<T>(request: PostJson<T>, signal?: AbortSignal): Promise<T> {
  signal?.throwIfAborted();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), request.timeoutMs);
  const onAbort = () => deadline.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const startedAt = now();
  try {
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptOnce(request, deadline.signal);
      if (!(outcome instanceof IceServerError)) return outcome;
      const delay = retryDelay(outcome, attempt, request.retry);
      const left = request.timeoutMs - (now() - startedAt);
      if (delay === undefined || delay >= left) throw outcome;
      await sleep(delay, deadline.signal);
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (deadline.signal.aborted && !(error instanceof IceServerError)) {
      throw new IceServerError(
        'Timeout',
        `no answer from POST ${request.url} within ${request.timeoutMs} ms`,
        {
          cause: error,
        },
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** One request: the answer, or the error it ended in (thrown only when `signal` aborted). */
async function attemptOnce<T>(request: PostJson<T>, signal: AbortSignal): Promise<T | IceServerError> {
  const describe = `POST ${request.url}`;
  const headers = await authHeaders(request.auth, request.url, request.body);
  let response: Response;
  try {
    response = await request.fetch(request.url, { method: 'POST', headers, body: request.body, signal });
  } catch (error) {
    if (signal.aborted) throw error;
    return new IceServerError('NetworkError', `could not reach ${describe}: ${String(error)}`, {
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
  if (!response.ok) return httpError(describe, response, body);
  return (
    request.read(body, receivedAt) ??
    new IceServerError(
      'InvalidResponse',
      `${describe} answered ${response.status} without ${request.expected}`,
      {
        status: response.status,
      },
    )
  );
}
