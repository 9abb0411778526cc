import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_MODES, parseChannelArn } from '../lambda/contract';
import type { Setting, SettingValue } from '../lambda/settings';
import {
  CONTEXT_KEY_NAMES,
  CONTEXT_NAMES,
  checkContextKeys,
  parseContext,
  readContextValues,
} from '../lib/context';
import { type FunctionSettingProps, functionSettingsOf } from '../lib/function-environment';
import type { IceBrokerProps } from '../lib/ice-broker-props';
import { ConfigError, type ConfigProblem, validateIceBrokerProps } from '../lib/ice-broker-validation';
import { endpointVariantRisks } from '../lib/regions';
import { type LocalBlockedCallers, readLocalBlockedCallers } from './blocked-callers';
import { DEFAULT_REGION } from './emulator/options';
import { LOCAL_AUDIENCE, type LocalAuthOptions } from './gateway/auth-mode';

/** The `npm start` command line, over cdk.json's context. */
export interface RunnerArgs {
  /** `-c key=value` pairs, over the `context` of cdk.json. */
  readonly context: Record<string, unknown>;
  /** Serve against real AWS (the developer's profile) instead of the emulator. */
  readonly realAws: boolean;
  /** `-h` / `--help`: print {@link USAGE} and exit. */
  readonly help: boolean;
  /** `--instances N`: function instances, each a process of its own (1: the handler runs in the runner). */
  readonly instances: number;
  /**
   * `--dynamodb-endpoint URL`: another DynamoDB for the shared table (moto's server, DynamoDB
   * Local, LocalStack) instead of the embedded dynalite; unset: dynalite.
   */
  readonly dynamodbEndpoint?: string;
}

/** Most function instances `--instances` starts: each is a Node process of some 100 MB. */
export const MAX_LOCAL_INSTANCES = 16;

/** The channel the emulated runner serves when the context names none (deployments have no default). */
export const LOCAL_DEFAULT_CHANNEL = 'demo';

/** `npm start -- --help`. */
export const USAGE = `Usage: npm start -- [-c key=value ...] [--instances N] [--dynamodb-endpoint URL] [--aws]

Serves POST /v1/channels/{channel}/ice-servers on 127.0.0.1:$PORT (default 8080) with the
deployed handler, against a local AWS emulator and, when coturn is installed, a real TURN relay.

  -c, --context key=value  the same context keys as cdk deploy (channels, createChannels,
                           minRemainingTtl, auth, jwtIssuer, jwtAudience, jwtScopes,
                           channelsClaim, corsAllowOrigins, ...; an unknown key is an error);
                           locally, channel names need no ARN and the emulator creates every
                           listed channel (${LOCAL_DEFAULT_CHANNEL} when none is listed), auth defaults to
                           none, auth=jwt without jwtIssuer starts a local token issuer (npm run
                           token mints more tokens), -c region=... sets the emulator's Region,
                           and -c blockedCallers=<id,sub:subject> or -c blockedCallersFile=<json>
                           lists callers to refuse with 403 CallerBlocked (the file is re-read
                           when it changes)
  --instances N            run N function instances (1-${MAX_LOCAL_INSTANCES}, default 1), each a process of its own,
                           behind the API in turn (round robin), sharing the emulator and a local
                           DynamoDB (dynalite) with the shared table (call budget, per-caller
                           limit, -c sharedCache=true), as a deployment's instances do
  --dynamodb-endpoint URL  the shared table in another DynamoDB on this machine (moto's server,
                           DynamoDB Local, LocalStack) instead of the embedded dynalite; the
                           table is created there when it does not exist
  --aws                    use real AWS with your own credentials instead of the emulator
                           (or KVS_ICE_BROKER_AWS=1); needs -c channels=<channel ARNs>,
                           -c scopedRoleArn=<a role your profile may assume> (or SCOPED_ROLE_ARN)
                           and AWS credentials (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID)
  -h, --help               this text

Environment: PORT (API, default 8080), EMULATOR_PORT (default: a free port).`;

/** The `context` of the project's cdk.json (CDK's feature flags), as `cdk deploy` reads it too. */
export function cdkJsonContext(root: string): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context };
}

/** The command line over `defaults` (cdk.json's context); an unknown context key is an error naming it. */
export function parseArgs(
  argv: readonly string[],
  defaults: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): RunnerArgs {
  const context = { ...defaults };
  let realAws = env.KVS_ICE_BROKER_AWS === '1';
  let help = false;
  let instances = 1;
  let dynamodbEndpoint: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--aws') realAws = true;
    else if (arg === '--instances' || arg.startsWith('--instances=')) {
      const raw = arg.startsWith('--instances=') ? arg.slice('--instances='.length) : argv[++i];
      instances = /^\d{1,2}$/.test(raw ?? '') ? Number(raw) : Number.NaN;
      if (!(instances >= 1 && instances <= MAX_LOCAL_INSTANCES))
        throw new Error(
          `--instances needs a whole number from 1 to ${MAX_LOCAL_INSTANCES}, got "${raw ?? ''}"`,
        );
    } else if (arg === '--dynamodb-endpoint' || arg.startsWith('--dynamodb-endpoint=')) {
      const raw = arg.startsWith('--dynamodb-endpoint=')
        ? arg.slice('--dynamodb-endpoint='.length)
        : argv[++i];
      if (!raw || !URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol))
        throw new Error(`--dynamodb-endpoint needs an http(s):// URL, got "${raw ?? ''}"`);
      dynamodbEndpoint = raw;
    } else if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '-c' || arg === '--context' || arg.startsWith('--context=')) {
      const pair = arg.startsWith('--context=') ? arg.slice('--context='.length) : argv[++i];
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) throw new Error(`${arg} needs key=value, got "${pair ?? ''}"`);
      context[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else throw new Error(`unknown argument "${arg}"\n\n${USAGE}`);
  }
  checkContextKeys(Object.keys(context), LOCAL_KEY_NAMES);
  if (realAws && (instances > 1 || dynamodbEndpoint !== undefined))
    throw new Error('--instances and --dynamodb-endpoint run against the emulator only; leave out --aws');
  return {
    context,
    realAws,
    help,
    instances,
    ...(dynamodbEndpoint !== undefined ? { dynamodbEndpoint } : {}),
  };
}

/**
 * The context keys only the local runner reads, declared as a deployment's are (lambda/settings.ts);
 * docs/configuration.md lists them, and a deployment refuses them as unknown keys.
 */
export const LOCAL_SETTINGS = {
  scopedRoleArn: {
    context: 'scopedRoleArn',
    type: { kind: 'string' },
    doc: '--aws only: a role your credentials may assume that allows the KVS actions on the channels; default $SCOPED_ROLE_ARN',
  },
  region: {
    context: 'region',
    type: { kind: 'string' },
    default: DEFAULT_REGION,
    doc: "the emulator's Region (cn-… for aws-cn)",
  },
  blockedCallers: {
    context: 'blockedCallers',
    type: { kind: 'list' },
    doc: 'caller ids (u-…, c-…, iam-…) and JWT subjects prefixed sub: refused with 403 CallerBlocked, matched exactly (no spaces around commas)',
  },
  blockedCallersFile: {
    context: 'blockedCallersFile',
    type: { kind: 'string' },
    doc: "a JSON file in the blocked-callers parameter's format, re-read when it changes",
  },
} as const satisfies Record<string, Setting>;

/** The keys `npm start` reads: a deployment's and its own. */
const LOCAL_KEY_NAMES = [
  ...CONTEXT_KEY_NAMES,
  ...Object.values(LOCAL_SETTINGS).map((setting) => setting.context),
];

/** The local runner's own keys, read as their settings say (blocked callers as written: they are matched exactly). */
type LocalKeys = { readonly [K in keyof typeof LOCAL_SETTINGS]?: SettingValue<(typeof LOCAL_SETTINGS)[K]> };

function readLocalKeys(context: Record<string, unknown>): LocalKeys {
  const problems: ConfigProblem[] = [];
  const settings = Object.entries(LOCAL_SETTINGS).map(([name, setting]) => ({
    name,
    key: setting.context,
    ...setting,
  }));
  const values = readContextValues((key) => context[key], settings, problems, { verbatim: true });
  ConfigError.throwIfAny(problems);
  return Object.fromEntries([...values].map(([{ name }, value]) => [name, value]));
}

/**
 * The settings of the function a deployment would get from the same context, besides the auth
 * mode: `minRemainingTtl`, `signalingRoles`, `viewerSlotsPerCaller`, `sharedCache` … (props of
 * lib/ice-broker-props.ts that set a variable of lambda/settings.ts).
 */
export type LocalFunctionSettings = Omit<FunctionSettingProps, 'auth'>;

/** What the emulated runner serves, read and validated as a deployment's context is. */
export interface EmulatedConfig extends LocalFunctionSettings {
  /** Names of the channels the emulator creates and the API serves. */
  readonly channels: readonly string[];
  /** The emulator's Region; unset: the emulator's default. */
  readonly region?: string;
  readonly auth: LocalAuthOptions;
  readonly corsAllowOrigins?: readonly string[];
  /** Callers refused with 403 CallerBlocked (`-c blockedCallers` / `-c blockedCallersFile`); unset: nobody. */
  readonly blockedCallers?: LocalBlockedCallers;
}

/**
 * The emulated runner's configuration: every channel `channels` (name, name/creationTime or ARN)
 * and `createChannels` list, or {@link LOCAL_DEFAULT_CHANNEL} when they list none.
 */
export function readEmulatedConfig(context: Record<string, unknown>): EmulatedConfig {
  const local = readLocalKeys(context);
  const listed = ['channels', 'createChannels'].some(
    (key) => context[key] !== undefined && context[key] !== '',
  );
  const { props, ...broker } = readBroker(
    listed ? context : { ...context, createChannels: LOCAL_DEFAULT_CHANNEL },
    local.region ?? DEFAULT_REGION,
  );
  const blockedCallers = readLocalBlockedCallers(local);
  return {
    ...broker,
    channels: [
      ...(props.existingChannels ?? []).map((channel) => channel.name),
      ...(props.createChannels ?? []),
    ],
    ...(local.region !== undefined ? { region: local.region } : {}),
    ...(blockedCallers ? { blockedCallers } : {}),
  };
}

/** What `npm start -- --aws` serves: existing channels of the developer's account. */
export interface AwsConfig extends LocalFunctionSettings {
  /** Channel ARN by name. */
  readonly channels: Readonly<Record<string, string>>;
  /** The role the function assumes for KVS; the developer's credentials must be allowed to. */
  readonly scopedRoleArn: string;
  /** `AWS_REGION`, else the first channel's Region. */
  readonly region: string;
  /** Partition and account of the first channel. */
  readonly partition: string;
  readonly accountId: string;
  readonly auth: LocalAuthOptions;
  readonly corsAllowOrigins?: readonly string[];
}

/** The `--aws` configuration: channels by full ARN, none to create, and a role to assume. */
export function readAwsConfig(context: Record<string, unknown>, env: NodeJS.ProcessEnv): AwsConfig {
  const local = readLocalKeys(context);
  if (context.createChannels !== undefined) {
    throw new ConfigError(
      'context',
      'createChannels',
      '--aws serves existing channels only; create the channel in AWS and list its ARN in -c channels',
    );
  }
  if (context.channels === undefined) {
    throw new ConfigError('context', 'channels', '--aws needs -c channels=<full ARNs of existing channels>');
  }
  if (local.blockedCallers !== undefined || local.blockedCallersFile !== undefined) {
    throw new ConfigError(
      'context',
      local.blockedCallers !== undefined ? 'blockedCallers' : 'blockedCallersFile',
      '--aws has no blocked-callers list (the emulator keeps it); block callers of a deployment in its SSM parameter',
    );
  }
  const { props, ...broker } = readBroker(context, env.AWS_REGION || undefined);
  const channels = (props.existingChannels ?? []).map(({ name, arn }) => {
    const parts = arn === undefined ? undefined : parseChannelArn(arn);
    if (parts === undefined) {
      throw new ConfigError(
        'context',
        'channels',
        `--aws needs full channel ARNs; "${name}" has none (aws kinesisvideo describe-signaling-channel --channel-name ${name} prints it)`,
      );
    }
    return parts;
  });
  const scopedRoleArn = local.scopedRoleArn ?? env.SCOPED_ROLE_ARN;
  if (scopedRoleArn === undefined) {
    throw new ConfigError(
      'context',
      'scopedRoleArn',
      '--aws needs a role your credentials may assume that allows the KVS actions on the channels ' +
        '(or SCOPED_ROLE_ARN); the deployed scoped role trusts only the function',
    );
  }
  const [first] = channels;
  // The validation behind readBroker already refuses a deployment without a channel: this only says so to the types.
  if (first === undefined)
    throw new ConfigError('context', 'channels', '--aws needs at least one channel ARN');
  return {
    ...broker,
    channels: Object.fromEntries(channels.map((channel) => [channel.name, channel.arn])),
    scopedRoleArn,
    region: env.AWS_REGION || first.region,
    partition: first.partition,
    accountId: accountOfArn(first.arn),
  };
}

/** The account id of an ARN (`arn:partition:service:region:account:…`); empty when it has none. */
const accountOfArn = (arn: string): string => arn.split(':')[4] ?? '';

/** The local stand-in of a jwt issuer the context leaves out: the runner starts its own. */
const LOCAL_ISSUER = 'https://local-issuer.invalid/';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The deployment's keys, parsed and validated as `cdk synth` does (lib/context.ts,
 * lib/ice-broker-validation.ts), with the local runner's documented differences filled in first:
 * no `auth` means `none`, which needs no acknowledgement on loopback; `jwt` may leave its issuer
 * and audience to the local issuer, or name an `http://` issuer on loopback; a channel may be a
 * bare name (the emulator creates it); and `auth=none` leaves the master route out instead of
 * refusing it. `dualStack` and `fips` are checked for `region` (the emulated one, or `--aws`'s),
 * as synthesis checks them for the deploy Region: the emulator's endpoints are no more permissive
 * than AWS's (lib/regions.ts, except what CloudFormation offers there: the emulator creates
 * channels itself). Throws a {@link ConfigError} naming the context keys, as a deployment would.
 */
function readBroker(
  context: Record<string, unknown>,
  region: string | undefined,
): LocalFunctionSettings & Pick<EmulatedConfig, 'auth' | 'corsAllowOrigins'> & { props: IceBrokerProps } {
  const deployment = Object.fromEntries(
    Object.entries(context).filter(([key]) => CONTEXT_KEY_NAMES.includes(key)),
  );
  const mode = deployment.auth ?? 'none';
  if (!AUTH_MODES.some((known) => known === mode))
    throw new ConfigError(
      'context',
      'auth',
      `${JSON.stringify(mode)} is not an auth mode; choose jwt, iam or none`,
    );
  const filled: Record<string, unknown> = {
    ...deployment,
    auth: mode,
    ...(mode === 'none' ? { allowUnauthenticated: deployment.allowUnauthenticated ?? 'true' } : {}),
    ...(mode === 'jwt' ? { jwtIssuer: deployment.jwtIssuer ?? LOCAL_ISSUER } : {}),
    ...(mode === 'jwt' ? { jwtAudience: deployment.jwtAudience ?? LOCAL_AUDIENCE } : {}),
  };
  const { props } = parseContext((key) => filled[key]);
  const deployed = asDeployed(props);
  validateIceBrokerProps(deployed, { names: CONTEXT_NAMES });
  const variants = endpointVariantRisks({ ...deployed, region, authMode: deployed.auth.mode });
  ConfigError.throwIfAny(
    variants.map(({ props: names, message }) => ({
      subject: CONTEXT_NAMES.subject,
      names: names.map((prop) => CONTEXT_NAMES.name(prop)),
      problem: message,
    })),
  );
  const auth: LocalAuthOptions =
    props.auth.mode !== 'jwt'
      ? { mode: props.auth.mode }
      : {
          ...props.auth,
          issuer: deployment.jwtIssuer === undefined ? undefined : props.auth.issuer,
          audience: deployment.jwtAudience === undefined ? undefined : props.auth.audience,
        };
  const { corsAllowOrigins } = props;
  return {
    ...functionSettingsOf(props),
    props,
    auth: withoutUndefined(auth),
    ...(corsAllowOrigins ? { corsAllowOrigins } : {}),
  };
}

/**
 * `props` as a deployment would have them, for the deployment's validation: a bare channel name
 * gets a creation time, an `http://` issuer on loopback is checked as its `https://` twin, and the
 * master role that `auth=none` never serves is left out.
 */
function asDeployed(props: IceBrokerProps): IceBrokerProps {
  const { auth } = props;
  const url = auth.mode === 'jwt' && URL.canParse(auth.issuer) ? new URL(auth.issuer) : undefined;
  const loopbackHttp = url?.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  return {
    ...props,
    existingChannels: props.existingChannels?.map((channel) =>
      channel.arn === undefined && channel.creationTime === undefined
        ? { ...channel, creationTime: '0' }
        : channel,
    ),
    auth:
      auth.mode === 'jwt' && loopbackHttp
        ? { ...auth, issuer: auth.issuer.replace(/^http:/, 'https:') }
        : auth,
    signalingRoles:
      auth.mode === 'none' ? props.signalingRoles?.filter((role) => role !== 'master') : props.signalingRoles,
  };
}

/** `value` without the keys whose value is `undefined`. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/** A TCP port from the environment, or the default; invalid values are an error naming the variable. */
export function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a TCP port, got "${raw}"`);
  return port;
}
