import type { ChannelRole } from '@kvs-ice-broker/client/contract';
import {
  type Channel,
  MASTER_CLAIM_VIEWING,
  masterClaimProblem,
  parseChannelArn,
  parseSignalingRoles,
  servedSignalingRoles,
} from './contract';
import type { BudgetLimits } from './core/budget';
import type { EndpointMode } from './core/ice-servers';
import { DEFAULT_BACKOFF, type UpstreamTuning } from './core/retry';
import type { VendorTuning } from './core/vendor';
import {
  ENV,
  type FunctionSettingName,
  SETTINGS,
  type Setting,
  type Settings,
  type SettingValue,
  settingEntries,
} from './settings';

/** The function's environment: variable name to value (`process.env` in Lambda). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A setting as the function holds it: its value, or `undefined` when it has neither a default nor a value. */
type Configured<S extends Setting> = S extends { readonly default: unknown } | { readonly required: true }
  ? SettingValue<S>
  : SettingValue<S> | undefined;

/**
 * Configuration of the function, read once at cold start: one field per setting of
 * lambda/settings.ts that has an environment variable, with its default where it has one. The
 * settings a deployment gives (`SIGNALING_ROLES`, `MASTER_CHANNELS_CLAIM`, `SHARED_CACHE`, …) are
 * checked together: with `AUTH_MODE=none` the master role is never served, a claim nothing would
 * check is refused, a shared cache needs the shared table.
 */
export type FunctionConfig = {
  readonly [K in Exclude<FunctionSettingName, 'channels' | 'signalingRoles'>]: Configured<Settings[K]>;
} & {
  /** The served channels, with the Region and partition each ARN carries (`CHANNELS`). */
  readonly channels: readonly Channel[];
  /** The presigned signaling routes served (`SIGNALING_ROLES`); never `master` with auth mode `none`. */
  readonly signalingRoles: readonly ChannelRole[];
};

/** The numbers of {@link FunctionConfig} that tune the vending core and its budgets. */
export type Tuning = Pick<
  FunctionConfig,
  | 'minRemainingTtlSeconds'
  | 'deadlineMs'
  | 'iceCallsPerSecond'
  | 'accountIceCallsPerSecond'
  | 'callerIssuancesPerMinute'
  | 'budgetWaitMs'
  | 'upstreamAttempts'
>;

/** A missing or invalid environment variable: the message names it and what it must hold (one line per problem). */
export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** The value of one variable, or a problem naming it; `undefined` when unset (or blank) and optional. */
type Read = { value: unknown } | { problem: string };

/** Reads one setting's variable as its type says; a blank value is an unset one. */
function readVariable(env: Environment, setting: Setting & { env: string }): Read {
  const name = setting.env;
  const raw = env[name]?.trim();
  if (!raw) {
    if (setting.required) return { problem: `${name} is not set` };
    return { value: setting.default };
  }
  const { type } = setting;
  switch (type.kind) {
    case 'integer': {
      // Decimal digits only: Number() would also take "0x10", "1e3" or "0b11".
      const value = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
      const { min = 0, max = Number.MAX_SAFE_INTEGER } = type;
      return Number.isInteger(value) && value >= min && value <= max
        ? { value }
        : { problem: `${name} must be an integer from ${min} to ${max}, got "${raw}"` };
    }
    case 'boolean':
      return raw === 'true' || raw === 'false'
        ? { value: raw === 'true' }
        : { problem: `${name} must be true or false, got "${raw}"` };
    case 'enum':
      return type.values.includes(raw)
        ? { value: raw }
        : { problem: `${name} must be one of ${type.values.join(', ')}, got "${raw}"` };
    case 'list':
      return { value: raw.split(',').map((item) => item.trim()) };
    default:
      return { value: raw };
  }
}

/**
 * Reads and validates the function's environment (lambda/settings.ts says which variables, their
 * types, bounds and defaults). Throws one {@link EnvironmentError} with a line per problem, each
 * naming its variable: a function that cannot serve fails its cold start, not every request.
 */
export function loadConfig(env: Environment): FunctionConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, setting] of settingEntries()) {
    if (setting.env === undefined) continue;
    const read = readVariable(env, { ...setting, env: setting.env });
    if ('problem' in read) problems.push(read.problem);
    else values[name] = read.value;
  }
  const config = values as Omit<FunctionConfig, 'channels' | 'signalingRoles'>;
  const { scopedRoleArn, authMode } = config;
  if (scopedRoleArn !== undefined && !ROLE_ARN.test(scopedRoleArn))
    problems.push(`${ENV.scopedRoleArn} is not an IAM role ARN`);
  // A claim nothing would check must not read as "callers are restricted to channels".
  if (config.channelsClaim !== undefined && authMode !== undefined && authMode !== 'jwt')
    problems.push(`${ENV.channelsClaim} only applies with ${ENV.authMode}=jwt (it is ${authMode})`);
  if (config.storageSessions && authMode !== undefined && !env[ENV.signalingRoles]?.trim())
    problems.push(
      `${ENV.storageSessions}=true needs ${ENV.signalingRoles}: a storage session joins a viewer's or master's signaling connection`,
    );
  if (config.sharedCache && config.sharedTable === undefined)
    problems.push(`${ENV.sharedCache}=true needs ${ENV.sharedTable}, the table that holds the answers`);
  const channels = 'channels' in values ? readChannels(String(values.channels), problems) : [];
  const signalingRoles = authMode === undefined ? [] : readSignalingRoles(config, env, problems);
  if (problems.length > 0) throw new EnvironmentError(problems.join('\n'));
  return { ...config, channels, signalingRoles };
}

/** `CHANNELS`: a JSON object of channel name to that channel's ARN, naming at least one channel. */
function readChannels(raw: string, problems: string[]): Channel[] {
  const notAnObject = `${ENV.channels} must be a JSON object of channel name to channel ARN`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(notAnObject);
    return [];
  }
  const entries = Object.entries(parsed);
  if (entries.length === 0) problems.push(`${ENV.channels} names no channel`);
  return entries.flatMap(([name, arn]) => {
    const channel = typeof arn === 'string' ? parseChannelArn(arn) : undefined;
    if (!channel) problems.push(`${ENV.channels}["${name}"] is not a KVS signaling channel ARN`);
    else if (channel.name !== name)
      problems.push(`${ENV.channels}["${name}"] is the ARN of channel "${channel.name}"`);
    return channel?.name === name ? [channel] : [];
  });
}

/**
 * `SIGNALING_ROLES` and `MASTER_CHANNELS_CLAIM`. Fails closed: with the master role in `jwt` mode
 * the claim is required (without it every caller could master every channel), and a claim nothing
 * would check, or the channels claim itself (every viewer would master), is refused.
 */
function readSignalingRoles(
  config: Pick<FunctionConfig, 'authMode' | 'masterChannelsClaim' | 'channelsClaim'>,
  env: Environment,
  problems: string[],
): readonly ChannelRole[] {
  const parsed = parseSignalingRoles(env[ENV.signalingRoles] ?? '');
  if ('problem' in parsed) {
    problems.push(`${ENV.signalingRoles}: ${parsed.problem}`);
    return [];
  }
  const roles = servedSignalingRoles(parsed, config.authMode);
  const { masterChannelsClaim, channelsClaim } = config;
  const problem = masterClaimProblem(config.authMode, roles, masterChannelsClaim, channelsClaim);
  if (problem === 'viewing') {
    problems.push(
      `${ENV.masterChannelsClaim} must name a different claim than ${ENV.channelsClaim} ("${channelsClaim}"): ${MASTER_CLAIM_VIEWING}`,
    );
  }
  if (problem === 'missing') {
    problems.push(
      `${ENV.masterChannelsClaim} is not set: with ${ENV.authMode}=jwt the master role needs the claim listing the channels a caller may master`,
    );
  }
  if (problem === 'unused') {
    problems.push(
      `${ENV.masterChannelsClaim} only applies with ${ENV.authMode}=jwt and the master role in ${ENV.signalingRoles}`,
    );
  }
  return roles;
}

/** Every tuning setting at its default (lambda/settings.ts). */
export const DEFAULT_TUNING: Tuning = {
  minRemainingTtlSeconds: SETTINGS.minRemainingTtlSeconds.default,
  deadlineMs: SETTINGS.deadlineMs.default,
  iceCallsPerSecond: SETTINGS.iceCallsPerSecond.default,
  accountIceCallsPerSecond: SETTINGS.accountIceCallsPerSecond.default,
  callerIssuancesPerMinute: SETTINGS.callerIssuancesPerMinute.default,
  budgetWaitMs: SETTINGS.budgetWaitMs.default,
  upstreamAttempts: SETTINGS.upstreamAttempts.default,
};

/** The call budget's limits for these tuning values (per instance, or shared by all). */
export function budgetLimits(tuning: Tuning): BudgetLimits {
  return {
    perChannelPerSecond: tuning.iceCallsPerSecond,
    perAccountPerSecond: tuning.accountIceCallsPerSecond,
    perCallerPerMinute: tuning.callerIssuancesPerMinute,
    maxWaitMs: tuning.budgetWaitMs,
  };
}

/** Every upstream step's deadline and retries, for these tuning values. */
export function upstreamTuning(tuning: Tuning): UpstreamTuning {
  return { deadlineMs: tuning.deadlineMs, retry: { attempts: tuning.upstreamAttempts, ...DEFAULT_BACKOFF } };
}

/** The vending core's policy for these tuning values and the endpoints the function reaches (`dualStack`, `fips`). */
export function vendorTuning(tuning: Tuning, endpoints: EndpointMode): VendorTuning {
  return {
    ...upstreamTuning(tuning),
    minRemainingTtlSeconds: tuning.minRemainingTtlSeconds,
    budget: budgetLimits(tuning),
    endpoints,
  };
}
