/**
 * The CDK context parser: context values (strings from `-c key=value`, JSON from cdk.json) to
 * typed {@link IceBrokerProps}, for `cdk synth` and for the local runner (`npm start`). It checks
 * only what typing needs: that a key is known, that a number is a number, that the keys the
 * chosen auth mode needs are there and the others are not. The construct validates the values
 * (lib/ice-broker-validation.ts); {@link CONTEXT_NAMES} makes its errors name the context key.
 */
import type { SignalingRole } from '@kvs-ice-broker/client/contract';
import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AUTH_MODES, type AuthMode } from '../lambda/contract';
import type { AuthSettings, ExistingChannel, IceBrokerAuth, IceBrokerProps } from './ice-broker-props';
import { ConfigError, type SettingNames } from './ice-broker-validation';
import type { ObservabilityProps } from './observability';

/** Reads one CDK context value (`cdk.json` "context", overridden by `-c key=value`). */
export type ContextReader = (key: string) => unknown;

/** What reads a context key: the prop it sets (errors about that prop name the key), or the local runner alone. */
interface KeyUse {
  readonly prop?: string;
  readonly localOnly?: true;
}

/** Every context key the code reads: the one list of keys. Any other key is an error. */
const CONTEXT_KEYS = {
  auth: { prop: 'auth' },
  jwtIssuer: { prop: 'auth.issuer' },
  jwtAudience: { prop: 'auth.audience' },
  jwtScopes: { prop: 'auth.scopes' },
  channelsClaim: { prop: 'auth.channelsClaim' },
  masterChannelsClaim: { prop: 'auth.masterChannelsClaim' },
  signalingRoles: { prop: 'signalingRoles' },
  viewerSlotsPerCaller: { prop: 'viewerSlotsPerCaller' },
  allowUnauthenticated: { prop: 'auth.allowUnauthenticated' },
  corsAllowOrigins: { prop: 'corsAllowOrigins' },
  channels: { prop: 'existingChannels' },
  createChannels: { prop: 'createChannels' },
  throttleRate: { prop: 'throttleRate' },
  throttleBurst: { prop: 'throttleBurst' },
  logRetentionDays: { prop: 'logRetention' },
  minRemainingTtl: { prop: 'minRemainingTtl' },
  reservedConcurrency: { prop: 'reservedConcurrency' },
  accountIceCallsPerSecond: { prop: 'accountIceCallsPerSecond' },
  callerIssuancesPerMinute: { prop: 'callerIssuancesPerMinute' },
  sharedCache: { prop: 'sharedCache' },
  alarmTopicArn: { prop: 'observability.alarmTopicArn' },
  tracing: { prop: 'observability.tracing' },
  alarmApi5xxPercent: { prop: 'observability.thresholds.api5xxPercent' },
  alarmFunctionErrors: { prop: 'observability.thresholds.functionErrors' },
  alarmFunctionThrottles: { prop: 'observability.thresholds.functionThrottles' },
  alarmDurationP99Ms: { prop: 'observability.thresholds.durationP99Ms' },
  alarmUpstreamThrottles: { prop: 'observability.thresholds.upstreamThrottlesPerMinute' },
  alarmUpstreamErrors: { prop: 'observability.thresholds.upstreamErrors' },
  alarmServedTtlSeconds: { prop: 'observability.thresholds.servedTtlSeconds' },
  alarmClockSkewSeconds: { prop: 'observability.thresholds.clockSkewSeconds' },
  /** The CDK app's: the CloudFormation stack name. */
  stackName: {},
  /** `npm start -- --aws`: the role to assume for KVS. */
  scopedRoleArn: { localOnly: true },
  /** `npm start`: the emulator's Region. */
  region: { localOnly: true },
  /** `npm start`: callers to refuse with 403 CallerBlocked (deployments: the SSM parameter). */
  blockedCallers: { localOnly: true },
  /** `npm start`: a JSON file in the blocked-callers parameter's format, re-read when it changes. */
  blockedCallersFile: { localOnly: true },
} as const satisfies Record<string, KeyUse>;

type ContextKey = keyof typeof CONTEXT_KEYS;

const KEY_USES: Readonly<Record<ContextKey, KeyUse>> = CONTEXT_KEYS;

const KEYS = Object.keys(CONTEXT_KEYS) as ContextKey[];

/** Every context key the code reads, deployment and local runner alike (docs/operations.md documents each). */
export const CONTEXT_KEY_NAMES: readonly string[] = KEYS;

/** Keys the CDK CLI itself keeps in the context (`cdk acknowledge`, `cdk cli-telemetry`). */
const CDK_CLI_KEYS = new Set(['acknowledged-issue-numbers', 'cli-telemetry']);

/** A cached context lookup, as `cdk.context.json` holds it: `<provider>:account=<id>:…`. */
const CDK_LOOKUP_KEY = /^[a-z][a-z0-9-]*:account=/;

/**
 * Feature flags, keys the CDK CLI injects, and context lookups (`availability-zones:account=...`).
 * Any other key with a colon is not CDK's (`-c chanels:prod=…` is a typo, refused like any other).
 */
function isCdkKey(key: string): boolean {
  return (
    CDK_CLI_KEYS.has(key) ||
    ['@aws-cdk/', '@aws-cdk-containers/', 'aws:cdk:', 'cdk-'].some((prefix) => key.startsWith(prefix)) ||
    CDK_LOOKUP_KEY.test(key)
  );
}

/**
 * Refuses any key neither the code (for `reader`) nor CDK reads, naming it and the closest
 * known key: a misspelled key would otherwise be ignored, and its setting silently left out.
 */
export function checkContextKeys(keys: Iterable<string>, reader: 'deployment' | 'local'): void {
  const known = KEYS.filter((key) => reader === 'local' || KEY_USES[key].localOnly !== true);
  for (const key of keys) {
    if (isCdkKey(key) || known.some((knownKey) => knownKey === key)) continue;
    if (key in CONTEXT_KEYS) throw contextError(key, 'only the local runner (npm start) reads it');
    const closest = closestKey(key, known);
    throw contextError(
      key,
      closest !== undefined
        ? `unknown key; did you mean "${closest}"?`
        : `unknown key; the known keys are ${known.join(', ')}`,
    );
  }
}

/** The known key fewest edits away from `key`, if it is close enough to be a likely typo. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const within = Math.max(2, Math.floor(key.length / 3));
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= within && (best === undefined || distance < best.distance))
      best = { key: candidate, distance };
  }
  return best?.key;
}

/** Insertions, deletions, substitutions and swaps of adjacent characters that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      }
      const row = d[i];
      if (row) row[j] = distance;
    }
  }
  return at(a.length, b.length);
}

/** Validation errors name the context key a prop came from: `Invalid context "channels": ...`. */
export const CONTEXT_NAMES: SettingNames = {
  subject: 'context',
  name(prop) {
    // `existingChannels[0].arn` -> `existingChannels.arn` -> `existingChannels`: the longest known prop.
    const segments = prop.replace(/\[\d+\]/g, '').split('.');
    for (let length = segments.length; length > 0; length--) {
      const path = segments.slice(0, length).join('.');
      const key = KEYS.find((candidate) => KEY_USES[candidate].prop === path);
      if (key !== undefined) return key;
    }
    return prop;
  },
};

/** The deployment described by the CDK context. */
export interface AppContext {
  /** CloudFormation stack name (context `stackName`); unset when the key is unset. */
  readonly stackName?: string;
  /** The broker's props, not yet validated: the construct validates them. */
  readonly props: IceBrokerProps;
}

/**
 * Parses the context of a deployment (README "Configuration keys"). Authentication comes first:
 * it has no default, so a bare `cdk synth` asks for it before anything else.
 */
export function parseContext(read: ContextReader): AppContext {
  const { auth, corsAllowOrigins } = readAuth(read, false);
  const stackName = readString(read, 'stackName');
  return {
    ...(stackName !== undefined ? { stackName } : {}),
    props: { auth: requireDeployable(auth), ...optional({ corsAllowOrigins }), ...readBrokerSettings(read) },
  };
}

/** The keys as the local runner reads them; see {@link parseLocalContext}. */
export type LocalContext = Omit<IceBrokerProps, 'auth'> & {
  readonly auth: AuthSettings;
  /** `--aws`: the role to assume for KVS (the deployed scoped role trusts only the function). */
  readonly scopedRoleArn?: string;
  /** The emulator's Region. */
  readonly region?: string;
  /** Caller ids and `sub:<subject>` entries to block (`-c blockedCallers=…`). */
  readonly blockedCallers?: readonly string[];
  /** A JSON file in the blocked-callers parameter's format (`-c blockedCallersFile=…`). */
  readonly blockedCallersFile?: string;
};

/**
 * Parses the context of the local runner (`npm start`): the deployment's keys with its documented
 * differences (no `auth` means `none`; jwt's issuer and audience may be left to its local issuer;
 * `channels` may hold bare names), and its own keys `scopedRoleArn` and `region`.
 */
export function parseLocalContext(read: ContextReader): LocalContext {
  const { auth, corsAllowOrigins } = readAuth(read, true);
  return {
    auth,
    ...optional({
      corsAllowOrigins,
      scopedRoleArn: readString(read, 'scopedRoleArn'),
      region: readString(read, 'region'),
      blockedCallers: readList(read, 'blockedCallers'),
      blockedCallersFile: readString(read, 'blockedCallersFile'),
    }),
    ...readBrokerSettings(read),
  };
}

/** The settings read the same way for a deployment and locally. */
function readBrokerSettings(read: ContextReader): Omit<IceBrokerProps, 'auth' | 'corsAllowOrigins'> {
  const minRemainingTtl = readNumber(read, 'minRemainingTtl');
  return {
    existingChannels: readList(read, 'channels').map(parseChannelEntry),
    createChannels: readList(read, 'createChannels'),
    ...optional({
      throttleRate: readNumber(read, 'throttleRate'),
      throttleBurst: readNumber(read, 'throttleBurst'),
      logRetention: readNumber(read, 'logRetentionDays') as RetentionDays | undefined,
      minRemainingTtl: minRemainingTtl === undefined ? undefined : seconds(minRemainingTtl),
      reservedConcurrency: readNumber(read, 'reservedConcurrency'),
      accountIceCallsPerSecond: readNumber(read, 'accountIceCallsPerSecond'),
      callerIssuancesPerMinute: readNumber(read, 'callerIssuancesPerMinute'),
      viewerSlotsPerCaller: readNumber(read, 'viewerSlotsPerCaller'),
      sharedCache: readBoolean(read, 'sharedCache'),
      observability: readObservability(read),
      // The construct checks the roles (lib/signaling.ts); until then they are only strings.
      signalingRoles: readList(read, 'signalingRoles') as SignalingRole[],
    }),
  };
}

/** Alarm destination, tracing and thresholds; `undefined` when no key is set. */
function readObservability(read: ContextReader): ObservabilityProps | undefined {
  const thresholds = optional({
    api5xxPercent: readNumber(read, 'alarmApi5xxPercent'),
    functionErrors: readNumber(read, 'alarmFunctionErrors'),
    functionThrottles: readNumber(read, 'alarmFunctionThrottles'),
    durationP99Ms: readNumber(read, 'alarmDurationP99Ms'),
    upstreamThrottlesPerMinute: readNumber(read, 'alarmUpstreamThrottles'),
    upstreamErrors: readNumber(read, 'alarmUpstreamErrors'),
    servedTtlSeconds: readNumber(read, 'alarmServedTtlSeconds'),
    clockSkewSeconds: readNumber(read, 'alarmClockSkewSeconds'),
  });
  const props = optional({
    alarmTopicArn: readString(read, 'alarmTopicArn'),
    tracing: readBoolean(read, 'tracing'),
    thresholds: Object.keys(thresholds).length > 0 ? thresholds : undefined,
  });
  return Object.keys(props).length > 0 ? props : undefined;
}

/**
 * One `channels` entry: a channel ARN (named as in the ARN), `name/creationTime`, or a bare name,
 * which only the local runner accepts. The construct validates each part.
 */
function parseChannelEntry(entry: string): ExistingChannel {
  if (entry.startsWith('arn:')) {
    // The channel name is the ARN's second-to-last segment; the construct refuses an ARN of anything else.
    const segments = entry.split('/');
    return { name: segments.length === 3 ? (segments[1] ?? '') : '', arn: entry };
  }
  const slash = entry.indexOf('/');
  return slash < 0 ? { name: entry } : { name: entry.slice(0, slash), creationTime: entry.slice(slash + 1) };
}

function seconds(value: number): Duration {
  try {
    return Duration.seconds(value);
  } catch (error) {
    throw contextError('minRemainingTtl', error instanceof Error ? error.message : String(error));
  }
}

const MODE_CHOICES =
  'choose -c auth=jwt (with jwtIssuer, jwtAudience[, jwtScopes, channelsClaim]), -c auth=iam, ' +
  'or -c auth=none with -c allowUnauthenticated=true';

/** Keys that only mean something with `auth=jwt`. */
const JWT_KEYS = ['jwtIssuer', 'jwtAudience', 'jwtScopes', 'channelsClaim', 'masterChannelsClaim'] as const;

interface AuthContext {
  readonly auth: AuthSettings;
  readonly corsAllowOrigins?: string[];
}

/** `auth`, its companions and `corsAllowOrigins`; locally no `auth` means `none`. */
function readAuth(read: ContextReader, local: boolean): AuthContext {
  const mode = readMode(read, local);
  if (mode !== 'jwt') {
    const stray = JWT_KEYS.find((key) => readList(read, key).length > 0);
    if (stray !== undefined) throw contextError(stray, `only applies with -c auth=jwt (auth is ${mode})`);
  }
  const allowUnauthenticated = readBoolean(read, 'allowUnauthenticated');
  if (mode !== 'none' && allowUnauthenticated === true) {
    throw contextError('allowUnauthenticated', `only applies with -c auth=none (auth is ${mode})`);
  }
  const corsAllowOrigins = readList(read, 'corsAllowOrigins');
  return { auth: readModeSettings(read, mode, allowUnauthenticated), ...optional({ corsAllowOrigins }) };
}

function readMode(read: ContextReader, local: boolean): AuthMode {
  const value = readString(read, 'auth');
  if (value === undefined) {
    if (local) return 'none';
    throw contextError('auth', MODE_CHOICES);
  }
  const mode = AUTH_MODES.find((known) => known === value);
  if (mode === undefined) {
    throw contextError(
      'auth',
      `"${value}" is not an auth mode; ${local ? 'choose jwt, iam or none' : MODE_CHOICES}`,
    );
  }
  return mode;
}

function readModeSettings(read: ContextReader, mode: AuthMode, allowUnauthenticated?: boolean): AuthSettings {
  switch (mode) {
    case 'jwt':
      return {
        mode,
        ...optional({
          issuer: readString(read, 'jwtIssuer'),
          audience: readList(read, 'jwtAudience'),
          scopes: readList(read, 'jwtScopes'),
          channelsClaim: readString(read, 'channelsClaim'),
          masterChannelsClaim: readString(read, 'masterChannelsClaim'),
        }),
      };
    case 'iam':
      return { mode };
    case 'none':
      return { mode, ...optional({ allowUnauthenticated }) };
  }
}

/** A deployment's auth: jwt needs its issuer and audience, none its acknowledgement. */
function requireDeployable(auth: AuthSettings): IceBrokerAuth {
  switch (auth.mode) {
    case 'jwt': {
      const { issuer, audience } = auth;
      if (issuer === undefined) {
        throw contextError(
          'jwtIssuer',
          "auth=jwt needs the token issuer's https:// URL, exactly as in the tokens' iss claim",
        );
      }
      if (audience === undefined) {
        throw contextError(
          'jwtAudience',
          'auth=jwt needs at least one accepted audience (comma-separated), e.g. the app client ID',
        );
      }
      return { ...auth, issuer, audience };
    }
    case 'iam':
      return auth;
    case 'none':
      if (auth.allowUnauthenticated !== true) {
        throw contextError(
          'allowUnauthenticated',
          'auth=none lets anyone on the internet get TURN credentials; ' +
            'confirm it with -c allowUnauthenticated=true (for demos only)',
        );
      }
      return { mode: 'none', allowUnauthenticated: true };
  }
}

/** `values` without the entries that are `undefined` or empty lists: unset keys stay unset. */
function optional<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(values).filter(
      ([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0),
    ),
  ) as Partial<T>;
}

function contextError(key: ContextKey | string, message: string): ConfigError {
  return new ConfigError('context', key, message);
}

/**
 * Keys where an empty value means "none" as documented (`signalingRoles=""`), or where none is
 * refused anyway (a deployment needs a channel). Any other key given empty is refused: a deploy
 * script's `-c channelsClaim=$UNSET` must not quietly drop the channel check.
 */
const EMPTY_MEANS_NONE: ReadonlySet<ContextKey> = new Set(['signalingRoles', 'channels', 'createChannels']);

const EMPTY_VALUE = 'is empty; leave the key out to use its default';

/**
 * Keys whose entries are opaque values matched exactly (JWT subjects): taken as written, so that
 * a padded entry is refused where it is checked (local/blocked-callers.ts) rather than trimmed
 * into another caller's.
 */
const UNTRIMMED_ENTRIES: ReadonlySet<ContextKey> = new Set(['blockedCallers']);

/** A comma-separated string or an array of strings, trimmed (but see {@link UNTRIMMED_ENTRIES}), without empty entries. */
function readList(read: ContextReader, key: ContextKey): string[] {
  const value = read(key);
  if (value === undefined || value === null) return [];
  if (typeof value === 'string' && value.trim() === '' && !EMPTY_MEANS_NONE.has(key)) {
    throw contextError(key, EMPTY_VALUE);
  }
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw contextError(key, 'expected a comma-separated string or an array of strings');
  }
  const trim = !UNTRIMMED_ENTRIES.has(key);
  return items.map((item) => (trim ? item.trim() : item)).filter((item) => item.length > 0);
}

/** A trimmed string, or `undefined` when the key is unset; an empty value is refused. */
function readString(read: ContextReader, key: ContextKey): string | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw contextError(key, `${JSON.stringify(value)} is not a string`);
  const trimmed = value.trim();
  if (trimmed === '') throw contextError(key, EMPTY_VALUE);
  return trimmed;
}

/** `true` / `false` (JSON booleans or the strings), or `undefined` when the key is unset. */
function readBoolean(read: ContextReader, key: ContextKey): boolean | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw contextError(key, `${JSON.stringify(value)} is neither true nor false`);
}

/** A number (a JSON number or a numeric string), or `undefined` when the key is unset. */
function readNumber(read: ContextReader, key: ContextKey): number | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  // Decimal only, as the function's variables: `0x10` or `1e2` is more likely a slip than a number.
  const decimal = typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value);
  const number = decimal ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw contextError(key, `${JSON.stringify(value)} is not a number`);
  }
  return number;
}
