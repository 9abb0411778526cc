/**
 * What the stack (lib/) and the function (lambda/) must agree on: the HTTP routes, the KVS
 * actions of the scoped role, the auth modes, and the environment variables through which the
 * stack configures the function. Both sides import this file; neither restates a value of it.
 */

/** The ICE servers route of API v1; `{channel}` is the signaling channel's name (URL-encoded). */
export const ICE_SERVERS_ROUTE_PATH = '/v1/channels/{channel}/ice-servers';

/** The route's path for one channel, as IAM sees it in `execute-api` ARNs. */
export const iceServersPath = (channel: string): string =>
  ICE_SERVERS_ROUTE_PATH.replace('{channel}', channel);

/** The only KVS actions the scoped role (and each session of it) may use. */
export const KVS_ACTIONS = ['kinesisvideo:GetSignalingChannelEndpoint', 'kinesisvideo:GetIceServerConfig'];

/**
 * How callers authenticate (context `auth`): `jwt` (API Gateway JWT authorizer), `iam` (SigV4,
 * `AWS_IAM`) or `none` (demos only). The function knows its deployment's mode and refuses a
 * request that lacks the identity that mode guarantees.
 */
export const AUTH_MODES = ['jwt', 'iam', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** KVS TURN credentials are valid for 300 s (a hard KVS limit). */
export const TURN_CREDENTIAL_LIFETIME_SECONDS = 300;

/**
 * Seconds of validity a returned TURN credential must still have (context `minRemainingTtl`):
 * default 120, from 0 to one second below the credentials' lifetime.
 */
export const MIN_REMAINING_TTL_SECONDS = {
  default: 120,
  min: 0,
  max: TURN_CREDENTIAL_LIFETIME_SECONDS - 1,
} as const;

/** Names of the environment variables the stack sets on the function (read by lambda/config.ts). */
export const ENV = {
  /** ARN of the scoped role the function assumes for KVS. */
  scopedRoleArn: 'SCOPED_ROLE_ARN',
  /** JSON object of served channel name to channel ARN. */
  channels: 'CHANNELS',
  /** The deployment's auth mode, one of {@link AUTH_MODES}. Required: the function fails closed without it. */
  authMode: 'AUTH_MODE',
  /** `jwt` mode: the claim listing the channels a caller may use. */
  channelsClaim: 'CHANNELS_CLAIM',
  /** Whole seconds, see {@link MIN_REMAINING_TTL_SECONDS}. */
  minRemainingTtlSeconds: 'MIN_REMAINING_TTL_SECONDS',
} as const;

/** What KVS accepts as a signaling channel name. */
export const CHANNEL_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,256}$/;
/** A KVS signaling channel ARN: `arn:<partition>:kinesisvideo:<region>:<account>:channel/<name>/<creation time>`. */
export const CHANNEL_ARN_PATTERN =
  /^arn:(aws[a-z-]*):kinesisvideo:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):channel\/([a-zA-Z0-9_.-]{1,256})\/(\d{1,16})$/;

export interface Channel {
  readonly name: string;
  readonly arn: string;
  /** Region of the channel, from its ARN. */
  readonly region: string;
  /** AWS partition of the channel (`aws`, `aws-cn`, …), from its ARN. */
  readonly partition: string;
}

/**
 * The channel an ARN names, with the region and partition it carries, or `undefined` when `arn`
 * is not a KVS signaling channel ARN (`arn:<partition>:kinesisvideo:<region>:<account>:channel/<name>/<creation ms>`).
 */
export function parseChannelArn(arn: string): Channel | undefined {
  const match = CHANNEL_ARN_PATTERN.exec(arn);
  if (!match) return undefined;
  const [, partition = '', region = '', , name = ''] = match;
  return { name, arn, region, partition };
}
