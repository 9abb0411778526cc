import { VendingError } from '../core/errors';

/** An upstream call as messages name it: the service, then the operation ("STS AssumeRole"). */
export type UpstreamCall = `${'STS' | 'KVS'} ${string}`;

const THROTTLE_NAMES = new Set([
  'ClientLimitExceededException', // KVS: an HTTP 400, and the SDK does not retry it
  'Throttling', // STS
  'ThrottlingException',
  'TooManyRequestsException',
]);
/**
 * The upstream refused the credentials a call was signed with (or there were none): expired,
 * unknown, or signed with the wrong key or clock. Not the caller's fault, and not a bug.
 */
const CREDENTIALS_REFUSED_NAMES = new Set([
  'CredentialsProviderError', // the SDK found no credentials at all
  'ExpiredToken', // STS
  'ExpiredTokenException', // KVS
  'InvalidClientTokenId', // STS
  'UnrecognizedClientException', // KVS
  'SignatureDoesNotMatch', // STS (also "Signature expired": clock skew)
  'InvalidSignatureException', // KVS (also "Signature expired": clock skew)
  'RequestExpired',
  'RequestTimeTooSkewed',
  'RequestInTheFuture',
]);
const ACCESS_DENIED_NAMES = new Set(['AccessDenied', 'AccessDeniedException', 'NotAuthorizedException']);
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
  $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean };
  $responseBodyText?: string;
}

/** HTTP status of an SDK error, if the upstream answered at all. */
export const upstreamStatus = (error: unknown): number | undefined =>
  (error as SdkLikeError | undefined)?.$metadata?.httpStatusCode;

/** Seconds a caller should wait after a credentials refusal or an outage. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

function credentialsRefused(call: UpstreamCall, error: unknown): VendingError {
  const e = error as SdkLikeError;
  const message =
    e.name === 'CredentialsProviderError'
      ? 'the function has no AWS credentials to call STS with; retry later, and tell the operator if it persists'
      : call.startsWith('STS')
        ? `STS refused the function's AWS credentials (${call}); retry later, and tell the operator if it persists`
        : `KVS refused the scoped session's credentials (${call}); retry shortly`;
  return new VendingError('Unavailable', message, {
    retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    // The SDK has just learned the clock offset from this very error: signed again, the call may pass.
    retryable: e.$metadata?.clockSkewCorrected === true,
    credentialsRefusedBy: call.startsWith('STS') ? 'STS' : 'KVS',
    cause: error,
  });
}

/**
 * Translates an AWS SDK (or socket) failure of `call` into the contract's error, with a message
 * that names the service and says what the caller can do. Upstream messages are never copied:
 * some (SignatureDoesNotMatch) echo signed headers such as the session token.
 */
export function toVendingError(error: unknown, call: UpstreamCall): VendingError {
  if (error instanceof VendingError) return error;
  const e = (error ?? {}) as SdkLikeError;
  const name = e.name ?? '';
  const status = upstreamStatus(error);
  if (THROTTLE_NAMES.has(name)) {
    return new VendingError(
      'Throttled',
      `${call} was throttled (request quota exhausted); retry after the Retry-After delay`,
      { retryAfterSeconds: 1, retryable: true, cause: error },
    );
  }
  if (name === 'ResourceNotFoundException') {
    return new VendingError(
      'ChannelNotFound',
      'the signaling channel does not exist in KVS; check the channel name, or tell the operator',
      { cause: error },
    );
  }
  if (CREDENTIALS_REFUSED_NAMES.has(name)) return credentialsRefused(call, error);
  if (ACCESS_DENIED_NAMES.has(name)) {
    return new VendingError(
      'UpstreamError',
      `${call} was denied by IAM; tell the operator (the deployment's roles or channels are misconfigured)`,
      { cause: error },
    );
  }
  // Before the timeout check: the SDK names a dropped connection (ECONNRESET) `TimeoutError`.
  if (status === 503 || (e.code !== undefined && CONNECTION_CODES.has(e.code))) {
    return new VendingError('Unavailable', `${call} is unavailable; retry after the Retry-After delay`, {
      retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
      retryable: true,
      cause: error,
    });
  }
  // The request deadline aborted the call: no time is left for another attempt.
  if (name === 'AbortError') {
    return new VendingError(
      'UpstreamTimeout',
      `${call} did not answer within the request deadline; retry shortly`,
      {
        cause: error,
      },
    );
  }
  // The connection or request timeout of one attempt: the attempt was abandoned, another may pass.
  if (name === 'TimeoutError' || e.code === 'ETIMEDOUT') {
    return new VendingError('UpstreamTimeout', `${call} did not answer in time; retry shortly`, {
      retryable: true,
      cause: error,
    });
  }
  if (status !== undefined || e.$responseBodyText !== undefined) {
    return new VendingError(
      'UpstreamError',
      `${call} failed; retry shortly, and tell the operator if it persists`,
      // A 5xx is a transient server fault (the AWS SDK's own retry strategy retries it too).
      { retryable: status !== undefined && status >= 500, cause: error },
    );
  }
  return new VendingError('InternalError', 'internal error', { cause: error });
}
