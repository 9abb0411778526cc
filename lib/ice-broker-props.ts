import { type Duration, Token } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IceBrokerAuth } from './auth';
import { validateAuthProps } from './auth-props';
import { CREATION_TIME_PATTERN, channelNameProblem, firstDuplicate, parseChannelArn } from './channel';
import { checkProp, propError } from './prop-error';
import {
  logRetentionDaysProblem,
  minRemainingTtlProblem,
  throttleBurstProblem,
  throttleRateProblem,
} from './settings';

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
export interface IceBrokerProps {
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
   * The function never returns TURN credentials with less validity left than this.
   * Whole seconds from 0 to 299 (KVS TURN credentials live 300 s).
   *
   * @default Duration.seconds(120)
   */
  readonly minRemainingTtl?: Duration;
}

const CHANNEL_PROPS = ['existingChannels', 'createChannels'];

/** Throws an error naming the offending prop when `props` cannot build a working broker. */
export function validateIceBrokerProps(props: IceBrokerProps): void {
  const existing = props.existingChannels ?? [];
  const created = props.createChannels ?? [];
  if (existing.length === 0 && created.length === 0) {
    throw propError(CHANNEL_PROPS, 'at least one channel is required');
  }
  existing.forEach((channel, index) => {
    validateExistingChannel(channel, `existingChannels[${index}]`);
  });
  created.forEach((name, index) => {
    checkProp(`createChannels[${index}]`, channelNameProblem(name));
  });
  const duplicate = firstDuplicate([...existing.map((channel) => channel.name), ...created]);
  if (duplicate !== undefined) {
    throw propError(CHANNEL_PROPS, `channel "${duplicate}" is listed more than once`);
  }
  checkOptional('throttleRate', props.throttleRate, throttleRateProblem);
  checkOptional('throttleBurst', props.throttleBurst, throttleBurstProblem);
  checkOptional('logRetention', props.logRetention, logRetentionDaysProblem);
  checkOptional(
    'minRemainingTtl',
    props.minRemainingTtl?.toSeconds({ integral: false }),
    minRemainingTtlProblem,
  );
  validateAuthProps(props.auth, props.corsAllowOrigins);
}

function validateExistingChannel(channel: ExistingChannel, prop: string): void {
  checkProp(`${prop}.name`, channelNameProblem(channel.name));
  if ((channel.arn === undefined) === (channel.creationTime === undefined)) {
    throw propError(prop, 'give exactly one of "arn" and "creationTime"');
  }
  if (channel.creationTime !== undefined && !CREATION_TIME_PATTERN.test(channel.creationTime)) {
    throw propError(`${prop}.creationTime`, `"${channel.creationTime}" is not a time in epoch milliseconds`);
  }
  if (channel.arn === undefined || Token.isUnresolved(channel.arn)) return;
  const parts = parseChannelArn(channel.arn);
  if (!parts) throw propError(`${prop}.arn`, `"${channel.arn}" is not a signaling channel ARN`);
  if (parts.name !== channel.name) {
    throw propError(`${prop}.arn`, `names channel "${parts.name}", not "${channel.name}"`);
  }
}

function checkOptional<T>(
  prop: string,
  value: T | undefined,
  problem: (value: T) => string | undefined,
): void {
  if (value !== undefined) checkProp(prop, problem(value));
}
