/** The error codes of the HTTP contract (DESIGN.md section 3). */
export type ErrorCode =
  | 'InvalidRequest'
  | 'ChannelNotAllowed'
  | 'CallerNotIdentified'
  | 'ChannelNotFound'
  | 'Throttled'
  | 'UpstreamError'
  | 'Unavailable'
  | 'UpstreamTimeout'
  | 'InternalError';

export interface BrokerErrorOptions {
  /** Seconds the client should wait before retrying (sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** The underlying error, for logs only: it never reaches the response body. */
  readonly cause?: unknown;
  /** A transient upstream condition (throttling, a dependency briefly down) that another attempt may clear. */
  readonly retryable?: boolean;
}

/**
 * A failure with a meaning for the client. `message` is safe to show to the caller:
 * it must never carry credentials, upstream error text or internal details.
 */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  readonly retryAfterSeconds: number | undefined;
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: BrokerErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.retryable = options.retryable ?? false;
  }
}

export const invalidRequest = (message: string): BrokerError => new BrokerError('InvalidRequest', message);

/** The client's deadline for the upstream work passed. */
export const upstreamTimeout = (cause?: unknown): BrokerError =>
  new BrokerError('UpstreamTimeout', 'AWS did not answer in time', { cause });
