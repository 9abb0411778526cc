import { AUTH_MODES, type AuthMode, ENV, MIN_REMAINING_TTL_SECONDS } from './contract';
import { type Channel, parseChannelArn } from './core/channels';

/** Configuration of the function, read once at cold start. */
export interface BrokerConfig {
  readonly scopedRoleArn: string;
  readonly channels: readonly Channel[];
  /**
   * The deployment's auth mode (`AUTH_MODE`, set by the stack): requests that lack the identity
   * this mode guarantees are refused (403 `CallerNotIdentified`), never served as anonymous.
   */
  readonly authMode: AuthMode;
  readonly minRemainingTtlSeconds: number;
  /** Milliseconds to establish an upstream connection. */
  readonly connectTimeoutMs: number;
  /** Milliseconds an upstream request may stay silent. */
  readonly requestTimeoutMs: number;
  /** Milliseconds one client request may spend on upstream work before it gets 504. */
  readonly deadlineMs: number;
  /** `GetIceServerConfig` calls per channel per second from one function instance. */
  readonly iceCallsPerSecond: number;
  /** Milliseconds a request may wait for that budget before it gets 429. */
  readonly budgetWaitMs: number;
  /** Attempts per upstream call when KVS throttles or is briefly down. */
  readonly upstreamAttempts: number;
  /** JWT claim listing the channels a caller may use; undefined when tokens do not restrict channels. */
  readonly channelsClaim?: string;
}

/** Missing or invalid configuration: the message names the variable and what it must hold. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set`);
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  // Decimal digits only: Number() would also take "0x10", "1e3" or "0b11".
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function channels(env: NodeJS.ProcessEnv): Channel[] {
  const raw = required(env, ENV.channels);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('CHANNELS must be a JSON object of channel name to channel ARN');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('CHANNELS must be a JSON object of channel name to channel ARN');
  }
  const entries = Object.entries(parsed);
  if (entries.length === 0) throw new ConfigError('CHANNELS names no channel');
  return entries.map(([name, arn]) => {
    const channel = typeof arn === 'string' ? parseChannelArn(arn) : undefined;
    if (!channel) throw new ConfigError(`CHANNELS["${name}"] is not a KVS signaling channel ARN`);
    if (channel.name !== name)
      throw new ConfigError(`CHANNELS["${name}"] is the ARN of channel "${channel.name}"`);
    return channel;
  });
}

function authMode(env: NodeJS.ProcessEnv): AuthMode {
  const raw = required(env, ENV.authMode);
  const mode = AUTH_MODES.find((known) => known === raw);
  if (mode === undefined)
    throw new ConfigError(`${ENV.authMode} must be one of ${AUTH_MODES.join(', ')}, got "${raw}"`);
  return mode;
}

/** Reads and validates the function's environment; throws `ConfigError` naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv): BrokerConfig {
  const scopedRoleArn = required(env, ENV.scopedRoleArn);
  if (!ROLE_ARN.test(scopedRoleArn)) throw new ConfigError(`${ENV.scopedRoleArn} is not an IAM role ARN`);
  const ttl = MIN_REMAINING_TTL_SECONDS;
  const mode = authMode(env);
  const channelsClaim = env[ENV.channelsClaim]?.trim() || undefined;
  // A claim nothing would check must not read as "callers are restricted to channels".
  if (channelsClaim !== undefined && mode !== 'jwt') {
    throw new ConfigError(`${ENV.channelsClaim} only applies with ${ENV.authMode}=jwt (it is ${mode})`);
  }
  return {
    scopedRoleArn,
    channels: channels(env),
    authMode: mode,
    minRemainingTtlSeconds: integer(env, ENV.minRemainingTtlSeconds, ttl.default, ttl.min, ttl.max),
    connectTimeoutMs: integer(env, 'UPSTREAM_CONNECT_TIMEOUT_MS', 1000, 50, 10_000),
    requestTimeoutMs: integer(env, 'UPSTREAM_REQUEST_TIMEOUT_MS', 2000, 50, 10_000),
    deadlineMs: integer(env, 'UPSTREAM_DEADLINE_MS', 6000, 100, 9000),
    iceCallsPerSecond: integer(env, 'ICE_CALLS_PER_SECOND', 5, 1, 5),
    budgetWaitMs: integer(env, 'ICE_BUDGET_WAIT_MS', 1500, 0, 5000),
    upstreamAttempts: integer(env, 'UPSTREAM_ATTEMPTS', 3, 1, 6),
    channelsClaim,
  };
}
