/**
 * The validation of the {@link IceBrokerProps}: every problem of every prop, collected and thrown
 * as one {@link ConfigError} (as aws-solutions-constructs' `CheckProps` does), so that one synth
 * lists everything to fix. Each problem names the prop, or the context key it came from.
 */
import { CHANNEL_NAME_PATTERN } from '@kvs-ice-broker/client/contract';
import { Duration, Token } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AUTH_MODES,
  CLAIM_NAME_PATTERN,
  parseChannelArn,
  TURN_CREDENTIAL_LIFETIME_SECONDS,
} from '../lambda/contract';
import { boundsProblem, SETTINGS, settingEntries, valueAt } from '../lambda/settings';
import { corsOriginsProblem } from './cors';
import type { ExistingChannel, IceBrokerAuth, IceBrokerProps } from './ice-broker-props';
import { observabilityProblems } from './observability';
import { regionRisks } from './regions';
import { deploymentRisks, type Risks } from './safety';
import { signalingProblems, storageSessionsProblem, viewerSlotsProblem } from './signaling';

/** One problem of a configuration: the setting(s) it is about, and what to do. */
export interface ConfigProblem {
  /** What the settings are, e.g. `IceBroker prop` or `context`. */
  readonly subject: string;
  /** The setting, or the settings that conflict. */
  readonly names: readonly string[];
  readonly problem: string;
}

/**
 * Configuration mistakes the user must fix, all of them: one line per problem,
 * `Invalid <subject> "<name>" [/ "<name>"]: <problem>`, e.g. `Invalid context "channels": ...`.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Every problem, in the order found; the message has one line for each. */
  readonly problems: readonly ConfigProblem[];

  /** The problem about the setting(s) `names`, and any `more` (see {@link ConfigError.of}). */
  constructor(subject: string, names: string | readonly string[], problem: string, ...more: ConfigProblem[]) {
    const problems = [{ subject, names: typeof names === 'string' ? [names] : names, problem }, ...more];
    super(problems.map(problemLine).join('\n'));
    this.problems = problems;
  }

  /** One error for all of `problems`. */
  static of([first, ...more]: readonly [ConfigProblem, ...ConfigProblem[]]): ConfigError {
    return new ConfigError(first.subject, first.names, first.problem, ...more);
  }

  /** Throws one error for all of `problems`, if there is any. */
  static throwIfAny([first, ...more]: readonly ConfigProblem[]): void {
    if (first !== undefined) throw ConfigError.of([first, ...more]);
  }
}

const problemLine = ({ subject, names, problem }: ConfigProblem): string =>
  `Invalid ${subject} ${names.map((name) => `"${name}"`).join(' / ')}: ${problem}`;

/**
 * How validation errors name a setting. By default they name the prop
 * (`Invalid IceBroker prop "existingChannels[0].arn": ...`); the CDK app and the local runner
 * name the context key the value came from (`Invalid context "channels": ...`).
 */
export interface SettingNames {
  /** What the settings are, e.g. `IceBroker prop` or `context`. */
  readonly subject: string;
  /** The name to print for the prop at `prop`, a path such as `auth.scopes[1]`. */
  name(prop: string): string;
}

/** How {@link validateIceBrokerProps} names what it refuses, and what it knows of the deployment. */
export interface ValidationOptions {
  /** @default - prop names */
  readonly names?: SettingNames;
  /**
   * The Region the stack deploys to, when synthesis knows it: the stack's own, or the one the CDK
   * CLI deploys an environment-agnostic stack to (lib/app.ts). It lets synthesis refuse channels
   * that cannot exist there (lib/regions.ts).
   *
   * @default - unknown: only the channel ARNs' Regions are checked
   */
  readonly region?: string;
}

/** How the construct's own errors name a setting: by its prop path. */
export const PROP_NAMES: SettingNames = { subject: 'IceBroker prop', name: (prop) => prop };

/**
 * Throws one {@link ConfigError} listing every problem of `props`, each naming its setting, when
 * they cannot build a working broker. The construct calls it with prop names; it also checks at
 * run time what the types promise, for callers in plain JavaScript.
 */
export function validateIceBrokerProps(props: IceBrokerProps, options: ValidationOptions = {}): void {
  const errors = new SettingErrors(options.names ?? PROP_NAMES);
  validateChannels(props, errors);
  for (const [prop, problem] of boundsProblems(props)) errors.fail(prop, problem);
  validateStage(props, errors);
  // The checks that read the auth mode need one; without it, validateAuth has said so.
  const auth = validateAuth(props.auth, errors);
  const settings = auth === undefined ? undefined : { ...props, auth };
  for (const { prop, message } of settings ? signalingProblems(settings) : []) errors.fail(prop, message);
  errors.check('viewerSlotsPerCaller', viewerSlotsProblem(props.viewerSlotsPerCaller, props.signalingRoles));
  errors.check('storageSessions', storageSessionsProblem(props.storageSessions, props.signalingRoles));
  if (auth) errors.check('corsAllowOrigins', corsOriginsProblem(props.corsAllowOrigins ?? [], auth.mode));
  for (const [prop, problem] of observabilityProblems(props.observability ?? {}))
    errors.fail(`observability.${prop}`, problem);
  // Deployment risks (lib/safety.ts, lib/regions.ts).
  for (const refusal of settings ? deploymentRisksOf(settings, options.region).refusals : [])
    errors.fail(refusal.props, refusal.message);
  errors.throwIfAny();
}

/**
 * The props the settings table bounds (lambda/settings.ts: `throttleRate`, `viewerSlotsPerCaller`,
 * …) that are out of bounds, by prop path. The alarm thresholds are `observabilityProblems`'.
 */
function boundsProblems(props: IceBrokerProps): [prop: string, problem: string][] {
  return settingEntries().flatMap(([name, setting]) => {
    const prop = setting.prop ?? name;
    const value = setting.context === undefined ? undefined : valueAt(props, prop);
    const problem =
      typeof value === 'number' && !prop.startsWith('observability.')
        ? boundsProblem(setting, value)
        : undefined;
    return problem === undefined ? [] : [[prop, problem]];
  });
}

/**
 * The deploy-time risks of `props` (lib/safety.ts), with the stage burst they will really have, and
 * those of their channels in `region`, the Region the stack deploys to when known (lib/regions.ts).
 */
export function deploymentRisksOf(props: IceBrokerProps, region?: string): Risks {
  const {
    throttleBurst,
    reservedConcurrency,
    auth,
    signalingRoles,
    existingChannels,
    createChannels,
    storageSessions,
    dualStack,
    fips,
  } = props;
  const settings = deploymentRisks(
    { throttleBurst, reservedConcurrency, authMode: auth.mode, signalingRoles },
    throttleBurst ?? SETTINGS.throttleBurst.default,
  );
  const regional = regionRisks({
    region,
    authMode: auth.mode,
    existingChannels,
    createChannels,
    storageSessions,
    dualStack,
    fips,
  });
  return {
    refusals: [...settings.refusals, ...regional.refusals],
    warnings: [...settings.warnings, ...regional.warnings],
  };
}

/** The problems found so far, each naming the setting at a prop path as {@link SettingNames} say. */
class SettingErrors {
  private readonly problems: ConfigProblem[] = [];

  constructor(private readonly names: SettingNames) {}

  /** Records `problem` about the setting(s) at `props`. */
  fail(props: string | readonly string[], problem: string): void {
    const { names } = this;
    const printed = [
      ...new Set((typeof props === 'string' ? [props] : props).map((prop) => names.name(prop))),
    ];
    this.problems.push({ subject: names.subject, names: printed, problem });
  }

  /** Records `problem` about the setting at `prop`, if there is a problem. */
  check(prop: string, problem: string | undefined): void {
    if (problem !== undefined) this.fail(prop, problem);
  }

  /** Throws one {@link ConfigError} with every problem recorded, if there is one. */
  throwIfAny(): void {
    ConfigError.throwIfAny(this.problems);
  }
}

/** KVS appends the channel's creation time (Unix epoch milliseconds) to its ARN. */
const CREATION_TIME_PATTERN = /^\d{1,16}$/;

function validateChannels(props: IceBrokerProps, errors: SettingErrors): void {
  const existing = props.existingChannels ?? [];
  const created = props.createChannels ?? [];
  if (existing.length === 0 && created.length === 0) {
    errors.fail(
      ['existingChannels', 'createChannels'],
      'at least one channel is required, existing or to create',
    );
  }
  existing.forEach((channel, index) => {
    validateExistingChannel(channel, `existingChannels[${index}]`, errors);
  });
  created.forEach((name, index) => {
    errors.check(`createChannels[${index}]`, channelNameProblem(name));
  });
  const existingNames = existing.map((channel) => channel.name);
  const duplicates: [string | string[], string | undefined][] = [
    ['existingChannels', firstDuplicate(existingNames)],
    ['createChannels', firstDuplicate(created)],
    [['existingChannels', 'createChannels'], firstDuplicate([...existingNames, ...created])],
  ];
  // One line for one repeated name, though it repeats within a list and across both.
  const [duplicate] = duplicates.filter(([, name]) => name !== undefined);
  if (duplicate) errors.fail(duplicate[0], `channel "${duplicate[1]}" is listed more than once`);
}

function validateExistingChannel(channel: ExistingChannel, prop: string, errors: SettingErrors): void {
  const { name, arn, creationTime } = channel;
  if (arn !== undefined && creationTime !== undefined)
    errors.fail(prop, 'give exactly one of "arn" and "creationTime"');
  if (arn !== undefined && !Token.isUnresolved(arn)) {
    const parsed = parseChannelArn(arn);
    if (!parsed) errors.fail(`${prop}.arn`, `"${arn}" is not a signaling channel ARN`);
    else if (parsed.name !== name)
      errors.fail(`${prop}.arn`, `names channel "${parsed.name}", not "${name}"`);
  }
  errors.check(`${prop}.name`, channelNameProblem(name));
  if (arn === undefined && creationTime === undefined) {
    errors.fail(
      prop,
      `"${name}" is a bare name, but KVS needs the channel's full ARN, which ends in its creation time. ` +
        `Give the ARN or the creation time ("${name}/<creationTime>" in -c channels); print the ARN with: ` +
        `aws kinesisvideo describe-signaling-channel --channel-name ${name} --query ChannelInfo.ChannelARN --output text`,
    );
  }
  if (creationTime !== undefined && !CREATION_TIME_PATTERN.test(creationTime)) {
    errors.fail(`${prop}.creationTime`, `"${creationTime}" is not a time in epoch milliseconds`);
  }
}

function channelNameProblem(name: string): string | undefined {
  if (!CHANNEL_NAME_PATTERN.test(name)) {
    return `"${name}" is not a valid channel name (1-256 characters of a-z, A-Z, 0-9, "_", ".", "-")`;
  }
  // KVS accepts them, but clients, proxies and API Gateway resolve "." and ".." path segments away.
  return /^\.{1,2}$/.test(name) ? `"${name}" cannot be served: no request path can carry it` : undefined;
}

function firstDuplicate(names: readonly string[]): string | undefined {
  return names.find((name, index) => names.indexOf(name) !== index);
}

/** The retention periods CloudWatch Logs accepts (CDK's `INFINITE` is not one). */
const LOG_RETENTION_DAYS: readonly number[] = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

/** Log retention and the minimum TTL: the stage's numbers have their bounds in the settings table. */
function validateStage(props: IceBrokerProps, errors: SettingErrors): void {
  const { logRetention: days, minRemainingTtl } = props;
  if (days === RetentionDays.INFINITE) {
    errors.fail(
      'logRetention',
      'unlimited retention keeps every log line, and its storage cost, forever; choose a period such as 30 or 365 days',
    );
  } else if (days !== undefined && !LOG_RETENTION_DAYS.includes(days)) {
    errors.fail(
      'logRetention',
      `${days} is not a CloudWatch Logs retention period; use one of ${LOG_RETENTION_DAYS.join(', ')}`,
    );
  }
  if (minRemainingTtl instanceof Duration) {
    const seconds = minRemainingTtl.toSeconds({ integral: false });
    const { type } = SETTINGS.minRemainingTtlSeconds;
    if (!Number.isInteger(seconds) || seconds < type.min || seconds > type.max) {
      errors.fail(
        'minRemainingTtl',
        `${seconds} must be an integer from ${type.min} to ${type.max} (TURN credentials live ${TURN_CREDENTIAL_LIFETIME_SECONDS} s)`,
      );
    }
  }
}

const AUTH_SHAPES =
  'give { mode: "jwt", issuer, audience }, { mode: "iam" } or { mode: "none", allowUnauthenticated: true }';

/** OAuth 2.0 scope-token characters (RFC 6749 section 3.3). */
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Records the problems of `auth`; returns it when its mode is one the other checks can read. */
function validateAuth(auth: IceBrokerAuth | undefined, errors: SettingErrors): IceBrokerAuth | undefined {
  const mode: unknown = auth?.mode;
  if (auth === undefined || !AUTH_MODES.some((known) => known === mode)) {
    errors.fail(
      'auth',
      `${auth === undefined ? 'missing' : `unknown mode ${JSON.stringify(mode)}`}; ${AUTH_SHAPES}`,
    );
    return undefined;
  }
  if (auth.mode === 'none' && auth.allowUnauthenticated !== true) {
    errors.fail(
      'auth.allowUnauthenticated',
      'must be true: an API without authentication lets anyone on the internet use your TURN quota',
    );
  }
  if (auth.mode !== 'jwt') {
    // The types forbid it; plain JavaScript may still pass it, and the stack would drop it unsaid.
    if ('channelsClaim' in auth && auth.channelsClaim !== undefined)
      errors.fail(
        'auth.channelsClaim',
        `only applies with auth mode jwt (it is ${auth.mode}): nothing would check it, and every caller could use every served channel`,
      );
    return auth;
  }
  errors.check('auth.issuer', issuerProblem(auth.issuer));
  errors.check('auth.audience', audienceProblem(auth.audience ?? []));
  auth.scopes?.forEach((scope, index) => {
    errors.check(
      `auth.scopes[${index}]`,
      SCOPE_PATTERN.test(scope)
        ? undefined
        : `"${scope}" is not an OAuth scope (printable ASCII without spaces, quotes or backslashes)`,
    );
  });
  const claim = auth.channelsClaim;
  if (claim !== undefined && !CLAIM_NAME_PATTERN.test(claim)) {
    errors.fail(
      'auth.channelsClaim',
      `"${claim}" is not a claim name (1-256 printable ASCII characters without spaces)`,
    );
  }
  return auth;
}

/**
 * Why `issuer` cannot be a JWT issuer, or `undefined` when it can (or resolves at deploy time).
 * API Gateway compares it exactly with the tokens' `iss`, so the value itself is checked, not the
 * URL parser's normalized form (which drops surrounding whitespace and an empty `?` or `#`).
 */
function issuerProblem(issuer: string | undefined): string | undefined {
  if (issuer !== undefined && Token.isUnresolved(issuer)) return undefined;
  if (issuer !== undefined && issuer.trim() !== issuer)
    return `"${issuer}" has surrounding whitespace: API Gateway compares the issuer exactly with the tokens' iss claim`;
  const url = issuer !== undefined && URL.canParse(issuer) ? new URL(issuer) : undefined;
  if (url?.protocol !== 'https:' || url.username !== '' || url.password !== '') {
    return `"${issuer}" is not an https:// URL`;
  }
  if (/[?#]/.test(issuer ?? '')) return `"${issuer}" must not have a query or fragment`;
  return undefined;
}

function audienceProblem(audience: readonly string[]): string | undefined {
  if (audience.length === 0) return 'at least one audience is required';
  const literal = audience.filter((entry) => !Token.isUnresolved(entry));
  if (literal.some((entry) => entry.trim() === '')) return 'an audience must not be empty';
  const padded = literal.find((entry) => entry.trim() !== entry);
  return padded === undefined
    ? undefined
    : `"${padded}" has surrounding whitespace: API Gateway compares audiences exactly with the tokens' aud claim`;
}
