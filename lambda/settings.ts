/**
 * Every setting of a deployment and of its function, declared once: its context key (`cdk deploy
 * -c key=value`, the construct's prop it fills), the function's environment variable, its type,
 * bounds, default, unit and one line of documentation. This table drives the context parser
 * (lib/context.ts), the props → environment mapping the stack and the local runner share
 * (lib/function-environment.ts), the function's `loadConfig` (lambda/config.ts), the construct's
 * range checks (lib/ice-broker-validation.ts) and the configuration reference
 * (docs/configuration.md, checked by a test). It is in the function's bundle: data and types only.
 */
import { AUTH_MODES, TURN_CREDENTIAL_LIFETIME_SECONDS } from './contract';

/** How a setting's text reads: its type, and the values it accepts where the table can say. */
export type SettingType =
  /** A whole number; `min` / `max` bound it where given (inclusive). */
  | { readonly kind: 'integer'; readonly min?: number; readonly max?: number }
  /** A decimal number greater than `above`, and at most `max` where given. */
  | { readonly kind: 'number'; readonly above: number; readonly max?: number }
  /** `true` or `false`. */
  | { readonly kind: 'boolean' }
  /** One of `values`, exactly. */
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** Free text that its owner checks (an ARN, a URL, a name). */
  | { readonly kind: 'string' }
  /** Comma-separated strings (a JSON array of strings in cdk.json). */
  | { readonly kind: 'list' }
  /** A JSON document its owner parses. */
  | { readonly kind: 'json' };

/** One setting: where a deployment sets it, how the function reads it, and what it means. */
export interface Setting {
  /** The CDK context key (`-c key=value`, cdk.json); absent: no context key sets it. */
  readonly context?: string;
  /**
   * With `context`: the path of the `IceBroker` prop the key fills (`auth.issuer`,
   * `observability.thresholds.api5xxPercent`), when it is not the setting's name.
   */
  readonly prop?: string;
  /** The function's environment variable (read once, at cold start); absent: only the stack reads it. */
  readonly env?: string;
  /** The stack sets the variable from a resource it creates (a role, a table, a parameter): no context key. */
  readonly resource?: true;
  /** The function refuses to start without the variable (and a deployment without the key, where it has one). */
  readonly required?: true;
  readonly type: SettingType;
  /** The value when the setting is not given, where it is a constant. */
  readonly default?: number | boolean | string;
  /** What the number counts, for the documentation: `seconds`, `ms`, `calls/s` … */
  readonly unit?: string;
  /** One line for the configuration reference. */
  readonly doc: string;
}

/**
 * Every setting, grouped as the configuration reference lists them. The name of a setting is its
 * field in the function's configuration (lambda/config.ts) and, without `prop`, its `IceBroker` prop.
 */
export const SETTINGS = {
  // What the API serves, and to whom.
  authMode: {
    context: 'auth',
    prop: 'auth.mode',
    env: 'AUTH_MODE',
    required: true,
    type: { kind: 'enum', values: AUTH_MODES },
    doc: 'how callers authenticate: jwt (any OIDC issuer), iam (SigV4) or none (demos only); the function refuses requests without the identity it guarantees',
  },
  jwtIssuer: {
    context: 'jwtIssuer',
    prop: 'auth.issuer',
    type: { kind: 'string' },
    doc: "auth=jwt (required then): the issuer's https:// URL, exactly as in the tokens' iss claim",
  },
  jwtAudience: {
    context: 'jwtAudience',
    prop: 'auth.audience',
    type: { kind: 'list' },
    doc: 'auth=jwt (required then): the audiences (app client ids) of which a token must carry one',
  },
  jwtScopes: {
    context: 'jwtScopes',
    prop: 'auth.scopes',
    type: { kind: 'list' },
    doc: 'auth=jwt: OAuth scopes of which a token must carry one (checked by API Gateway); none by default',
  },
  channelsClaim: {
    context: 'channelsClaim',
    prop: 'auth.channelsClaim',
    env: 'CHANNELS_CLAIM',
    type: { kind: 'string' },
    doc: 'auth=jwt: the claim listing the channels a caller may use; unset, every caller may use every served channel',
  },
  allowUnauthenticated: {
    context: 'allowUnauthenticated',
    prop: 'auth.allowUnauthenticated',
    type: { kind: 'boolean' },
    default: false,
    doc: 'must be true with auth=none: the acknowledgement that anyone on the internet may get TURN credentials',
  },
  corsAllowOrigins: {
    context: 'corsAllowOrigins',
    type: { kind: 'list' },
    doc: 'browser origins http(s)://host[:port] allowed to call the API; * only with auth=none; none by default',
  },
  existingChannels: {
    context: 'channels',
    type: { kind: 'list' },
    doc: 'existing signaling channels to serve: full channel ARNs, or name/creationTime (a bare name has no ARN and is refused)',
  },
  createChannels: {
    context: 'createChannels',
    type: { kind: 'list' },
    doc: 'channels the stack creates (SINGLE_MASTER), serves, and deletes with itself; with channels, at least one channel in all',
  },
  channels: {
    env: 'CHANNELS',
    resource: true,
    required: true,
    type: { kind: 'json' },
    doc: 'every served channel, as a JSON object of channel name to channel ARN',
  },
  signalingRoles: {
    context: 'signalingRoles',
    env: 'SIGNALING_ROLES',
    type: { kind: 'list' },
    doc: '"" (none), viewer or viewer,master: the presigned signaling routes, and the Connect actions of the scoped role; never master with auth=none',
  },
  masterChannelsClaim: {
    context: 'masterChannelsClaim',
    prop: 'auth.masterChannelsClaim',
    env: 'MASTER_CHANNELS_CLAIM',
    type: { kind: 'string' },
    doc: 'auth=jwt with the master role (required then): the claim listing the channels a caller may master; another claim than channelsClaim',
  },
  viewerSlotsPerCaller: {
    context: 'viewerSlotsPerCaller',
    env: 'VIEWER_SLOTS_PER_CALLER',
    type: { kind: 'integer', min: 1, max: 10 },
    default: 3,
    unit: 'connections',
    doc: 'with the viewer route: viewer connections one caller may hold on one channel at once (KVS allows 10 viewers per channel)',
  },

  storageSessions: {
    context: 'storageSessions',
    env: 'STORAGE_SESSIONS',
    type: { kind: 'boolean' },
    default: false,
    doc: 'with signalingRoles: POST /v1/channels/{channel}/storage-session/viewer and …/master (WebRTC ingestion) for the served roles, the signaling answers say which channels record media, and the scoped role gains JoinStorageSessionAsViewer (viewer), JoinStorageSession (master) and DescribeMediaStorageConfiguration; not in aws-cn',
  },

  // The API, the function and their logs.
  throttleRate: {
    context: 'throttleRate',
    type: { kind: 'number', above: 0 },
    default: 50,
    unit: 'requests/s',
    doc: "steady-state request rate of the API's stage",
  },
  throttleBurst: {
    context: 'throttleBurst',
    type: { kind: 'integer', min: 1 },
    default: 100,
    unit: 'requests',
    doc: "burst of the API's stage; a burst above reservedConcurrency (or 1000 without it) is warned about",
  },
  reservedConcurrency: {
    context: 'reservedConcurrency',
    type: { kind: 'integer', min: 0 },
    unit: 'executions',
    doc: "the function's reserved concurrency (0 is refused: it could never run); none by default",
  },
  logRetention: {
    context: 'logRetentionDays',
    type: { kind: 'integer', min: 1 },
    default: 30,
    unit: 'days',
    doc: "retention of the function's and the API's log groups: a CloudWatch Logs retention period",
  },
  stackName: {
    context: 'stackName',
    type: { kind: 'string' },
    default: 'KvsIceBroker',
    doc: 'the CloudFormation stack name (the CDK app reads it; the construct has no such prop)',
  },
  scopedRoleArn: {
    env: 'SCOPED_ROLE_ARN',
    resource: true,
    required: true,
    type: { kind: 'string' },
    doc: 'the role the function assumes for KVS (an IAM role ARN)',
  },
  blockedCallersParameter: {
    env: 'BLOCKED_CALLERS_PARAMETER',
    resource: true,
    required: true,
    type: { kind: 'string' },
    doc: 'the SSM parameter listing blocked callers (without it no caller could be blocked)',
  },
  logLevel: {
    env: 'POWERTOOLS_LOG_LEVEL',
    type: { kind: 'enum', values: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] },
    default: 'INFO',
    doc: 'the Powertools Logger level; request lines are INFO (200), WARN (4xx) and ERROR (5xx)',
  },
  metricsDisabled: {
    env: 'POWERTOOLS_METRICS_DISABLED',
    type: { kind: 'boolean' },
    default: false,
    doc: "true turns the function's metrics off (the local runner does)",
  },

  // TURN credentials, upstream calls and their budgets.
  minRemainingTtlSeconds: {
    context: 'minRemainingTtl',
    prop: 'minRemainingTtl',
    env: 'MIN_REMAINING_TTL_SECONDS',
    type: { kind: 'integer', min: 0, max: TURN_CREDENTIAL_LIFETIME_SECONDS - 1 },
    default: 120,
    unit: 'seconds',
    doc: `never return TURN credentials with less validity left than this (they live ${TURN_CREDENTIAL_LIFETIME_SECONDS} s)`,
  },
  accountIceCallsPerSecond: {
    context: 'accountIceCallsPerSecond',
    env: 'ACCOUNT_ICE_CALLS_PER_SECOND',
    type: { kind: 'integer', min: 1, max: 10_000 },
    default: 100,
    unit: 'calls/s',
    doc: "GetIceServerConfig calls per account and Region, all instances together: KVS's quota (soft; raise it only after Service Quotas did)",
  },
  callerIssuancesPerMinute: {
    context: 'callerIssuancesPerMinute',
    env: 'CALLER_ISSUANCES_PER_MINUTE',
    type: { kind: 'integer', min: 1, max: 1000 },
    default: 30,
    unit: 'calls/min',
    doc: 'new TURN credentials one caller may be issued, all instances and channels together (cache hits do not count); past it, 429',
  },
  iceCallsPerSecond: {
    env: 'ICE_CALLS_PER_SECOND',
    type: { kind: 'integer', min: 1, max: 5 },
    default: 5,
    unit: 'calls/s',
    doc: 'GetIceServerConfig calls per channel, all instances together (per instance while the shared table is unavailable); KVS allows 5',
  },
  budgetWaitMs: {
    env: 'ICE_BUDGET_WAIT_MS',
    type: { kind: 'integer', min: 0, max: 5000 },
    default: 1500,
    unit: 'ms',
    doc: 'how long a request waits for that call budget before 429 Throttled',
  },
  deadlineMs: {
    env: 'UPSTREAM_DEADLINE_MS',
    type: { kind: 'integer', min: 100, max: 9000 },
    default: 6000,
    unit: 'ms',
    doc: "one request's time for all upstream work (sessions, endpoint, ICE config, retries, budget waits), then 504; under the 10 s timeout",
  },
  connectTimeoutMs: {
    env: 'UPSTREAM_CONNECT_TIMEOUT_MS',
    type: { kind: 'integer', min: 50, max: 10_000 },
    default: 1000,
    unit: 'ms',
    doc: 'time to open a connection to STS, KVS or SSM before the attempt is abandoned (and retried)',
  },
  requestTimeoutMs: {
    env: 'UPSTREAM_REQUEST_TIMEOUT_MS',
    type: { kind: 'integer', min: 50, max: 10_000 },
    default: 2000,
    unit: 'ms',
    doc: 'time an upstream attempt may wait for its answer before it is abandoned (and retried)',
  },
  upstreamAttempts: {
    env: 'UPSTREAM_ATTEMPTS',
    type: { kind: 'integer', min: 1, max: 6 },
    default: 3,
    doc: 'attempts per upstream call on throttling, outages, timeouts and 5xx, with full-jitter backoff (the SDK retries nothing)',
  },
  dualStack: {
    context: 'dualStack',
    env: 'DUAL_STACK',
    type: { kind: 'boolean' },
    default: false,
    doc: "reach KVS, STS, SSM and DynamoDB at their dual-stack (IPv4 and IPv6) endpoints and vend KVS's dual-stack STUN URL; refused where a Region has none (docs/operations.md)",
  },
  fips: {
    context: 'fips',
    env: 'FIPS',
    type: { kind: 'boolean' },
    default: false,
    doc: "reach KVS, STS, SSM and DynamoDB at their FIPS endpoints and vend KVS's FIPS STUN URL (stuns:); refused where a Region has none (KVS: AWS GovCloud (US) only; docs/operations.md)",
  },
  sharedCache: {
    context: 'sharedCache',
    env: 'SHARED_CACHE',
    type: { kind: 'boolean' },
    default: false,
    doc: 'keep ICE answers in the shared table too, so that a caller reaching another instance costs no KVS call',
  },
  sharedTable: {
    env: 'SHARED_TABLE',
    resource: true,
    type: { kind: 'string' },
    doc: 'the DynamoDB table every instance shares (call budget, viewer slots, shared cache); unset, each instance keeps its own',
  },
  sharedTableTimeoutMs: {
    context: 'sharedTableTimeoutMs',
    env: 'SHARED_TABLE_TIMEOUT_MS',
    type: { kind: 'integer', min: 20, max: 5000 },
    default: 250,
    unit: 'ms',
    doc: 'time one request to the shared table may take before the instance uses its own budget instead',
  },
  blockedCallersMaxAgeSeconds: {
    env: 'BLOCKED_CALLERS_MAX_AGE_SECONDS',
    type: { kind: 'integer', min: 1, max: 300 },
    default: 60,
    unit: 'seconds',
    doc: 'how long a read of the blocked-callers parameter is reused: the longest a new block takes to apply',
  },

  // Observability.
  alarmTopicArn: {
    context: 'alarmTopicArn',
    prop: 'observability.alarmTopicArn',
    type: { kind: 'string' },
    doc: 'an existing standard SNS topic for the alarms; by default the stack creates one (KMS-encrypted, SSL only)',
  },
  tracing: {
    context: 'tracing',
    prop: 'observability.tracing',
    type: { kind: 'boolean' },
    default: false,
    doc: 'AWS X-Ray active tracing of the function (HTTP APIs have no X-Ray, so traces start at the function)',
  },
  alarmApi5xxPercent: {
    context: 'alarmApi5xxPercent',
    prop: 'observability.thresholds.api5xxPercent',
    type: { kind: 'number', above: 0, max: 100 },
    default: 2,
    unit: '%',
    doc: 'ApiServerErrors alarm: 5xx answers in percent of requests over 5 minutes',
  },
  alarmFunctionErrors: {
    context: 'alarmFunctionErrors',
    prop: 'observability.thresholds.functionErrors',
    type: { kind: 'integer', min: 1 },
    default: 1,
    unit: 'per minute',
    doc: 'FunctionErrors alarm: Lambda errors (crashes, timeouts, failed inits)',
  },
  alarmFunctionThrottles: {
    context: 'alarmFunctionThrottles',
    prop: 'observability.thresholds.functionThrottles',
    type: { kind: 'integer', min: 1 },
    default: 1,
    unit: 'per minute',
    doc: 'FunctionThrottles alarm: throttled invocations',
  },
  alarmDurationP99Ms: {
    context: 'alarmDurationP99Ms',
    prop: 'observability.thresholds.durationP99Ms',
    type: { kind: 'integer', min: 1 },
    default: 5000,
    unit: 'ms',
    doc: 'FunctionDurationP99 alarm: p99 of the function duration over 5 minutes',
  },
  alarmUpstreamThrottles: {
    context: 'alarmUpstreamThrottles',
    prop: 'observability.thresholds.upstreamThrottlesPerMinute',
    type: { kind: 'integer', min: 1 },
    default: 10,
    unit: 'per minute',
    doc: 'UpstreamThrottles alarm: GetIceServerConfig attempts KVS throttled',
  },
  alarmUpstreamErrors: {
    context: 'alarmUpstreamErrors',
    prop: 'observability.thresholds.upstreamErrors',
    type: { kind: 'integer', min: 1 },
    default: 5,
    unit: 'per 5 minutes',
    doc: 'UpstreamErrors alarm: STS or KVS steps that failed after retries',
  },
  alarmServedTtlSeconds: {
    context: 'alarmServedTtlSeconds',
    prop: 'observability.thresholds.servedTtlSeconds',
    type: { kind: 'integer', min: 1 },
    unit: 'seconds',
    doc: 'ServedTtlLow alarm: p10 of the TTL served over 5 minutes; by default minRemainingTtl + 15',
  },
  alarmClockSkewSeconds: {
    context: 'alarmClockSkewSeconds',
    prop: 'observability.thresholds.clockSkewSeconds',
    type: { kind: 'integer', min: 1 },
    default: 60,
    unit: 'seconds',
    doc: "ClockSkew alarm: how far AWS's clock and the function's disagree",
  },
} as const satisfies Record<string, Setting>;

/** The table's settings by name. */
export type Settings = typeof SETTINGS;
/** The name of a setting. */
export type SettingName = keyof Settings;

/** The settings the function reads from its environment, by name. */
export type FunctionSettingName = {
  [K in SettingName]: Settings[K] extends { readonly env: string } ? K : never;
}[SettingName];

/** A setting's value as the function holds it: a number, a boolean, one of an enum's values, a list or text. */
export type SettingValue<S extends Setting> = S['type'] extends { kind: 'integer' | 'number' }
  ? number
  : S['type'] extends { kind: 'boolean' }
    ? boolean
    : S['type'] extends { kind: 'enum'; values: readonly (infer V)[] }
      ? V
      : S['type'] extends { kind: 'list' }
        ? readonly string[]
        : string;

/** The names of the function's environment variables, by setting name. */
export const ENV = Object.fromEntries(
  Object.entries(SETTINGS).flatMap(([name, setting]) => ('env' in setting ? [[name, setting.env]] : [])),
) as { readonly [K in FunctionSettingName]: Settings[K]['env'] };

/** The settings as `[name, setting]` pairs, in the table's order. */
export const settingEntries = (): [SettingName, Setting][] =>
  Object.entries(SETTINGS) as [SettingName, Setting][];

/**
 * Why `value` is outside a number setting's bounds, as `<value> must be …`, or `undefined` when it
 * is within them (or the setting is no number): the construct's check of a prop the table bounds.
 */
export function boundsProblem(setting: Setting, value: number): string | undefined {
  const { type } = setting;
  if (type.kind === 'number') {
    if (Number.isFinite(value) && value > type.above && (type.max === undefined || value <= type.max))
      return undefined;
    return `${value} must be a number greater than ${type.above}${type.max !== undefined ? ` and at most ${type.max}` : ''}`;
  }
  if (type.kind !== 'integer') return undefined;
  const { min, max } = type;
  if (Number.isInteger(value) && (min === undefined || value >= min) && (max === undefined || value <= max))
    return undefined;
  if (min !== undefined && max !== undefined) return `${value} must be a whole number from ${min} to ${max}`;
  if (min !== undefined && min > 0) return `${value} must be an integer greater than ${min - 1}`;
  return `${value} must be a whole number${setting.unit !== undefined ? ` of ${setting.unit}` : ''}`;
}

/** The value at `path` (`auth.channelsClaim`) of `target`, or `undefined` where the path ends early. */
export function valueAt(target: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined,
      target,
    );
}
