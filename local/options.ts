import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SignalingRole } from '@kvs-ice-broker/client/contract';
import { ENV, parseChannelArn } from '../lambda/contract';
import { CONTEXT_NAMES, checkContextKeys, type LocalContext, parseLocalContext } from '../lib/context';
import { ConfigError, validateIceBrokerProps } from '../lib/ice-broker-validation';
import { type LocalBlockedCallers, readLocalBlockedCallers } from './blocked-callers';
import type { LocalAuthOptions } from './gateway/auth-mode';

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
}

/** Most function instances `--instances` starts: each is a Node process of some 100 MB. */
export const MAX_LOCAL_INSTANCES = 16;

/** The channel the emulated runner serves when the context names none (deployments have no default). */
export const LOCAL_DEFAULT_CHANNEL = 'demo';

/** `npm start -- --help`. */
export const USAGE = `Usage: npm start -- [-c key=value ...] [--instances N] [--aws]

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
    } else if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '-c' || arg === '--context' || arg.startsWith('--context=')) {
      const pair = arg.startsWith('--context=') ? arg.slice('--context='.length) : argv[++i];
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) throw new Error(`${arg} needs key=value, got "${pair ?? ''}"`);
      context[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else throw new Error(`unknown argument "${arg}"\n\n${USAGE}`);
  }
  checkContextKeys(Object.keys(context), 'local');
  if (realAws && instances > 1)
    throw new Error('--instances runs against the emulator only; leave out --aws');
  return { context, realAws, help, instances };
}

/** What the emulated runner serves, read and validated as a deployment's context is. */
export interface EmulatedConfig {
  /** Names of the channels the emulator creates and the API serves. */
  readonly channels: readonly string[];
  /** Unset: the function's default. */
  readonly minRemainingTtlSeconds?: number;
  /** The emulator's Region; unset: the emulator's default. */
  readonly region?: string;
  readonly auth: LocalAuthOptions;
  readonly corsAllowOrigins?: readonly string[];
  /** The presigned signaling routes (`-c signalingRoles`); unset: none. */
  readonly signalingRoles?: readonly SignalingRole[];
  /** Callers refused with 403 CallerBlocked (`-c blockedCallers` / `-c blockedCallersFile`); unset: nobody. */
  readonly blockedCallers?: LocalBlockedCallers;
  /**
   * The function's variables for `-c accountIceCallsPerSecond`, `-c callerIssuancesPerMinute`,
   * `-c viewerSlotsPerCaller` and `-c sharedCache`, as the stack sets them; unset when none is given.
   */
  readonly env?: Record<string, string>;
  /** `-c sharedCache=true`: the function needs the shared table even as one instance. */
  readonly sharedCache?: boolean;
}

/**
 * The emulated runner's configuration: every channel `channels` (name, name/creationTime or ARN)
 * and `createChannels` list, or {@link LOCAL_DEFAULT_CHANNEL} when they list none.
 */
export function readEmulatedConfig(context: Record<string, unknown>): EmulatedConfig {
  const parsed = parseLocalContext((key) => context[key]);
  const listed = parsed.existingChannels?.length || parsed.createChannels?.length;
  const settings = listed ? parsed : { ...parsed, createChannels: [LOCAL_DEFAULT_CHANNEL] };
  validateIceBrokerProps(settings, { names: CONTEXT_NAMES, local: true });
  return {
    channels: [
      ...(settings.existingChannels ?? []).map((channel) => channel.name),
      ...(settings.createChannels ?? []),
    ],
    ...shared(parsed),
    ...(parsed.region !== undefined ? { region: parsed.region } : {}),
    ...(parsed.signalingRoles?.length ? { signalingRoles: parsed.signalingRoles } : {}),
    ...optionalBlockedCallers(parsed),
    ...fleetSettings(parsed),
  };
}

/** The shared table's settings as the function's variables (see lib/shared-table.ts, which sets them in AWS). */
function fleetSettings(parsed: LocalContext): Pick<EmulatedConfig, 'env' | 'sharedCache'> {
  const env: Record<string, string> = {};
  if (parsed.accountIceCallsPerSecond !== undefined)
    env[ENV.accountIceCallsPerSecond] = String(parsed.accountIceCallsPerSecond);
  if (parsed.callerIssuancesPerMinute !== undefined)
    env[ENV.callerIssuancesPerMinute] = String(parsed.callerIssuancesPerMinute);
  if (parsed.viewerSlotsPerCaller !== undefined)
    env[ENV.viewerSlotsPerCaller] = String(parsed.viewerSlotsPerCaller);
  if (parsed.sharedCache === true) env[ENV.sharedCache] = 'true';
  return {
    ...(Object.keys(env).length > 0 ? { env } : {}),
    ...(parsed.sharedCache === true ? { sharedCache: true } : {}),
  };
}

function optionalBlockedCallers(parsed: LocalContext): { blockedCallers?: LocalBlockedCallers } {
  const blockedCallers = readLocalBlockedCallers(parsed);
  return blockedCallers ? { blockedCallers } : {};
}

/** What `npm start -- --aws` serves: existing channels of the developer's account. */
export interface AwsConfig {
  /** Channel ARN by name. */
  readonly channels: Readonly<Record<string, string>>;
  /** The role the function assumes for KVS; the developer's credentials must be allowed to. */
  readonly scopedRoleArn: string;
  /** `AWS_REGION`, else the first channel's Region. */
  readonly region: string;
  /** Partition and account of the first channel. */
  readonly partition: string;
  readonly accountId: string;
  readonly minRemainingTtlSeconds?: number;
  readonly auth: LocalAuthOptions;
  readonly corsAllowOrigins?: readonly string[];
}

/** The `--aws` configuration: channels by full ARN, none to create, and a role to assume. */
export function readAwsConfig(context: Record<string, unknown>, env: NodeJS.ProcessEnv): AwsConfig {
  const parsed = parseLocalContext((key) => context[key]);
  if (parsed.createChannels?.length) {
    throw new ConfigError(
      'context',
      'createChannels',
      '--aws serves existing channels only; create the channel in AWS and list its ARN in -c channels',
    );
  }
  if (!parsed.existingChannels?.length) {
    throw new ConfigError('context', 'channels', '--aws needs -c channels=<full ARNs of existing channels>');
  }
  if (parsed.blockedCallers !== undefined || parsed.blockedCallersFile !== undefined) {
    throw new ConfigError(
      'context',
      parsed.blockedCallers !== undefined ? 'blockedCallers' : 'blockedCallersFile',
      '--aws has no blocked-callers list (the emulator keeps it); block callers of a deployment in its SSM parameter',
    );
  }
  validateIceBrokerProps(parsed, { names: CONTEXT_NAMES, local: true });
  const channels = (parsed.existingChannels ?? []).map(({ name, arn }) => {
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
  const scopedRoleArn = parsed.scopedRoleArn ?? env.SCOPED_ROLE_ARN;
  if (scopedRoleArn === undefined) {
    throw new ConfigError(
      'context',
      'scopedRoleArn',
      '--aws needs a role your credentials may assume that allows the KVS actions on the channels ' +
        '(or SCOPED_ROLE_ARN); the deployed scoped role trusts only the function',
    );
  }
  const [first] = channels;
  return {
    channels: Object.fromEntries(channels.map((channel) => [channel.name, channel.arn])),
    scopedRoleArn,
    region: env.AWS_REGION || (first?.region ?? ''),
    partition: first?.partition ?? 'aws',
    accountId: accountOfArn(first?.arn ?? ''),
    ...shared(parsed),
  };
}

/** The account id of an ARN (`arn:partition:service:region:account:…`); empty when it has none. */
const accountOfArn = (arn: string): string => arn.split(':')[4] ?? '';

/** The settings both modes pass on: minimum TTL, auth and CORS. */
function shared(
  parsed: LocalContext,
): Pick<EmulatedConfig, 'minRemainingTtlSeconds' | 'auth' | 'corsAllowOrigins'> {
  const auth: LocalAuthOptions = parsed.auth.mode === 'none' ? { mode: 'none' } : parsed.auth;
  return {
    auth,
    ...(parsed.minRemainingTtl !== undefined
      ? { minRemainingTtlSeconds: parsed.minRemainingTtl.toSeconds() }
      : {}),
    ...(parsed.corsAllowOrigins !== undefined ? { corsAllowOrigins: parsed.corsAllowOrigins } : {}),
  };
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
