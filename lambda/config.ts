import type { SignalingRole } from '@kvs-ice-broker/client/contract';
import {
  ACCOUNT_ICE_CALLS_PER_SECOND,
  AUTH_MODES,
  type AuthMode,
  CALLER_ISSUANCES_PER_MINUTE,
  type Channel,
  ENV,
  MASTER_CLAIM_VIEWING,
  MIN_REMAINING_TTL_SECONDS,
  masterClaimProblem,
  parseChannelArn,
  parseSignalingRoles,
  servedSignalingRoles,
  VIEWER_SLOTS_PER_CALLER,
} from './contract';
import type { BudgetLimits } from './core/budget';
import { DEFAULT_BACKOFF } from './core/retry';
import type { VendorTuning } from './core/vendor';

/**
 * What an operator may tune through the function's environment: for each setting its variable
 * (the name carries the unit), default and accepted range. The one place these values live.
 */
export const TUNING = {
  /** Never return TURN credentials with less than this many seconds left (context `minRemainingTtl`). */
  minRemainingTtlSeconds: { env: ENV.minRemainingTtlSeconds, ...MIN_REMAINING_TTL_SECONDS },
  /** Milliseconds to establish an upstream connection before the attempt is abandoned. */
  connectTimeoutMs: { env: 'UPSTREAM_CONNECT_TIMEOUT_MS', default: 1000, min: 50, max: 10_000 },
  /** Milliseconds an upstream attempt may wait for its answer before it is abandoned (and retried). */
  requestTimeoutMs: { env: 'UPSTREAM_REQUEST_TIMEOUT_MS', default: 2000, min: 50, max: 10_000 },
  /** Milliseconds one request may spend on upstream work before 504; under the 10 s Lambda timeout. */
  deadlineMs: { env: 'UPSTREAM_DEADLINE_MS', default: 6000, min: 100, max: 9000 },
  /** `GetIceServerConfig` calls per channel per second, for all instances together with the shared table, else per instance (KVS allows 5, hard). */
  iceCallsPerSecond: { env: 'ICE_CALLS_PER_SECOND', default: 5, min: 1, max: 5 },
  /** Milliseconds a request may wait for that budget before 429. */
  budgetWaitMs: { env: 'ICE_BUDGET_WAIT_MS', default: 1500, min: 0, max: 5000 },
  /** Attempts per upstream call on throttling, outages, timeouts and 5xx (full-jitter backoff). */
  upstreamAttempts: { env: 'UPSTREAM_ATTEMPTS', default: 3, min: 1, max: 6 },
  /** `GetIceServerConfig` calls per account and Region per second, all instances together (context `accountIceCallsPerSecond`). */
  accountIceCallsPerSecond: { env: ENV.accountIceCallsPerSecond, ...ACCOUNT_ICE_CALLS_PER_SECOND },
  /** Calls that issue new TURN credentials to one caller per minute, all instances together (context `callerIssuancesPerMinute`). */
  callerIssuancesPerMinute: { env: ENV.callerIssuancesPerMinute, ...CALLER_ISSUANCES_PER_MINUTE },
  /** Viewer connections one caller may hold on one channel at once (context `viewerSlotsPerCaller`). */
  viewerSlotsPerCaller: { env: ENV.viewerSlotsPerCaller, ...VIEWER_SLOTS_PER_CALLER },
  /** Milliseconds one request to the shared table may take before the function uses per-instance state instead. */
  sharedTableTimeoutMs: { env: 'SHARED_TABLE_TIMEOUT_MS', default: 250, min: 20, max: 5000 },
  /** Seconds the blocked-callers list is cached: the longest a new block takes to apply. */
  blockedCallersMaxAgeSeconds: { env: 'BLOCKED_CALLERS_MAX_AGE_SECONDS', default: 60, min: 1, max: 300 },
} as const;

/** The tuned values, one number per {@link TUNING} setting. */
export type Tuning = { readonly [K in keyof typeof TUNING]: number };

const TUNING_KEYS = Object.keys(TUNING) as (keyof typeof TUNING)[];

/** Every tuning setting at its default. */
export const DEFAULT_TUNING: Tuning = Object.fromEntries(
  TUNING_KEYS.map((key) => [key, TUNING[key].default]),
) as Tuning;

/** Configuration of the function, read once at cold start. */
export interface FunctionConfig extends Tuning {
  readonly scopedRoleArn: string;
  readonly channels: readonly Channel[];
  /**
   * The deployment's auth mode (`AUTH_MODE`, set by the stack): requests that lack the identity
   * this mode guarantees are refused (403 `CallerNotIdentified`), never served as anonymous.
   */
  readonly authMode: AuthMode;
  /** JWT claim listing the channels a caller may use; undefined when tokens do not restrict channels. */
  readonly channelsClaim?: string;
  /**
   * The DynamoDB table every instance shares (`SHARED_TABLE`, set by the stack) for the call budget
   * and, with `sharedCache`, ICE answers; undefined: per-instance budget only (a local single instance).
   */
  readonly sharedTable?: string;
  /** `SHARED_CACHE=true` (context `sharedCache`): ICE answers shared through the shared table. */
  readonly sharedCache: boolean;
  /** Name of the SSM parameter listing blocked callers (`BLOCKED_CALLERS_PARAMETER`); required. */
  readonly blockedCallersParameter: string;
  /**
   * The presigned signaling routes served (`SIGNALING_ROLES`): empty when the deployment has none;
   * never `master` in auth mode `none`.
   */
  readonly signalingRoles: readonly SignalingRole[];
  /** `jwt` with the master role: the claim listing the channels a caller may master (required then). */
  readonly masterChannelsClaim?: string;
}

/** A missing or invalid environment variable: the message names it and what it must hold. */
export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new EnvironmentError(`${name} is not set`);
  return value;
}

function integer(env: NodeJS.ProcessEnv, setting: (typeof TUNING)[keyof typeof TUNING]): number {
  const raw = env[setting.env]?.trim();
  if (!raw) return setting.default;
  // Decimal digits only: Number() would also take "0x10", "1e3" or "0b11".
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < setting.min || value > setting.max) {
    throw new EnvironmentError(
      `${setting.env} must be an integer from ${setting.min} to ${setting.max}, got "${raw}"`,
    );
  }
  return value;
}

function channels(env: NodeJS.ProcessEnv): Channel[] {
  const raw = required(env, ENV.channels);
  const notAnObject = `${ENV.channels} must be a JSON object of channel name to channel ARN`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new EnvironmentError(notAnObject);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new EnvironmentError(notAnObject);
  const entries = Object.entries(parsed);
  if (entries.length === 0) throw new EnvironmentError(`${ENV.channels} names no channel`);
  return entries.map(([name, arn]) => {
    const channel = typeof arn === 'string' ? parseChannelArn(arn) : undefined;
    if (!channel) throw new EnvironmentError(`${ENV.channels}["${name}"] is not a KVS signaling channel ARN`);
    if (channel.name !== name)
      throw new EnvironmentError(`${ENV.channels}["${name}"] is the ARN of channel "${channel.name}"`);
    return channel;
  });
}

function authMode(env: NodeJS.ProcessEnv): AuthMode {
  const raw = required(env, ENV.authMode);
  const mode = AUTH_MODES.find((known) => known === raw);
  if (mode === undefined)
    throw new EnvironmentError(`${ENV.authMode} must be one of ${AUTH_MODES.join(', ')}, got "${raw}"`);
  return mode;
}

/** Reads and validates the function's environment; throws {@link EnvironmentError} naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv): FunctionConfig {
  const scopedRoleArn = required(env, ENV.scopedRoleArn);
  if (!ROLE_ARN.test(scopedRoleArn))
    throw new EnvironmentError(`${ENV.scopedRoleArn} is not an IAM role ARN`);
  const mode = authMode(env);
  const channelsClaim = env[ENV.channelsClaim]?.trim() || undefined;
  // A claim nothing would check must not read as "callers are restricted to channels".
  if (channelsClaim !== undefined && mode !== 'jwt') {
    throw new EnvironmentError(`${ENV.channelsClaim} only applies with ${ENV.authMode}=jwt (it is ${mode})`);
  }
  const tuning = Object.fromEntries(TUNING_KEYS.map((key) => [key, integer(env, TUNING[key])])) as Tuning;
  return {
    scopedRoleArn,
    channels: channels(env),
    authMode: mode,
    channelsClaim,
    // Required: without it no caller could be blocked, and nothing would say so.
    blockedCallersParameter: required(env, ENV.blockedCallersParameter),
    ...sharedTableSettings(env),
    ...signalingSettings(env, mode),
    ...tuning,
  };
}

/** `SHARED_TABLE` and `SHARED_CACHE`: a shared cache needs the table; anything but `true` / `false` is refused. */
function sharedTableSettings(env: NodeJS.ProcessEnv): Pick<FunctionConfig, 'sharedTable' | 'sharedCache'> {
  const sharedTable = env[ENV.sharedTable]?.trim() || undefined;
  const raw = env[ENV.sharedCache]?.trim() || 'false';
  if (raw !== 'true' && raw !== 'false')
    throw new EnvironmentError(`${ENV.sharedCache} must be true or false, got "${raw}"`);
  const sharedCache = raw === 'true';
  if (sharedCache && sharedTable === undefined)
    throw new EnvironmentError(
      `${ENV.sharedCache}=true needs ${ENV.sharedTable}, the table that holds the answers`,
    );
  return { sharedTable, sharedCache };
}

/**
 * `SIGNALING_ROLES` and `MASTER_CHANNELS_CLAIM`. Fails closed: with the master role in `jwt` mode
 * the claim is required (without it every caller could master every channel), and a claim nothing
 * would check, or the channels claim itself (every viewer would master), is refused.
 */
function signalingSettings(
  env: NodeJS.ProcessEnv,
  mode: AuthMode,
): Pick<FunctionConfig, 'signalingRoles' | 'masterChannelsClaim'> {
  const parsed = parseSignalingRoles(env[ENV.signalingRoles] ?? '');
  if ('problem' in parsed) throw new EnvironmentError(`${ENV.signalingRoles}: ${parsed.problem}`);
  const signalingRoles = servedSignalingRoles(parsed, mode);
  const masterChannelsClaim = env[ENV.masterChannelsClaim]?.trim() || undefined;
  const channelsClaim = env[ENV.channelsClaim]?.trim() || undefined;
  const problem = masterClaimProblem(mode, signalingRoles, masterChannelsClaim, channelsClaim);
  if (problem === 'viewing') {
    throw new EnvironmentError(
      `${ENV.masterChannelsClaim} must name a different claim than ${ENV.channelsClaim} ("${channelsClaim}"): ${MASTER_CLAIM_VIEWING}`,
    );
  }
  if (problem === 'missing') {
    throw new EnvironmentError(
      `${ENV.masterChannelsClaim} is not set: with ${ENV.authMode}=jwt the master role needs the claim listing the channels a caller may master`,
    );
  }
  if (problem === 'unused') {
    throw new EnvironmentError(
      `${ENV.masterChannelsClaim} only applies with ${ENV.authMode}=jwt and the master role in ${ENV.signalingRoles}`,
    );
  }
  return { signalingRoles, masterChannelsClaim };
}

/** The call budget's limits for these tuning values (per instance, or shared by all). */
export function budgetLimits(tuning: Tuning): BudgetLimits {
  return {
    perChannelPerSecond: tuning.iceCallsPerSecond,
    perAccountPerSecond: tuning.accountIceCallsPerSecond,
    perCallerPerMinute: tuning.callerIssuancesPerMinute,
    maxWaitMs: tuning.budgetWaitMs,
  };
}

/** The vending core's policy for these tuning values. */
export function vendorTuning(tuning: Tuning): VendorTuning {
  return {
    minRemainingTtlSeconds: tuning.minRemainingTtlSeconds,
    deadlineMs: tuning.deadlineMs,
    budget: budgetLimits(tuning),
    retry: { attempts: tuning.upstreamAttempts, ...DEFAULT_BACKOFF },
  };
}
