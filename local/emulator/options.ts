import type { PolicyStatementJson } from '../../lib/iam-policies';
import { randomKeyId, randomSecretAccessKey } from './credentials';
import { defaultScopedRolePolicy } from './iam';
import type { EmulatorOptions, KeyPair, TurnSettings } from './types';

/**
 * The SSM parameter the local deployment keeps its blocked-callers list in (the runner publishes
 * it there, the function reads it), and so the one the emulated execution role may read.
 */
export const LOCAL_BLOCKED_CALLERS_PARAMETER = '/kvs-ice-broker-local/blocked-callers';

/** Valid options with every default applied. */
export interface EmulatorConfig {
  readonly port: number;
  readonly region: string;
  readonly partition: string;
  /** DNS suffix of the partition's public endpoints (`amazonaws.com` / `amazonaws.com.cn`). */
  readonly dnsSuffix: string;
  readonly accountId: string;
  readonly channels: readonly string[];
  readonly executionCredentials: KeyPair;
  readonly developerCredentials: KeyPair;
  /** The sample viewer user's key pair (`EmulatorOptions.sampleViewerUser`), else undefined. */
  readonly sampleViewerCredentials: KeyPair | undefined;
  readonly scopedRoleArn: string;
  readonly scopedRolePolicy: (channelArns: readonly string[]) => readonly PolicyStatementJson[];
  readonly blockedCallersParameter: string;
  readonly turn: TurnSettings;
  readonly now: () => number;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
/** KVS's constraint on channel names. */
export const CHANNEL_NAME = /^[a-zA-Z0-9_.-]{1,256}$/;
const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
/** SSM's parameter names: a path of `[a-zA-Z0-9_.-]` segments, from the root. */
const PARAMETER_NAME = /^(\/[a-zA-Z0-9_.-]+)+$/;

/** `aws-cn` for `cn-*` regions, `aws-us-gov` for `us-gov-*`, otherwise `aws`. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const dnsSuffixOf = (partition: string): string =>
  partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';

const isPort = (value: number, allowZero: boolean): boolean =>
  Number.isInteger(value) && value >= (allowZero ? 0 : 1) && value <= 65535;

function check(condition: boolean, message: string): void {
  if (!condition) throw new TypeError(`startEmulator: ${message}`);
}

function checkTurn(turn: TurnSettings): void {
  check(typeof turn?.host === 'string' && turn.host.length > 0, 'turn.host must be a non-empty string');
  check(
    isPort(turn.port, false) && isPort(turn.tlsPort, false),
    'turn.port and turn.tlsPort must be 1-65535',
  );
  check(typeof turn.secret === 'string' && turn.secret.length > 0, 'turn.secret must be a non-empty string');
}

function checkChannels(channels: readonly string[]): void {
  check(Array.isArray(channels), 'channels must be an array of channel names');
  for (const name of channels) {
    check(
      typeof name === 'string' && CHANNEL_NAME.test(name),
      `invalid channel name ${JSON.stringify(name)}`,
    );
  }
  check(new Set(channels).size === channels.length, 'channel names must be unique');
}

function checkKeyPair(pair: KeyPair): void {
  check(ACCESS_KEY_ID.test(pair.accessKeyId), 'executionCredentials.accessKeyId must be 16-128 of [A-Z0-9]');
  check(pair.secretAccessKey.length >= 16, 'executionCredentials.secretAccessKey is too short');
}

/** The emulated Region when the options name none. */
export const DEFAULT_REGION = 'us-west-2';

/** Validates the options and applies the defaults; throws a TypeError naming the bad option. */
export function resolveOptions(options: EmulatorOptions): EmulatorConfig {
  const region = options.region ?? DEFAULT_REGION;
  check(REGION.test(region), `invalid region ${JSON.stringify(region)}`);
  const partition = partitionOf(region);
  const accountId = options.accountId ?? '123456789012';
  check(ACCOUNT.test(accountId), 'accountId must be 12 digits');
  const port = options.port ?? 0;
  check(isPort(port, true), 'port must be 0-65535');
  checkChannels(options.channels);
  checkTurn(options.turn);
  const executionCredentials = options.executionCredentials ?? {
    accessKeyId: randomKeyId('AKIA'),
    secretAccessKey: randomSecretAccessKey(),
  };
  checkKeyPair(executionCredentials);
  const scopedRoleArn =
    options.scopedRoleArn ?? `arn:${partition}:iam::${accountId}:role/kvs-ice-broker-scoped`;
  check(ROLE_ARN.test(scopedRoleArn), `invalid scopedRoleArn ${JSON.stringify(scopedRoleArn)}`);
  const scopedRolePolicy = options.scopedRolePolicy ?? defaultScopedRolePolicy;
  check(typeof scopedRolePolicy === 'function', 'scopedRolePolicy must be a function of the channel ARNs');
  const blockedCallersParameter = options.blockedCallersParameter ?? LOCAL_BLOCKED_CALLERS_PARAMETER;
  check(
    PARAMETER_NAME.test(blockedCallersParameter),
    `invalid blockedCallersParameter ${JSON.stringify(blockedCallersParameter)} (a path such as /app/blocked-callers)`,
  );
  return {
    port,
    region,
    partition,
    dnsSuffix: dnsSuffixOf(partition),
    accountId,
    channels: [...options.channels],
    executionCredentials: { ...executionCredentials },
    developerCredentials: { accessKeyId: randomKeyId('AKIA'), secretAccessKey: randomSecretAccessKey() },
    sampleViewerCredentials: options.sampleViewerUser
      ? { accessKeyId: randomKeyId('AKIA'), secretAccessKey: randomSecretAccessKey() }
      : undefined,
    scopedRoleArn,
    scopedRolePolicy,
    blockedCallersParameter,
    turn: { ...options.turn },
    now: options.now ?? Date.now,
  };
}
