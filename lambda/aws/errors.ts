import { BrokerError, upstreamTimeout } from '../core/errors';

const THROTTLE_NAMES = new Set([
  'ClientLimitExceededException', // KVS: an HTTP 400, and the SDK does not retry it
  'Throttling', // STS
  'ThrottlingException',
  'TooManyRequestsException',
]);
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $responseBodyText?: string;
}

/** HTTP status of an SDK error, if the upstream answered at all. */
export const upstreamStatus = (error: unknown): number | undefined =>
  (error as SdkLikeError | undefined)?.$metadata?.httpStatusCode;

/**
 * Translates an AWS SDK (or socket) failure into the contract's error. Upstream messages are
 * never copied: some (SignatureDoesNotMatch) echo signed headers such as the session token.
 */
export function toBrokerError(error: unknown, operation: string): BrokerError {
  if (error instanceof BrokerError) return error;
  const e = (error ?? {}) as SdkLikeError;
  const name = e.name ?? '';
  const status = upstreamStatus(error);
  if (THROTTLE_NAMES.has(name)) {
    return new BrokerError('Throttled', 'KVS request quota exhausted, retry shortly', {
      retryAfterSeconds: 1,
      retryable: true,
      cause: error,
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new BrokerError('ChannelNotFound', 'the signaling channel does not exist in KVS', {
      cause: error,
    });
  }
  // Before the timeout check: the SDK names a dropped connection (ECONNRESET) `TimeoutError`.
  if (status === 503 || (e.code !== undefined && CONNECTION_CODES.has(e.code))) {
    return new BrokerError('Unavailable', `${operation} is unavailable`, {
      retryAfterSeconds: 5,
      retryable: true,
      cause: error,
    });
  }
  if (name === 'AbortError' || name === 'TimeoutError' || e.code === 'ETIMEDOUT')
    return upstreamTimeout(error);
  if (status !== undefined || e.$responseBodyText !== undefined) {
    return new BrokerError('UpstreamError', `${operation} failed`, { cause: error });
  }
  return new BrokerError('InternalError', 'internal error', { cause: error });
}
