/** The three AWS operations the emulator serves. */
export type Operation = 'AssumeRole' | 'GetSignalingChannelEndpoint' | 'GetIceServerConfig';

export const OPERATIONS = [
  'AssumeRole',
  'GetSignalingChannelEndpoint',
  'GetIceServerConfig',
] as const satisfies readonly Operation[];

export const FAULT_KINDS = ['throttle', 'serverError', 'malformed', 'drop', 'notFound'] as const;

/** What an injected fault does to a matching call. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * A fault injected into one operation. Faults only apply to requests that passed SigV4
 * verification and authorization, so they never hide an authentication bug.
 */
export interface FaultSpec {
  /**
   * - `throttle`: KVS `ClientLimitExceededException` (400), STS `Throttling` (400).
   * - `serverError`: `InternalFailure` (500, or `status`) / `ServiceUnavailable` (503).
   * - `malformed`: a 200 response whose body the SDK cannot deserialize.
   * - `drop`: the socket is destroyed without any response.
   * - `notFound`: `ResourceNotFoundException` (404); KVS operations only.
   *
   * Omitted: no error, only `latencyMs`.
   */
  kind?: FaultKind;
  /** HTTP status for `serverError`, 500-599 (default 500). */
  status?: number;
  /** Milliseconds (real time) to wait before answering; combinable with `kind`. */
  latencyMs?: number;
  /** Apply to the next N matching calls, then clear itself. Default: until cleared. */
  times?: number;
  /** Only calls for this channel name (KVS operations only). Default: every call. */
  channel?: string;
}

/** A fault as currently active; `remaining` is how many more calls it applies to (if limited). */
export interface ActiveFault extends FaultSpec {
  remaining?: number;
}

/** One KVS call that reached its operation (see {@link EmulatorStats}). */
export interface CallRecord {
  op: Exclude<Operation, 'AssumeRole'>;
  /** Channel name, from the request's ChannelARN. */
  channel: string;
  /** `ClientId` of a GetIceServerConfig call, `null` when absent (always null for the endpoint call). */
  clientId: string | null;
  /** Emulator clock, epoch milliseconds. */
  at: number;
}

/** Per-channel call counts. */
export interface ChannelStats {
  total: number;
  GetSignalingChannelEndpoint: number;
  GetIceServerConfig: number;
}

/**
 * Counters since the emulator started or `resetStats()` was last called.
 *
 * A "call" is a request that passed SigV4 verification, input validation and authorization and
 * so reached its operation. Calls answered by an injected fault, or with
 * `ResourceNotFoundException` for a channel that does not exist, still count as calls: they
 * reached the service, as they would count against a real KVS quota.
 */
export interface EmulatorStats {
  /** ISO time (emulator clock) the counters start from. */
  since: string;
  /** Calls per operation. */
  operations: Record<Operation, number>;
  /** KVS calls per channel name, in total and per operation. */
  channels: Record<string, ChannelStats>;
  /** GetIceServerConfig calls per `ClientId` (calls without one are not listed). */
  clientIds: Record<string, number>;
  /** Calls answered by an injected fault, per operation. */
  faultsInjected: Record<Operation, number>;
  /**
   * Error responses the emulator itself produced, by error code: failed authentication,
   * invalid input, access denied, unknown routes, oversized bodies, and the
   * `ResourceNotFoundException` of an unknown channel. Injected faults are not counted here.
   */
  rejected: Record<string, number>;
  /** The most recent KVS calls, oldest first, bounded by `recentCallsCapacity`. */
  recentCalls: CallRecord[];
  /** Maximum length of `recentCalls`; older calls fall out. */
  recentCallsCapacity: number;
}

/** Access key pair of the Lambda's execution role (long-term, no session token). */
export interface KeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Where the minted TURN URIs point, and the coturn `static-auth-secret`. */
export interface TurnSettings {
  host: string;
  port: number;
  tlsPort: number;
  secret: string;
}

export interface EmulatorOptions {
  /** Port on 127.0.0.1; default 0 = a free port. */
  port?: number;
  /** Default `us-west-2`. The partition follows: `cn-*` is `aws-cn`, `us-gov-*` is `aws-us-gov`, else `aws`. */
  region?: string;
  /** Default `123456789012`. */
  accountId?: string;
  /** Names of the signaling channels that exist. */
  channels: string[];
  /** Default: a random `AKIA…` key pair. */
  executionCredentials?: KeyPair;
  /** Default `arn:${partition}:iam::${account}:role/kvs-ice-broker-scoped`. */
  scopedRoleArn?: string;
  turn: TurnSettings;
  /**
   * Clock in epoch milliseconds; default `Date.now`. Drives expiry, SigV4 skew and the `Date`
   * header, shifted by the clock offset (`setClockOffset`, `POST /_emulator/clock`).
   */
  now?: () => number;
}

export interface Emulator {
  /** `http://127.0.0.1:PORT`, the endpoint for STS, KVS and KVS signaling alike. */
  readonly url: string;
  readonly port: number;
  readonly region: string;
  readonly partition: string;
  readonly executionCredentials: KeyPair;
  readonly scopedRoleArn: string;
  /** Channel name to ARN. */
  readonly channelArns: ReadonlyMap<string, string>;
  /** The same JSON as `GET /_emulator/stats`. */
  stats(): EmulatorStats;
  resetStats(): void;
  /** Sets (or with `null` clears) the fault of one operation; throws on an invalid spec. */
  setFault(operation: Operation, fault: FaultSpec | null): void;
  clearFaults(): void;
  /**
   * Puts the emulated AWS clock `offsetMs` ahead (negative: behind) of its configured clock, as
   * `POST /_emulator/clock` does; 0 resets. Shifts SigV4 date checks, STS expirations, TURN
   * username expiry and the `Date` header. Throws on a non-integer or an offset beyond a week.
   */
  setClockOffset(offsetMs: number): void;
  /** Closes the server and every open socket. */
  close(): Promise<void>;
}
