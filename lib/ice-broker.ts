import * as path from 'node:path';
import {
  CHANNEL_NAME_PATTERN,
  ICE_SERVERS_ROUTE_PATH,
  iceServersPath,
  type SignalingRole,
} from '@kvs-ice-broker/client/contract';
import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import {
  ArnPrincipal,
  Grant,
  type IGrantable,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { CfnSignalingChannel } from 'aws-cdk-lib/aws-kinesisvideo';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  AUTH_MODES,
  BLOCKED_CALLERS_FORMAT,
  CLAIM_NAME_PATTERN,
  ENV,
  KVS_ACTIONS,
  METRICS,
  MIN_REMAINING_TTL_SECONDS,
  parseChannelArn,
  TURN_CREDENTIAL_LIFETIME_SECONDS,
} from '../lambda/contract';
import { accessLogFormat } from './access-log-format';
import { corsOriginsProblem, corsPreflight } from './cors';
import { IceBrokerObservability, type ObservabilityProps, observabilityProblems } from './observability';
import { flagUnauthenticatedRoute, routeAuthorization } from './route-auth';
import { deploymentRisks, warnAboutRisks } from './safety';
import { SharedTable, type SharedTableSettings, sharedTableProblems } from './shared-table';
import {
  connectStatement,
  createSignalingRoutes,
  type SignalingInvokeArns,
  signalingInvokeArns,
  signalingProblems,
  viewerSlotsProblem,
} from './signaling';

const RUNTIME = Runtime.NODEJS_24_X;
const ESBUILD_TARGET = 'node24';
const PROJECT_ROOT = path.join(__dirname, '..');

const DEFAULT_THROTTLE_RATE = 50;
const DEFAULT_THROTTLE_BURST = 100;
const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * Callers present a JWT from any OpenID Connect issuer (Amazon Cognito user pools, Auth0,
 * Okta, Keycloak, ...); API Gateway checks its signature, issuer, audience, expiry and scopes.
 */
export interface JwtAuth {
  readonly mode: 'jwt';

  /**
   * The issuer URL, exactly as in the tokens' `iss` claim (an `https://` URL). API Gateway
   * fetches the signing keys from its OpenID Connect discovery document.
   */
  readonly issuer: string;

  /**
   * Accepted audiences: a token's `aud` (or Cognito access tokens' `client_id`) must match one.
   * At least one.
   */
  readonly audience: readonly string[];

  /**
   * OAuth scopes of which a token must carry at least one (the route's authorization scopes).
   *
   * @default - no scope is required
   */
  readonly scopes?: readonly string[];

  /**
   * Name of a token claim that lists the channels the caller may use; the function refuses
   * other channels with 403 `ChannelNotAllowed`.
   *
   * @default - every authenticated caller may use every served channel
   */
  readonly channelsClaim?: string;

  /**
   * Name of a token claim that lists the channels the caller may master (the master signaling
   * route, `signalingRoles` `viewer,master`): mastering is granted apart from viewing. Required
   * with the master role; a token without the claim masters no channel (403 `ChannelNotAllowed`).
   *
   * @default - none; the master role cannot be served without it
   */
  readonly masterChannelsClaim?: string;
}

/**
 * Callers sign requests with AWS SigV4 (`AWS_IAM`) and need `execute-api:Invoke` on the route
 * of each channel they use, for example through a Cognito identity pool role. The mode that
 * works in the China Regions without an ICP licence.
 */
export interface IamAuth {
  readonly mode: 'iam';
}

/** Anyone may call the API. For demos only; synthesis warns about it. */
export interface NoAuth {
  readonly mode: 'none';

  /** The explicit acknowledgement that the API is open to anyone on the internet. */
  readonly allowUnauthenticated: true;
}

/** How callers of the ice-servers route authenticate. */
export type IceBrokerAuth = JwtAuth | IamAuth | NoAuth;

/**
 * {@link IceBrokerAuth} before its requirements are met: what the context parser reads, and what
 * the local runner runs with (it has its own issuer for jwt, and needs no acknowledgement for
 * `none` on loopback). The construct requires a complete {@link IceBrokerAuth}.
 */
export type AuthSettings =
  | (Omit<JwtAuth, 'issuer' | 'audience'> & {
      readonly issuer?: string;
      readonly audience?: readonly string[];
    })
  | IamAuth
  | { readonly mode: 'none'; readonly allowUnauthenticated?: boolean };

/**
 * A signaling channel that already exists. KVS APIs need the channel's full ARN, which ends in
 * the channel's creation time, so give either `arn` or `creationTime` (exactly one).
 */
export interface ExistingChannel {
  /**
   * The channel name; clients put it in the route as `{channel}`.
   * Must match `^[a-zA-Z0-9_.-]{1,256}$`.
   */
  readonly name: string;

  /**
   * The channel's full ARN, `arn:${Partition}:kinesisvideo:${Region}:${Account}:channel/${name}/${creationTime}`.
   * Its name segment must equal `name`.
   *
   * @default - built from `creationTime` in the stack's partition, Region and account
   */
  readonly arn?: string;

  /**
   * The channel's creation time in Unix epoch milliseconds: the last segment of its ARN
   * (`aws kinesisvideo describe-signaling-channel --channel-name NAME --query ChannelInfo.ChannelARN`).
   *
   * @default - `arn` must be given
   */
  readonly creationTime?: string;
}

/** Properties of {@link IceBroker}. */
export interface IceBrokerProps extends SharedTableSettings {
  /**
   * How callers authenticate: `{ mode: 'jwt', issuer, audience }` (any OpenID Connect issuer),
   * `{ mode: 'iam' }` (SigV4; works in the China Regions without an ICP licence) or, for demos
   * only, `{ mode: 'none', allowUnauthenticated: true }`. There is no default: the choice is explicit.
   */
  readonly auth: IceBrokerAuth;

  /**
   * Origins of browser apps that may call the API (CORS), each `http(s)://host[:port]` exactly as
   * browsers send it, e.g. `https://app.example.com`. `*` (any origin) only with auth mode `none`.
   *
   * @default - no CORS configuration: browsers allow only same-origin calls
   */
  readonly corsAllowOrigins?: readonly string[];

  /**
   * Existing signaling channels the API may serve.
   *
   * @default - none; then `createChannels` must name at least one channel
   */
  readonly existingChannels?: readonly ExistingChannel[];

  /**
   * Names of signaling channels (type `SINGLE_MASTER`) that the construct creates and the API serves.
   * Each must match `^[a-zA-Z0-9_.-]{1,256}$` and differ from every other channel name.
   *
   * @default - none; then `existingChannels` must name at least one channel
   */
  readonly createChannels?: readonly string[];

  /**
   * Steady-state request rate limit (requests per second) of the API's default stage.
   *
   * @default 50
   */
  readonly throttleRate?: number;

  /**
   * Burst limit (requests) of the API's default stage.
   *
   * @default 100
   */
  readonly throttleBurst?: number;

  /**
   * Retention of the function's and the API's access log groups. Must be a finite
   * CloudWatch Logs retention period (not `RetentionDays.INFINITE`).
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * The function never returns TURN credentials with less validity left than this: whole
   * seconds within `MIN_REMAINING_TTL_SECONDS` of lambda/contract.ts (below the 300 s
   * lifetime of KVS TURN credentials).
   *
   * @default - the function's default, `MIN_REMAINING_TTL_SECONDS.default` (the construct sets no variable)
   */
  readonly minRemainingTtl?: Duration;

  /**
   * The presigned signaling routes: `['viewer']` adds `POST /v1/channels/{channel}/viewer`,
   * `['viewer', 'master']` also `POST /v1/channels/{channel}/master`. Each answers with the
   * channel's ICE servers and its WSS endpoint presigned for that role, and the scoped role
   * gains that role's Connect action (`kinesisvideo:ConnectAsViewer` / `ConnectAsMaster`) on the
   * served channels. The master role needs `auth.masterChannelsClaim` (jwt) and is refused with
   * auth mode `none`.
   *
   * @default - none: only the ice-servers route
   */
  readonly signalingRoles?: readonly SignalingRole[];

  /**
   * Viewer connections one caller may hold on one channel at once, through the viewer route: each
   * caller's viewer connections on a channel are signed with one of this many ClientIds, handed
   * out in turn (counted in the shared table, across function instances), and KVS gives the newest
   * connection with a ClientId precedence over the older one, so a caller's next connection
   * replaces its oldest and one token can never take all of a channel's viewer places (KVS: 10 per
   * channel, soft). A whole number within `VIEWER_SLOTS_PER_CALLER` of lambda/contract.ts (1-10);
   * needs the viewer role in `signalingRoles`.
   *
   * @default - the function's default, `VIEWER_SLOTS_PER_CALLER.default` (3)
   */
  readonly viewerSlotsPerCaller?: number;

  /**
   * Concurrent executions reserved for (and the most allowed to) the function. While instances
   * fall back to their own KVS call budgets (the shared table unreachable), it also bounds the
   * `GetIceServerConfig` calls per channel.
   * 0 is refused; a stage burst above it is warned about.
   *
   * @default - no reservation: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;

  /**
   * Alarms (and where they notify), X-Ray tracing and alarm thresholds; the dashboard and the
   * Logs Insights queries are always created.
   *
   * @default - a new SNS topic for alarms, no tracing, the default thresholds
   */
  readonly observability?: ObservabilityProps;
}

/** The log groups the broker writes to. */
export interface IceBrokerLogGroups {
  /** The function's log group. */
  readonly function: LogGroup;
  /** The HTTP API default stage's access log group. */
  readonly access: LogGroup;
}

/** A configuration mistake the user must fix; the message names the prop or context key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /** `Invalid <subject> "<name>" [/ "<name>"]: <problem>`, e.g. `Invalid context "channels": ...`. */
  constructor(subject: string, names: string | readonly string[], problem: string) {
    const quoted = (typeof names === 'string' ? [names] : names).map((name) => `"${name}"`).join(' / ');
    super(`Invalid ${subject} ${quoted}: ${problem}`);
  }
}

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

/** How {@link validateIceBrokerProps} checks and names what it refuses. */
export interface ValidationOptions {
  /** @default - prop names */
  readonly names?: SettingNames;
  /**
   * Validate for the local runner (`npm start`), with its documented differences: a channel may
   * be a bare name (the emulator creates it), `auth` may lack jwt's issuer and audience (it has
   * its own issuer) and `none`'s acknowledgement (it listens on loopback only), and a jwt issuer
   * may be an `http://` URL on loopback (a local identity provider).
   *
   * @default false
   */
  readonly local?: boolean;
}

/** {@link IceBrokerProps} as {@link validateIceBrokerProps} takes them: `auth` may be incomplete in local mode. */
export type IceBrokerSettings = Omit<IceBrokerProps, 'auth'> & { readonly auth: AuthSettings };

const PROP_NAMES: SettingNames = { subject: 'IceBroker prop', name: (prop) => prop };

/**
 * Throws a {@link ConfigError} naming the offending setting when `props` cannot build a working
 * broker. The construct calls it with prop names; it also checks at run time what the types
 * promise, for callers in plain JavaScript.
 */
export function validateIceBrokerProps(props: IceBrokerSettings, options: ValidationOptions = {}): void {
  const errors = new SettingErrors(options.names ?? PROP_NAMES);
  const local = options.local ?? false;
  validateChannels(props, local, errors);
  validateStage(props, errors);
  validateAuth(props.auth, local, errors);
  for (const { prop, message } of signalingProblems(props)) errors.fail(prop, message);
  errors.check('viewerSlotsPerCaller', viewerSlotsProblem(props.viewerSlotsPerCaller, props.signalingRoles));
  errors.check('corsAllowOrigins', corsOriginsProblem(props.corsAllowOrigins ?? [], props.auth.mode));
  for (const [prop, problem] of sharedTableProblems(props)) errors.fail(prop, problem);
  for (const [prop, problem] of observabilityProblems(props.observability ?? {}))
    errors.fail(`observability.${prop}`, problem);
  // Deployment risks (lib/safety.ts); the local runner listens on loopback only.
  const [refusal] = local ? [] : risksOf(props).refusals;
  if (refusal) errors.fail(refusal.props, refusal.message);
}

/** The deploy-time risks of `props` (lib/safety.ts), with the stage burst they will really have. */
function risksOf(props: IceBrokerSettings) {
  const { throttleBurst, reservedConcurrency, auth, signalingRoles } = props;
  return deploymentRisks(
    { throttleBurst, reservedConcurrency, authMode: auth.mode, signalingRoles },
    throttleBurst ?? DEFAULT_THROTTLE_BURST,
  );
}

/** Throws {@link ConfigError}s that name the setting at a prop path as {@link SettingNames} say. */
class SettingErrors {
  constructor(private readonly names: SettingNames) {}

  /** Throws `problem` about the setting(s) at `props`. */
  fail(props: string | readonly string[], problem: string): never {
    const { names } = this;
    const printed =
      typeof props === 'string' ? names.name(props) : [...new Set(props.map((prop) => names.name(prop)))];
    throw new ConfigError(names.subject, printed, problem);
  }

  /** Throws `problem` about the setting at `prop`, if there is a problem. */
  check(prop: string, problem: string | undefined): void {
    if (problem !== undefined) this.fail(prop, problem);
  }
}

/** KVS appends the channel's creation time (Unix epoch milliseconds) to its ARN. */
const CREATION_TIME_PATTERN = /^\d{1,16}$/;

function validateChannels(props: IceBrokerSettings, local: boolean, errors: SettingErrors): void {
  const existing = props.existingChannels ?? [];
  const created = props.createChannels ?? [];
  if (existing.length === 0 && created.length === 0) {
    errors.fail(
      ['existingChannels', 'createChannels'],
      'at least one channel is required, existing or to create',
    );
  }
  existing.forEach((channel, index) => {
    validateExistingChannel(channel, `existingChannels[${index}]`, local, errors);
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
  for (const [props, duplicate] of duplicates) {
    if (duplicate !== undefined) errors.fail(props, `channel "${duplicate}" is listed more than once`);
  }
}

function validateExistingChannel(
  channel: ExistingChannel,
  prop: string,
  local: boolean,
  errors: SettingErrors,
): void {
  const { name, arn, creationTime } = channel;
  if (arn !== undefined && creationTime !== undefined)
    errors.fail(prop, 'give exactly one of "arn" and "creationTime"');
  if (arn !== undefined && !Token.isUnresolved(arn)) {
    const parsed = parseChannelArn(arn);
    if (!parsed) errors.fail(`${prop}.arn`, `"${arn}" is not a signaling channel ARN`);
    if (parsed.name !== name) errors.fail(`${prop}.arn`, `names channel "${parsed.name}", not "${name}"`);
  }
  errors.check(`${prop}.name`, channelNameProblem(name));
  if (arn === undefined && creationTime === undefined && !local) {
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

function validateStage(props: IceBrokerSettings, errors: SettingErrors): void {
  const {
    throttleRate: rate,
    throttleBurst: burst,
    logRetention: days,
    minRemainingTtl,
    reservedConcurrency,
  } = props;
  if (rate !== undefined) {
    errors.check(
      'throttleRate',
      Number.isFinite(rate) && rate > 0 ? undefined : `${rate} must be a number greater than 0`,
    );
  }
  if (burst !== undefined) {
    errors.check(
      'throttleBurst',
      Number.isInteger(burst) && burst > 0 ? undefined : `${burst} must be an integer greater than 0`,
    );
  }
  if (days === RetentionDays.INFINITE) {
    errors.fail(
      'logRetention',
      'unlimited retention keeps every log line, and its storage cost, forever; choose a period such as 30 or 365 days',
    );
  }
  if (
    reservedConcurrency !== undefined &&
    !(Number.isInteger(reservedConcurrency) && reservedConcurrency >= 0)
  ) {
    // 0 passes here and is refused by the deployment checks (lib/safety.ts), which say why.
    errors.fail('reservedConcurrency', `${reservedConcurrency} must be a whole number of executions`);
  }
  if (days !== undefined && !LOG_RETENTION_DAYS.includes(days)) {
    errors.fail(
      'logRetention',
      `${days} is not a CloudWatch Logs retention period; use one of ${LOG_RETENTION_DAYS.join(', ')}`,
    );
  }
  if (minRemainingTtl !== undefined) {
    const seconds = minRemainingTtl.toSeconds({ integral: false });
    const { min, max } = MIN_REMAINING_TTL_SECONDS;
    if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
      errors.fail(
        'minRemainingTtl',
        `${seconds} must be an integer from ${min} to ${max} (TURN credentials live ${TURN_CREDENTIAL_LIFETIME_SECONDS} s)`,
      );
    }
  }
}

const AUTH_SHAPES =
  'give { mode: "jwt", issuer, audience }, { mode: "iam" } or { mode: "none", allowUnauthenticated: true }';

/** OAuth 2.0 scope-token characters (RFC 6749 section 3.3). */
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function validateAuth(auth: AuthSettings | undefined, local: boolean, errors: SettingErrors): void {
  const mode: unknown = auth?.mode;
  if (auth === undefined || !AUTH_MODES.some((known) => known === mode)) {
    errors.fail(
      'auth',
      `${auth === undefined ? 'missing' : `unknown mode ${JSON.stringify(mode)}`}; ${AUTH_SHAPES}`,
    );
  }
  if (auth.mode === 'none' && !local && auth.allowUnauthenticated !== true) {
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
    return;
  }
  if (auth.issuer !== undefined || !local) errors.check('auth.issuer', issuerProblem(auth.issuer, local));
  if (auth.audience !== undefined || !local)
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
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why `issuer` cannot be a JWT issuer, or `undefined` when it can (or resolves at deploy time).
 * API Gateway compares it exactly with the tokens' `iss`, so the value itself is checked, not the
 * URL parser's normalized form (which drops surrounding whitespace and an empty `?` or `#`).
 */
function issuerProblem(issuer: string | undefined, local: boolean): string | undefined {
  if (issuer !== undefined && Token.isUnresolved(issuer)) return undefined;
  if (issuer !== undefined && issuer.trim() !== issuer)
    return `"${issuer}" has surrounding whitespace: API Gateway compares the issuer exactly with the tokens' iss claim`;
  const url = issuer !== undefined && URL.canParse(issuer) ? new URL(issuer) : undefined;
  const loopbackHttp = local && url?.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if ((url?.protocol !== 'https:' && !loopbackHttp) || url?.username !== '' || url.password !== '') {
    return `"${issuer}" is not an https:// URL${local ? ' (or http:// on loopback)' : ''}`;
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

/**
 * An HTTP API that vends short-lived KVS ICE servers (`POST /v1/channels/{channel}/ice-servers`):
 * API Gateway HTTP API -> Lambda function -> (assumes) a scoped role -> KVS
 * `GetSignalingChannelEndpoint` + `GetIceServerConfig` on the configured channels only.
 *
 * The function's execution role has no KVS permission; only the scoped role has, and only
 * the execution role may assume it. All ARNs are partition-aware (`aws` and `aws-cn`).
 */
export class IceBroker extends Construct {
  /** The HTTP API. */
  public readonly api: HttpApi;
  /** The API's `$default` stage (access logging and throttling). */
  public readonly stage: HttpStage;
  /** The `POST /v1/channels/{channel}/ice-servers` route. */
  public readonly route: HttpRoute;
  /** How callers authenticate (the validated `auth` prop). */
  public readonly auth: IceBrokerAuth;
  /** The route's authorizer: JWT, AWS_IAM or, for mode `none`, an explicit NONE. */
  public readonly authorizer: IHttpRouteAuthorizer;
  /** The Lambda function behind the route. */
  public readonly function: NodejsFunction;
  /**
   * The function's own role: writes its logs, may assume `scopedRole`, read the blocked-callers
   * parameter and use the shared table; nothing else.
   */
  public readonly executionRole: Role;
  /** The role the function assumes to call KVS, limited to the configured channels. */
  public readonly scopedRole: Role;
  /** The function's and the API's log groups. */
  public readonly logGroups: IceBrokerLogGroups;
  /**
   * The SSM parameter listing blocked callers (`BLOCKED_CALLERS_FORMAT` of lambda/contract.ts),
   * named `/<stack name>/<construct id>/blocked-callers`. The function reads it (cached 60 s), so
   * an operator blocks a caller with `aws ssm put-parameter --overwrite`, without a deploy; the
   * stack writes it only when it creates it.
   */
  public readonly blockedCallersParameter: StringParameter;
  /** The alarms, their SNS topic, the dashboard and the Logs Insights queries. */
  public readonly observability: IceBrokerObservability;
  /** The signaling channels this construct created. */
  public readonly createdChannels: readonly CfnSignalingChannel[];
  /** Every served channel's ARN (possibly a token) by channel name. */
  public readonly channelArns: Readonly<Record<string, string>>;
  /**
   * By channel name, the `execute-api` ARN that `execute-api:Invoke` must allow for calls on that
   * channel: `arn:${Partition}:execute-api:${Region}:${Account}:${ApiId}/$default/POST/v1/channels/<name>/ice-servers`.
   */
  public readonly invokeArns: Readonly<Record<string, string>>;
  /** The signaling routes (`POST /v1/channels/{channel}/viewer|master`) of the served roles. */
  public readonly signalingRoutes: Partial<Record<SignalingRole, HttpRoute>>;
  /**
   * By signaling role, then channel name, the `execute-api` ARN that `execute-api:Invoke` must
   * allow to connect in that role (IAM grants viewing and mastering apart).
   */
  public readonly signalingInvokeArns: SignalingInvokeArns;
  /** The DynamoDB table every function instance shares (call budget, shared ICE cache); see {@link SharedTable}. */
  public readonly sharedTable: Table;

  constructor(scope: Construct, id: string, props: IceBrokerProps) {
    super(scope, id);
    validateIceBrokerProps(props);
    this.auth = props.auth;
    const retention = props.logRetention ?? DEFAULT_LOG_RETENTION;

    this.createdChannels = (props.createChannels ?? []).map(
      (name) => new CfnSignalingChannel(this, `Channel-${name}`, { name, type: 'SINGLE_MASTER' }),
    );
    this.channelArns = Object.fromEntries([
      ...(props.existingChannels ?? []).map((channel) => [channel.name, this.existingChannelArn(channel)]),
      ...this.createdChannels.map((channel) => [channel.name, channel.attrArn]),
    ]);

    this.logGroups = {
      function: new LogGroup(this, 'FunctionLogs', { retention }),
      access: new LogGroup(this, 'AccessLogs', { retention }),
    };

    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'kvs-ice-broker function: writes its logs, assumes the scoped KVS role, reads the blocked-callers parameter, uses the shared table; nothing else',
    });
    this.scopedRole = this.createScopedRole(props.signalingRoles ?? []);
    // Kept in the role's separate default Policy resource, which breaks the cycle
    // execution role -> scoped role (this statement) -> execution role (trust policy).
    this.executionRole.addToPolicy(
      new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [this.scopedRole.roleArn] }),
    );
    this.logGroups.function.grantWrite(this.executionRole);
    this.blockedCallersParameter = this.createBlockedCallersParameter();

    this.function = this.createFunction(props);
    this.sharedTable = new SharedTable(this, 'SharedTable', { ...props, function: this.function }).table;
    this.api = new HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-ice-servers`,
      description: 'Vends short-lived KVS TURN/STUN servers',
      createDefaultStage: false,
      ...(props.corsAllowOrigins?.length ? { corsPreflight: corsPreflight(props.corsAllowOrigins) } : {}),
    });
    this.stage = this.createStage(props);
    const { authorizer, authorizationScopes } = routeAuthorization(props.auth);
    this.authorizer = authorizer;
    const integration = new HttpLambdaIntegration('IceServers', this.function, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    this.route = this.createRoute(integration, authorizer, authorizationScopes);
    this.signalingRoutes = createSignalingRoutes(this, props.signalingRoles ?? [], {
      httpApi: this.api,
      integration,
      authorizer,
      authorizationScopes,
    });
    if (props.auth.mode === 'none') {
      for (const route of [this.route, ...Object.values(this.signalingRoutes)]) {
        flagUnauthenticatedRoute(route);
      }
    }
    warnAboutRisks(this, risksOf(props).warnings);
    this.observability = new IceBrokerObservability(this, 'Observability', {
      ...props.observability,
      api: this.api,
      function: this.function,
      functionLogGroup: this.logGroups.function,
      minRemainingTtlSeconds: props.minRemainingTtl?.toSeconds() ?? MIN_REMAINING_TTL_SECONDS.default,
    });
    this.invokeArns = Object.fromEntries(
      Object.keys(this.channelArns).map((name) => [
        name,
        this.api.arnForExecuteApi(HttpMethod.POST, iceServersPath(name), this.stage.stageName),
      ]),
    );
    this.signalingInvokeArns = signalingInvokeArns(
      props.signalingRoles ?? [],
      Object.keys(this.channelArns),
      (path) => this.api.arnForExecuteApi(HttpMethod.POST, path, this.stage.stageName),
    );
  }

  /**
   * Lets `grantee` call the route for `channels` (default: every served channel).
   * Only for auth mode `iam`: other modes do not check IAM permissions.
   */
  public grantInvoke(grantee: IGrantable, channels: readonly string[] = Object.keys(this.invokeArns)): Grant {
    if (this.auth.mode !== 'iam') {
      throw new ConfigError(
        PROP_NAMES.subject,
        'auth',
        `grantInvoke needs mode "iam"; this broker's mode is "${this.auth.mode}"`,
      );
    }
    const resourceArns = channels.map((name) => {
      const arn = this.invokeArns[name];
      if (arn === undefined) throw new Error(`grantInvoke: "${name}" is not a channel this broker serves`);
      return arn;
    });
    return Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns });
  }

  /**
   * Lets `grantee` call the signaling route of `role` for `channels` (default: every served
   * channel): viewing and mastering are granted apart. Only for auth mode `iam`, and only for a
   * served role.
   */
  public grantConnect(
    grantee: IGrantable,
    role: SignalingRole,
    channels: readonly string[] = Object.keys(this.channelArns),
  ): Grant {
    const arns = this.signalingInvokeArns[role];
    if (this.auth.mode !== 'iam' || arns === undefined) {
      throw new ConfigError(
        PROP_NAMES.subject,
        this.auth.mode !== 'iam' ? 'auth' : 'signalingRoles',
        `grantConnect needs mode "iam" and the ${role} role among signalingRoles`,
      );
    }
    const resourceArns = channels.map((name) => {
      const arn = arns[name];
      if (arn === undefined) throw new Error(`grantConnect: "${name}" is not a channel this broker serves`);
      return arn;
    });
    return Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns });
  }

  private createScopedRole(signalingRoles: readonly SignalingRole[]): Role {
    const connect = connectStatement(signalingRoles, Object.values(this.channelArns));
    return new Role(this, 'ScopedRole', {
      assumedBy: new ArnPrincipal(this.executionRole.roleArn),
      maxSessionDuration: Duration.hours(1),
      description: connect
        ? 'kvs-ice-broker: the KVS calls that vend ICE servers and the Connect actions of the served signaling roles, on the configured channels only'
        : 'kvs-ice-broker: the two KVS calls that vend ICE servers, on the configured channels only',
      inlinePolicies: {
        IceServers: new PolicyDocument({
          statements: [
            new PolicyStatement({ actions: KVS_ACTIONS, resources: Object.values(this.channelArns) }),
            ...(connect ? [connect] : []),
          ],
        }),
      },
    });
  }

  private createStage(props: IceBrokerProps): HttpStage {
    return new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRate ?? DEFAULT_THROTTLE_RATE,
        burstLimit: props.throttleBurst ?? DEFAULT_THROTTLE_BURST,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.logGroups.access),
        format: accessLogFormat(),
      },
    });
  }

  private createRoute(
    integration: HttpLambdaIntegration,
    authorizer: IHttpRouteAuthorizer,
    authorizationScopes?: string[],
  ): HttpRoute {
    return new HttpRoute(this, 'IceServersRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.with(ICE_SERVERS_ROUTE_PATH, HttpMethod.POST),
      authorizer,
      authorizationScopes,
      integration,
    });
  }

  /** The blocked-callers parameter, created empty, and the function's right to read it (that one parameter only). */
  private createBlockedCallersParameter(): StringParameter {
    const parameter = new StringParameter(this, 'BlockedCallers', {
      parameterName: `/${Stack.of(this).stackName}/${this.node.id}/blocked-callers`,
      simpleName: false,
      stringValue: BLOCKED_CALLERS_FORMAT.empty,
      description:
        'kvs-ice-broker: callers refused with 403 CallerBlocked, {"callerIds":[...],"subjects":[...]}; read by the function every 60 s',
    });
    // A String parameter (CloudFormation cannot create a SecureString), so no kms:Decrypt.
    this.executionRole.addToPolicy(
      new PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameter.parameterArn] }),
    );
    return parameter;
  }

  private existingChannelArn(channel: ExistingChannel): string {
    return (
      channel.arn ??
      Stack.of(this).formatArn({
        service: 'kinesisvideo',
        resource: 'channel',
        resourceName: `${channel.name}/${channel.creationTime}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      })
    );
  }

  private createFunction(props: IceBrokerProps): NodejsFunction {
    if (props.observability?.tracing) {
      // Lambda's X-Ray statement (xray:PutTraceSegments, PutTelemetryRecords) has no resource-level permissions.
      Validations.of(this.executionRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing (context tracing=true): xray:PutTraceSegments and PutTelemetryRecords take no resource ARN',
      });
    }
    return new NodejsFunction(this, 'Function', {
      description: 'Vends short-lived KVS TURN/STUN servers',
      entry: path.join(PROJECT_ROOT, 'lambda', 'handler.ts'),
      handler: 'handler',
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(10),
      role: this.executionRole,
      logGroup: this.logGroups.function,
      ...(props.observability?.tracing ? { tracing: Tracing.ACTIVE } : {}),
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      environment: {
        [ENV.scopedRoleArn]: this.scopedRole.roleArn,
        [ENV.channels]: Stack.of(this).toJsonString(this.channelArns),
        [ENV.authMode]: props.auth.mode,
        [ENV.blockedCallersParameter]: this.blockedCallersParameter.parameterName,
        // Unset, the function applies its own default (lambda/config.ts).
        ...(props.minRemainingTtl !== undefined
          ? { [ENV.minRemainingTtlSeconds]: String(props.minRemainingTtl.toSeconds()) }
          : {}),
        ...(props.auth.mode === 'jwt' && props.auth.channelsClaim !== undefined
          ? { [ENV.channelsClaim]: props.auth.channelsClaim }
          : {}),
        ...(props.signalingRoles?.length ? { [ENV.signalingRoles]: props.signalingRoles.join(',') } : {}),
        ...(props.viewerSlotsPerCaller !== undefined
          ? { [ENV.viewerSlotsPerCaller]: String(props.viewerSlotsPerCaller) }
          : {}),
        ...(props.auth.mode === 'jwt' && props.auth.masterChannelsClaim !== undefined
          ? { [ENV.masterChannelsClaim]: props.auth.masterChannelsClaim }
          : {}),
        POWERTOOLS_SERVICE_NAME: METRICS.service,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.CJS,
        // Prefer packages' ES module builds: esbuild tree-shakes them (the AWS SDK and zod/mini shrink by ~600 KB).
        mainFields: ['module', 'main'],
        target: ESBUILD_TARGET,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        externalModules: [],
        forceDockerBundling: false,
      },
    });
  }
}
