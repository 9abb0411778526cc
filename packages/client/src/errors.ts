import type { ErrorAnswer, ErrorCode } from './contract';
import type { Unchecked } from './http';

/**
 * Why {@link IceServerError} was thrown:
 * - the broker's own error codes (`InvalidRequest`, `ChannelNotAllowed`, `CallerNotIdentified`,
 *   `CallerBlocked`, `ChannelNotFound`, `Throttled`, `UpstreamError`, `Unavailable`,
 *   `UpstreamTimeout`, `InternalError`), read from the `{"error": {"code": …}}` body;
 * - API Gateway's answers, which carry only `{"message": …}`: `Unauthorized` (401: no or bad token),
 *   `Forbidden` (403: refused signature or authorizer), `NotFound` (404: wrong base URL or stage),
 *   `PayloadTooLarge` (413), `TooManyRequests` (429: stage throttling), `HttpError` (any other status);
 * - failures on this side: `Timeout` (no answer within `timeoutMs`, retries included),
 *   `NetworkError` (the request could not be sent or its answer read: offline, DNS, TLS, CORS),
 *   `InvalidResponse` (a 2xx whose body is not the API's JSON),
 *   `CredentialsError` (`getToken` or the AWS credentials provider failed or returned nothing).
 */
export type IceServerErrorCode =
  | ErrorCode
  | 'CallerBlocked'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'PayloadTooLarge'
  | 'TooManyRequests'
  | 'HttpError'
  | 'Timeout'
  | 'NetworkError'
  | 'InvalidResponse'
  | 'CredentialsError';

/** What {@link IceServerError} carries besides its code and message. */
export interface IceServerErrorOptions {
  /** The HTTP status of the broker's (or API Gateway's) answer; absent when none arrived. */
  readonly status?: number;
  /** Seconds the server asked to wait (`Retry-After`), when it sent one. */
  readonly retryAfterSeconds?: number;
  /** The underlying error (a `fetch` `TypeError`, a provider's error), for logs. */
  readonly cause?: unknown;
}

/** Codes that another attempt after a pause may clear (and that the client retries itself). */
const TRANSIENT: ReadonlySet<IceServerErrorCode> = new Set<IceServerErrorCode>([
  'Throttled',
  'Unavailable',
  'TooManyRequests',
  'NetworkError',
]);

/**
 * A failed `getIceServers()`: `code` says why (see {@link IceServerErrorCode}), `status` is the
 * HTTP status when the server answered, `retryAfterSeconds` its `Retry-After`. The message is safe
 * to log and show: it never holds tokens, credentials or signatures.
 */
export class IceServerError extends Error {
  override readonly name = 'IceServerError';
  readonly code: IceServerErrorCode;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: IceServerErrorCode, message: string, options: IceServerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** True for throttling, `Unavailable` and network failures: worth another try after a pause. */
  get retryable(): boolean {
    return TRANSIENT.has(this.code);
  }
}

/** API Gateway's own answers (`{"message": …}` bodies) by status. */
const GATEWAY_CODES: Readonly<Record<number, IceServerErrorCode>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
};

/**
 * The code for an error answer: the broker's `error.code` when the body is its {@link ErrorAnswer},
 * else API Gateway's by status.
 */
export function errorCodeOf(status: number, body: unknown): { code: IceServerErrorCode; message?: string } {
  if (typeof body === 'object' && body !== null) {
    const { error } = body as Unchecked<ErrorAnswer>;
    if (typeof error === 'object' && error !== null) {
      const { code, message } = error as Unchecked<ErrorAnswer['error']>;
      if (typeof code === 'string' && code !== '') {
        return { code: code as IceServerErrorCode, ...(typeof message === 'string' ? { message } : {}) };
      }
    }
    const message = (body as { message?: unknown }).message;
    if (typeof message === 'string') return { code: GATEWAY_CODES[status] ?? 'HttpError', message };
  }
  return { code: GATEWAY_CODES[status] ?? 'HttpError' };
}
