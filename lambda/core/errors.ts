import type { ErrorCode } from '@kvs-ice-broker/client/contract';

export interface VendingErrorOptions {
  /** Seconds the client should wait before retrying (sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** The underlying error, for logs only: it never reaches the response body. */
  readonly cause?: unknown;
  /** A transient upstream condition (throttling, a dependency briefly down) that another attempt may clear. */
  readonly retryable?: boolean;
  /**
   * Which upstream refused the credentials the call was signed with: `KVS` refused a scoped
   * session (drop it and open another), `STS` refused the function's own credentials.
   */
  readonly credentialsRefusedBy?: 'STS' | 'KVS';
}

/**
 * A failure with a meaning for the client. `message` is safe to show to the caller:
 * it must never carry credentials, upstream error text or internal details.
 */
export class VendingError extends Error {
  override readonly name = 'VendingError';
  readonly retryAfterSeconds: number | undefined;
  readonly retryable: boolean;
  readonly credentialsRefusedBy: 'STS' | 'KVS' | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: VendingErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.retryable = options.retryable ?? false;
    this.credentialsRefusedBy = options.credentialsRefusedBy;
  }
}

export const invalidRequest = (message: string): VendingError => new VendingError('InvalidRequest', message);

/** A deadline that passed (`signal` aborted) becomes 504 `UpstreamTimeout`; other failures keep their meaning. */
export function asVendingError(error: unknown, signal?: AbortSignal): unknown {
  if (error instanceof VendingError) return error;
  return signal?.aborted ? upstreamTimeout(error) : error;
}

/** The client's deadline for the upstream work passed (adapters name the call when they know it). */
export const upstreamTimeout = (cause?: unknown): VendingError =>
  new VendingError(
    'UpstreamTimeout',
    'AWS (STS or KVS) did not answer within the request deadline; retry shortly',
    {
      cause,
    },
  );
