import type { PolicyStatementJson } from '../../lib/iam-policies';
import type { Operation } from './model';
import type { SignalingControl, SignalingLimits } from './signaling';
import type { StorageChannelStats } from './storage-agent';

/** Every {@link FaultKind}. */
export const FAULT_KINDS = ['throttle', 'serverError', 'malformed', 'drop', 'notFound', 'error'] as const;

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
   * - `notFound`: `ResourceNotFoundException` (404); the operations that model it only.
   * - `error`: the modelled error `code` of the operation (`SessionExpiredException`,
   *   `PackedPolicyTooLarge`, `ParameterNotFound`, …), with the model's HTTP status
   *   (`OPERATION_MODELS[operation].errors`).
   *
   * Omitted: no error, only `latencyMs`.
   */
  kind?: FaultKind;
  /** With kind `error`: one of the operation's modelled error codes. */
  code?: string;
  /** HTTP status for `serverError`, 500-599 (default 500). */
  status?: number;
  /** Milliseconds (real time) to wait before answering; combinable with `kind`. */
  latencyMs?: number;
  /** Apply to the next N matching calls, then clear itself. Default: until cleared. */
  times?: number;
  /** Only calls for this channel name (KVS channel operations only). Default: every call. */
  channel?: string;
}

/** A fault as currently active; `remaining` is how many more calls it applies to (if limited). */
export interface ActiveFault extends FaultSpec {
  remaining?: number;
}

/** The KVS operations the broker calls per channel, counted per channel in {@link EmulatorStats}. */
export type ChannelOperation = 'GetSignalingChannelEndpoint' | 'GetIceServerConfig';

/** One KVS call that reached its operation (see {@link EmulatorStats}). */
export interface CallRecord {
  op: ChannelOperation;
  /** Channel name, from the request's ChannelARN. */
  channel: string;
  /** `ClientId` of a GetIceServerConfig call, `null` when absent (always null for the endpoint call). */
  clientId: string | null;
  /** Emulator clock, epoch milliseconds. */
  at: number;
  /** Refused by a request-rate quota (`ClientLimitExceededException`) rather than answered. */
  throttled: boolean;
}

/** Per-channel call counts. */
export interface ChannelStats {
  total: number;
  GetSignalingChannelEndpoint: number;
  GetIceServerConfig: number;
  /** Of those calls, the ones a request-rate quota throttled, per operation. */
  throttled: { GetSignalingChannelEndpoint: number; GetIceServerConfig: number };
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
  /** GetSignalingChannelEndpoint and GetIceServerConfig calls per channel name, in total and per operation. */
  channels: Record<string, ChannelStats>;
  /** GetIceServerConfig calls per `ClientId` (calls without one are not listed). */
  clientIds: Record<string, number>;
  /** Calls answered by an injected fault, per operation. */
  faultsInjected: Record<Operation, number>;
  /**
   * Calls a request-rate quota throttled (KVS `ClientLimitExceededException`, STS `Throttling`),
   * per operation; they are counted as calls too. Per channel in `channels[name].throttled`.
   */
  throttled: Record<Operation, number>;
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

/**
 * A request-rate quota of one operation: at most this many calls in any one second per account
 * (and Region), and per channel. Unset: no such quota.
 */
export interface OperationQuota {
  perAccount?: number;
  perChannel?: number;
}

/** How the emulator enforces quotas: on or off, and limits that replace AWS's for some operations. */
export interface QuotaSettings {
  /** Default true. */
  enabled?: boolean;
  /** Per operation, the limits that replace AWS's (see `AWS_QUOTAS`). */
  limits?: Partial<Record<Operation, OperationQuota>>;
}

/** Access key pair of the Lambda's execution role (long-term, no session token). */
export interface KeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Where the minted TURN URIs point, and the coturn `static-auth-secret`. */
export interface TurnSettings {
  /** The relay's host name or IP address; an IPv6 address (`::1`) is written `[::1]` in the URIs. */
  host: string;
  port: number;
  tlsPort: number;
  secret: string;
}

/** What {@link Emulator} to start; `startEmulator` throws a TypeError naming an invalid option. */
export interface EmulatorOptions {
  /** Port on 127.0.0.1; default 0 = a free port. */
  port?: number;
  /** Default `us-west-2`. The partition follows: `cn-*` is `aws-cn`, `us-gov-*` is `aws-us-gov`, else `aws`. */
  region?: string;
  /** Default `123456789012`. */
  accountId?: string;
  /** Names of the signaling channels that exist. */
  channels: string[];
  /**
   * The channels among `channels` that record media (WebRTC ingestion: their media storage is
   * `ENABLED`): `GetSignalingChannelEndpoint` hands out their `WEBRTC` endpoint, and
   * `JoinStorageSession[AsViewer]` makes the emulator's recording peer (werift) offer to their
   * master or viewer. Default none.
   */
  storageChannels?: readonly string[];
  /**
   * The function's own credentials: a session of its execution role, whose permissions are the
   * stack's `executionRoleStatements` (lib/iam-policies.ts). Default: a random `AKIA…` key pair.
   */
  executionCredentials?: KeyPair;
  /** Default `arn:${partition}:iam::${account}:role/kvs-ice-broker-scoped`. */
  scopedRoleArn?: string;
  /**
   * The scoped role's identity-based policy, given the ARNs of the emulated channels: what the
   * stack writes, `scopedRoleStatements(channelArns, signalingRoles)` of lib/iam-policies.ts. A
   * scoped session may do only what both this and its session policy allow. Default: a stack
   * without signaling routes, `scopedRoleStatements(channelArns, [])`: the two KVS calls, no
   * Connect action.
   */
  scopedRolePolicy?: (channelArns: readonly string[]) => readonly PolicyStatementJson[];
  /**
   * The SSM parameter the execution role may read (`ssm:GetParameter` on it alone, as the stack
   * grants on its blocked-callers parameter). Default `LOCAL_BLOCKED_CALLERS_PARAMETER`, the name
   * the local runner publishes the list under.
   */
  blockedCallersParameter?: string;
  turn: TurnSettings;
  /**
   * Clock in epoch milliseconds; default `Date.now`. Drives expiry, SigV4 skew and the `Date`
   * header, shifted by the clock offset (`setClockOffset`, `POST /_emulator/clock`).
   */
  now?: () => number;
  /**
   * Request-rate quotas, enforced as AWS does (KVS: 5 `GetIceServerConfig` per second per channel,
   * 100 per account; 300 `GetSignalingChannelEndpoint` per account; STS: 600 `AssumeRole` per
   * account). Default: on, with AWS's limits; `{ enabled: false }` turns them off.
   */
  quotas?: QuotaSettings;
  /**
   * Monotonic milliseconds that request rates are counted in (the quotas above, and the signaling
   * service's Connect and message rates); default `performance.now`. Not the emulated AWS clock:
   * rates are about real time. A test that checks an exact count of throttled calls freezes it,
   * so that a burst counts as one second however slowly a busy machine sends it.
   */
  rateClock?: () => number;
  /**
   * The KVS signaling WebSocket service's limits (connection duration, idle timeout, GO_AWAY
   * grace, Connect rate, viewers per channel); default KVS's (`SIGNALING_LIMITS`). Tests shorten
   * the durations.
   */
  signaling?: SignalingLimits;
  /**
   * A TLS certificate and key (PEM) for the signaling endpoints: the WSS endpoints are then
   * `wss://127.0.0.1:<port>`, and each signaling port also answers plain `ws://` / `http://` for
   * tools that cannot trust the certificate. Default: none, the endpoints are `ws://`.
   */
  signalingTls?: { readonly cert: string; readonly key: string };
  /**
   * Add the sample viewer user: an IAM user whose long-term keys may call
   * `GetSignalingChannelEndpoint` and `GetIceServerConfig` and connect as a viewer on the channels,
   * nothing else; what the KVS WebRTC samples hand a web page (`Emulator.sampleViewerCredentials`).
   * For the first-frame benchmark's keys-in-the-page baseline and its test only. Default: no such user.
   */
  sampleViewerUser?: boolean;
  /**
   * Dual-stack mode, as a broker with `dualStack=true` reaches KVS: every endpoint also listens on
   * IPv6 loopback, `[::1]`, at its port ({@link Emulator.ipv6Url}), and `GetSignalingChannelEndpoint`
   * hands out the signaling endpoints on `[::1]`, where KVS hands out dual-stack host names (which
   * need DNS: no name resolves to both loopback addresses on every machine). A TURN `host` that is an
   * IPv6 address (`::1`) is written `[::1]` in the URIs. Default false: 127.0.0.1 only.
   */
  dualStack?: boolean;
}

/**
 * The endpoints `GetSignalingChannelEndpoint` hands out, each on a port of its own as KVS has a
 * host of its own for each (`https://r-….kinesisvideo.<region>.amazonaws.com`,
 * `wss://m-…` for the master, `wss://v-…` for viewers): the channels share them, as the channels
 * of one KVS cell do.
 */
export interface SignalingEndpoints {
  /**
   * The signaling API (`GetIceServerConfig`): `http://127.0.0.1:PORT` (plain HTTP: the function
   * trusts no local CA), `http://[::1]:PORT` in dual-stack mode.
   */
  readonly https: string;
  /** `ConnectAsMaster`: `wss://127.0.0.1:PORT` with `signalingTls`, else `ws://…`; the WebSocket's path is `/`. */
  readonly master: string;
  /** `ConnectAsViewer`, as `master`. */
  readonly viewer: string;
}

/**
 * What a script needs to call the emulator as the developer user, as the AWS CLI and the AWS SDKs
 * read it from the environment (`AWS_ENDPOINT_URL` for every service; boto3 reads the Region
 * from `AWS_DEFAULT_REGION`, the JavaScript SDK and CLI v2 from `AWS_REGION`).
 */
export interface ToolEnvironment {
  readonly AWS_ACCESS_KEY_ID: string;
  readonly AWS_SECRET_ACCESS_KEY: string;
  readonly AWS_ENDPOINT_URL: string;
  readonly AWS_REGION: string;
  readonly AWS_DEFAULT_REGION: string;
}

/** A running AWS emulator on 127.0.0.1 (and `[::1]` in dual-stack mode). */
export interface Emulator {
  /**
   * `http://127.0.0.1:PORT`: STS, SSM and the KVS control plane (each told apart as AWS tells them
   * apart on one host: SigV4 scope, `X-Amz-Target`, path), and the `/_emulator/*` control API.
   * Not the signaling API: `GetIceServerConfig` sent here is refused as KVS refuses it.
   */
  readonly url: string;
  /** In dual-stack mode, the same endpoint on IPv6 loopback: `http://[::1]:PORT`; otherwise undefined. */
  readonly ipv6Url?: string;
  readonly port: number;
  readonly region: string;
  /** `aws`, `aws-cn` or `aws-us-gov`, from the Region. */
  readonly partition: string;
  /** The emulated account: 12 digits. */
  readonly accountId: string;
  readonly executionCredentials: KeyPair;
  readonly scopedRoleArn: string;
  /** The developer IAM user's key pair: may assume the scoped role, describe and list channels. */
  readonly developerCredentials: KeyPair;
  /** `arn:…:iam::ACCOUNT:user/kvs-ice-broker-developer` */
  readonly developerArn: string;
  /**
   * The sample viewer user's key pair (`arn:…:iam::ACCOUNT:user/kvs-sample-viewer`), with
   * `sampleViewerUser` only: the viewer's three KVS calls on the channels, nothing else.
   */
  readonly sampleViewerCredentials?: KeyPair;
  /** The developer's credentials, the endpoint and the Region, as environment variables for the AWS CLI and SDKs. */
  toolEnvironment(): ToolEnvironment;
  /** Channel name to ARN. */
  readonly channelArns: ReadonlyMap<string, string>;
  /** The same JSON as `GET /_emulator/stats`. */
  stats(): EmulatorStats;
  resetStats(): void;
  /** Sets (or with `null` clears) the fault of one operation; throws on an invalid spec. */
  setFault(operation: Operation, fault: FaultSpec | null): void;
  clearFaults(): void;
  /** Turns quota enforcement on or off and replaces limits, as `POST /_emulator/quotas` does. */
  setQuotas(settings: QuotaSettings): void;
  /**
   * Puts the emulated AWS clock `offsetMs` ahead (negative: behind) of its configured clock, as
   * `POST /_emulator/clock` does; 0 resets. Shifts SigV4 date checks, STS expirations, TURN
   * username expiry and the `Date` header. Throws on a non-integer or an offset beyond a week.
   */
  setClockOffset(offsetMs: number): void;
  /**
   * Sets the SSM `String` parameter `name` (a new version), or with `null` deletes it: what
   * `GetParameter` (`POST /`, `X-Amz-Target: AmazonSSM.GetParameter`) answers. The execution
   * credentials may read `blockedCallersParameter` only. Throws a RangeError on an empty value or
   * one over 4 KB.
   */
  setParameter(name: string, value: string | null): void;
  /** SSM `GetParameter` calls answered so far. */
  parameterReads(): number;
  /**
   * The KVS signaling WebSocket service (the WSS endpoints of {@link signalingEndpoints}): its
   * counters and Connect faults, as `GET /_emulator/signaling` and `POST /_emulator/signaling/faults`
   * have them.
   */
  readonly signaling: SignalingControl;
  /** The signaling endpoints `GetSignalingChannelEndpoint` hands out. */
  readonly signalingEndpoints: SignalingEndpoints;
  /** The storage API's endpoint (`WEBRTC` of `GetSignalingChannelEndpoint`, for channels that record media). */
  readonly storageEndpoint: string;
  /** The recording peer's counts per channel that joined a storage session (also `storage` of `GET /_emulator/stats`). */
  storageStats(): Record<string, StorageChannelStats>;
  /** Closes the server and every open socket. */
  close(): Promise<void>;
}
