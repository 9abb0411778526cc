import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  CREATION_TIME_PATTERN,
  channelNameProblem,
  describeChannelArnCommand,
  firstDuplicate,
  parseChannelArn,
} from './channel';
import { type ContextReader, check, contextError, readList, readNumber } from './context-readers';
import type { ExistingChannel, IceBrokerProps } from './ice-broker-props';
import {
  logRetentionDaysProblem,
  minRemainingTtlProblem,
  throttleBurstProblem,
  throttleRateProblem,
} from './settings';

export type { ContextReader } from './context-readers';

/**
 * The broker's props that configure the function, its channels and the stage: everything but
 * the route's authentication and CORS, which lib/auth-context.ts reads (the local runner shares
 * these settings but has no API Gateway in front of the function).
 */
export type BrokerSettings = Omit<IceBrokerProps, 'auth' | 'corsAllowOrigins'>;

/** The deployment described by the CDK context. */
export interface AppConfig {
  /** CloudFormation stack name (context `stackName`). */
  readonly stackName: string;
  /** Settings of the broker construct; unset optional ones take the construct's defaults. */
  readonly broker: BrokerSettings;
}

const DEFAULT_STACK_NAME = 'KvsIceBroker';

const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * Parses and validates the context keys (README "Configuration keys") but the route's
 * authentication and CORS (see {@link BrokerSettings}). Values may be strings (from
 * `-c key=value`) or JSON numbers / arrays (from `cdk.json`). Every error names its key.
 */
export function parseContext(read: ContextReader): AppConfig {
  const existingChannels = readList(read, 'channels').map(parseExistingChannel);
  const createChannels = readList(read, 'createChannels');
  createChannels.forEach((name) => {
    check('createChannels', channelNameProblem(name));
  });
  checkChannelSet(
    existingChannels.map((channel) => channel.name),
    createChannels,
  );
  return {
    stackName: readStackName(read),
    broker: {
      existingChannels,
      createChannels,
      throttleRate: readNumber(read, 'throttleRate', throttleRateProblem),
      throttleBurst: readNumber(read, 'throttleBurst', throttleBurstProblem),
      logRetention: readNumber(read, 'logRetentionDays', logRetentionDaysProblem) as
        | RetentionDays
        | undefined,
      minRemainingTtl: optionalSeconds(readNumber(read, 'minRemainingTtl', minRemainingTtlProblem)),
    },
  };
}

function parseExistingChannel(entry: string): ExistingChannel {
  if (entry.startsWith('arn:')) {
    const parts = parseChannelArn(entry);
    if (!parts) throw contextError('channels', `"${entry}" is not a signaling channel ARN`);
    return { name: parts.name, arn: entry };
  }
  const [name = '', creationTime, ...rest] = entry.split('/');
  check('channels', channelNameProblem(name));
  if (creationTime === undefined) {
    throw contextError(
      'channels',
      `"${name}" is a bare name, but KVS needs the channel's full ARN, which ends in its creation time. ` +
        `Give the ARN or "${name}/<creationTime>"; print the ARN with: ${describeChannelArnCommand(name)}`,
    );
  }
  if (rest.length > 0 || !CREATION_TIME_PATTERN.test(creationTime)) {
    throw contextError(
      'channels',
      `"${entry}" is neither a channel ARN nor "name/<creationTime in epoch ms>"`,
    );
  }
  return { name, creationTime };
}

function checkChannelSet(existing: readonly string[], created: readonly string[]): void {
  if (existing.length === 0 && created.length === 0) {
    throw contextError(
      ['channels', 'createChannels'],
      'at least one channel is required, e.g. -c createChannels=demo',
    );
  }
  const duplicates: [string | readonly string[], string | undefined][] = [
    ['channels', firstDuplicate(existing)],
    ['createChannels', firstDuplicate(created)],
    [['channels', 'createChannels'], firstDuplicate([...new Set(existing), ...new Set(created)])],
  ];
  for (const [keys, duplicate] of duplicates) {
    if (duplicate !== undefined) throw contextError(keys, `channel "${duplicate}" is listed more than once`);
  }
}

function readStackName(read: ContextReader): string {
  const value = read('stackName') ?? DEFAULT_STACK_NAME;
  if (typeof value !== 'string' || !STACK_NAME_PATTERN.test(value)) {
    throw contextError(
      'stackName',
      `${JSON.stringify(value)} is not a stack name (a letter, then up to 127 letters, digits or "-")`,
    );
  }
  return value;
}

function optionalSeconds(seconds: number | undefined): Duration | undefined {
  return seconds === undefined ? undefined : Duration.seconds(seconds);
}
