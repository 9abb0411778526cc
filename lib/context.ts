/**
 * The CDK context parser: context values (strings from `-c key=value`, JSON from cdk.json) to
 * typed {@link IceBrokerProps}, each key read as the settings table (lambda/settings.ts) declares
 * it: its type, and the prop it fills. It checks only what typing needs: that a key is known, that
 * a number is a number, that the keys the chosen auth mode needs are there and the others are not.
 * The construct validates the values (lib/ice-broker-validation.ts); {@link CONTEXT_NAMES} makes
 * its errors name the context key. Each step lists every problem it finds in one {@link ConfigError}.
 */
import { Duration } from 'aws-cdk-lib';
import { AUTH_MODES } from '../lambda/contract';
import { type SettingName, type Settings, type SettingType, settingEntries } from '../lambda/settings';
import type { ExistingChannel, IceBrokerAuth, IceBrokerProps, JwtAuth } from './ice-broker-props';
import { ConfigError, type ConfigProblem, type SettingNames } from './ice-broker-validation';

/** Reads one CDK context value (`cdk.json` "context", overridden by `-c key=value`). */
export type ContextReader = (key: string) => unknown;

/** A setting a context key sets: the key, and the path of the prop it fills. */
interface ContextSetting extends ContextKey {
  readonly name: SettingName;
  readonly prop: string;
}

/** The prop each context key fills, by its path (`minRemainingTtl`, `auth.issuer`, `observability.tracing` …). */
type ContextProp = {
  [K in SettingName]: Settings[K] extends { readonly context: string }
    ? Settings[K] extends { readonly prop: infer P extends string }
      ? P
      : K
    : never;
}[SettingName];

/** The prop at the root of a path: `auth` for `auth.issuer`. */
type RootOf<P extends string> = P extends `${infer Root}.${string}` ? Root : P;

/** Requires `T` to be props of the construct. */
type Declared<T extends keyof IceBrokerProps> = T;

/**
 * The props the context keys fill, checked when this compiles: a setting whose context key fills
 * a prop that lib/ice-broker-props.ts does not declare (and document) fails typechecking here.
 */
export type ContextProps = Declared<Exclude<RootOf<ContextProp>, typeof STACK_NAME>>;

/** Every setting a deployment's context sets, in the table's order. */
const CONTEXT_SETTINGS: readonly ContextSetting[] = settingEntries().flatMap(([name, setting]) =>
  setting.context === undefined
    ? []
    : [{ name, key: setting.context, prop: setting.prop ?? name, type: setting.type }],
);

/** Every context key a deployment reads (docs/configuration.md documents each); any other key is an error. */
export const CONTEXT_KEY_NAMES: readonly string[] = CONTEXT_SETTINGS.map((setting) => setting.key);

/** The CDK app's own key: the stack's name, which is not a prop of the construct. */
const STACK_NAME = 'stackName';

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
 * Refuses every key neither the reader (`known`: by default a deployment's keys) nor CDK reads,
 * naming it and the closest known key: a misspelled key would otherwise be ignored, and its
 * setting silently left out.
 */
export function checkContextKeys(keys: Iterable<string>, known: readonly string[] = CONTEXT_KEY_NAMES): void {
  const problems = [...keys].flatMap((key): ConfigProblem[] => {
    if (isCdkKey(key) || known.includes(key)) return [];
    const closest = closestKey(key, known);
    return [
      contextProblem(
        key,
        closest !== undefined
          ? `unknown key; did you mean "${closest}"?`
          : `unknown key; the known keys are ${known.join(', ')}`,
      ),
    ];
  });
  ConfigError.throwIfAny(problems);
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

/**
 * Validation errors name the context key a prop came from: `Invalid context "channels": ...`. A
 * problem with the `auth` object as a whole (no mode, an unknown one) is the `auth` key's.
 */
export const CONTEXT_NAMES: SettingNames = {
  subject: 'context',
  name(prop) {
    // `existingChannels[0].arn` -> `existingChannels.arn` -> `existingChannels`: the longest known prop.
    const segments = prop.replace(/\[\d+\]/g, '').split('.');
    for (let length = segments.length; length > 0; length--) {
      const path = segments.slice(0, length).join('.');
      const setting = CONTEXT_SETTINGS.find((known) => known.prop === path || known.prop === `${path}.mode`);
      if (setting !== undefined) return setting.key;
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
 * Parses the context of a deployment (docs/configuration.md): every key the table gives a context
 * key, into the prop it fills. Authentication comes first: it has no default, so a bare
 * `cdk synth` asks for it before anything else. Throws one {@link ConfigError} listing every key
 * whose value has the wrong type, and every auth key missing or out of place.
 */
export function parseContext(read: ContextReader): AppContext {
  const problems: ConfigProblem[] = [];
  const isAuth = (setting: ContextSetting) => setting.prop.startsWith('auth.');
  const auth = readAuth(readContextValues(read, CONTEXT_SETTINGS.filter(isAuth), problems), problems);
  const others = CONTEXT_SETTINGS.filter((setting) => !isAuth(setting));
  const values = readContextValues(read, others, problems, { toValue: propValue });
  ConfigError.throwIfAny(problems);
  const props: Record<string, unknown> = {};
  let stackName: string | undefined;
  for (const [{ name, prop }, value] of values) {
    if (name === STACK_NAME) stackName = String(value);
    else setAt(props, prop, value);
  }
  return {
    ...(stackName !== undefined ? { stackName } : {}),
    props: { ...(props as Omit<IceBrokerProps, 'auth'>), auth: requireAuth(auth) },
  };
}

/** A context key, and the type of the setting it sets. */
export interface ContextKey {
  readonly key: string;
  readonly type: SettingType;
}

/** How {@link readContextValues} reads values. */
export interface ContextReading<K extends ContextKey> extends ListReading {
  /** What the setting holds for a value read; throws a {@link ConfigError} naming the key. */
  readonly toValue?: (setting: K, value: unknown) => unknown;
}

/**
 * The values of the keys of `settings` that are set (an empty list is unset), each read as its
 * type says (see {@link readContextValue}); the problems of the others go to `problems`.
 */
export function readContextValues<K extends ContextKey>(
  read: ContextReader,
  settings: readonly K[],
  problems: ConfigProblem[],
  options: ContextReading<K> = {},
): Map<K, unknown> {
  const values = new Map<K, unknown>();
  for (const setting of settings) {
    try {
      const value = readContextValue(read, setting.key, setting.type, options);
      if (value !== undefined && !(Array.isArray(value) && value.length === 0))
        values.set(setting, options.toValue ? options.toValue(setting, value) : value);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  return values;
}

/** The prop's value for a context value: the same, but for CDK types and channel entries. */
function propValue({ name, key }: ContextSetting, value: unknown): unknown {
  if (name === 'existingChannels') return (value as string[]).map(parseChannelEntry);
  if (name !== 'minRemainingTtlSeconds') return value;
  try {
    return Duration.seconds(value as number);
  } catch (error) {
    throw contextError(key, error instanceof Error ? error.message : String(error));
  }
}

/** Sets `value` at `path` (`observability.thresholds.api5xxPercent`) of `target`, making the objects between. */
function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head = '', ...rest] = path.split('.');
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = (target[head] ?? {}) as Record<string, unknown>;
  target[head] = child;
  setAt(child, rest.join('.'), value);
}

/**
 * One `channels` entry: a channel ARN (named as in the ARN), `name/creationTime`, or a bare name,
 * which the construct refuses (KVS needs the full ARN). The construct validates each part.
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

const MODE_CHOICES =
  'choose -c auth=jwt (with jwtIssuer, jwtAudience[, jwtScopes, channelsClaim]), -c auth=iam, ' +
  'or -c auth=none with -c allowUnauthenticated=true';

/** The settings of the `auth` prop, before its requirements are met. */
type AuthValues = { readonly mode?: string; readonly allowUnauthenticated?: boolean } & Partial<
  Omit<JwtAuth, 'mode'>
>;

/**
 * The `auth` prop's values (its keys' values by prop), with the problems of the auth keys: no or
 * an unknown mode, keys that only mean something in another mode.
 */
function readAuth(values: ReadonlyMap<ContextSetting, unknown>, problems: ConfigProblem[]): AuthValues {
  const auth: Record<string, unknown> = {};
  for (const [{ prop }, value] of values) auth[prop.slice('auth.'.length)] = value;
  const { mode } = auth;
  const known = AUTH_MODES.some((name) => name === mode);
  // A value refused for its type has said what is wrong with `auth` already.
  const refused = problems.some((problem) => problem.names.includes('auth'));
  if (mode === undefined && !refused) problems.push(contextProblem('auth', MODE_CHOICES));
  else if (mode !== undefined && !known)
    problems.push(contextProblem('auth', `"${mode}" is not an auth mode; ${MODE_CHOICES}`));
  for (const { key, prop } of known && mode !== 'jwt' ? values.keys() : []) {
    if (!['auth.mode', 'auth.allowUnauthenticated'].includes(prop))
      problems.push(contextProblem(key, `only applies with -c auth=jwt (auth is ${mode})`));
  }
  if (known && mode !== 'none' && auth.allowUnauthenticated === true)
    problems.push(contextProblem('allowUnauthenticated', `only applies with -c auth=none (auth is ${mode})`));
  return auth as AuthValues;
}

/** A deployment's auth: jwt needs its issuer and audience, none its acknowledgement. */
function requireAuth(auth: AuthValues): IceBrokerAuth {
  switch (auth.mode) {
    case 'jwt': {
      const { issuer, audience } = auth;
      const noIssuer = contextProblem(
        'jwtIssuer',
        "auth=jwt needs the token issuer's https:// URL, exactly as in the tokens' iss claim",
      );
      const noAudience = contextProblem(
        'jwtAudience',
        'auth=jwt needs at least one accepted audience (comma-separated), e.g. the app client ID',
      );
      if (issuer === undefined)
        throw ConfigError.of(audience === undefined ? [noIssuer, noAudience] : [noIssuer]);
      if (audience === undefined) throw ConfigError.of([noAudience]);
      return { ...auth, mode: 'jwt', issuer, audience };
    }
    case 'iam':
      return { mode: 'iam' };
    default:
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

const contextProblem = (key: string, problem: string): ConfigProblem => ({
  subject: 'context',
  names: [key],
  problem,
});

function contextError(key: string, problem: string): ConfigError {
  return new ConfigError('context', key, problem);
}

/**
 * Keys where an empty value means "none" as documented (`signalingRoles=""`), or where none is
 * refused anyway (a deployment needs a channel). Any other key given empty is refused: a deploy
 * script's `-c channelsClaim=$UNSET` must not quietly drop the channel check.
 */
const EMPTY_MEANS_NONE: ReadonlySet<string> = new Set(['signalingRoles', 'channels', 'createChannels']);

const EMPTY_VALUE = 'is empty; leave the key out to use its default';

/** How {@link readContextValue} reads a list. */
export interface ListReading {
  /**
   * Take each entry as written instead of trimmed: for opaque values matched exactly (JWT
   * subjects), so that a padded entry is refused where it is checked rather than trimmed into
   * another caller's.
   */
  readonly verbatim?: boolean;
}

/**
 * The value of context `key` as `type` reads it (a number, a boolean, text or a list of text), or
 * `undefined` when the key is unset; throws a {@link ConfigError} naming the key when the value
 * has the wrong type, or is empty where an empty value means nothing.
 */
function readContextValue(
  read: ContextReader,
  key: string,
  type: SettingType,
  options: ListReading = {},
): unknown {
  switch (type.kind) {
    case 'integer':
    case 'number':
      return readNumber(read, key);
    case 'boolean':
      return readBoolean(read, key);
    case 'list':
      return readList(read, key, options);
    default:
      return readString(read, key);
  }
}

/** A comma-separated string or an array of strings, trimmed unless `verbatim`, without empty entries. */
function readList(read: ContextReader, key: string, options: ListReading): string[] {
  const value = read(key);
  if (value === undefined || value === null) return [];
  if (typeof value === 'string' && value.trim() === '' && !EMPTY_MEANS_NONE.has(key)) {
    throw contextError(key, EMPTY_VALUE);
  }
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw contextError(key, 'expected a comma-separated string or an array of strings');
  }
  return items.map((item) => (options.verbatim ? item : item.trim())).filter((item) => item.length > 0);
}

/** A trimmed string, or `undefined` when the key is unset; an empty value is refused. */
function readString(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw contextError(key, `${JSON.stringify(value)} is not a string`);
  const trimmed = value.trim();
  if (trimmed === '') throw contextError(key, EMPTY_VALUE);
  return trimmed;
}

/** `true` / `false` (JSON booleans or the strings), or `undefined` when the key is unset. */
function readBoolean(read: ContextReader, key: string): boolean | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw contextError(key, `${JSON.stringify(value)} is neither true nor false`);
}

/** A number (a JSON number or a numeric string), or `undefined` when the key is unset. */
function readNumber(read: ContextReader, key: string): number | undefined {
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
