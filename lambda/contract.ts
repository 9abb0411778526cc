/**
 * What the stack (lib/) and the function (lambda/) must agree on beyond the HTTP API's wire
 * contract (`@kvs-ice-broker/client/contract`): the KVS actions of the scoped role, the auth
 * modes, the shared table's keys and the metrics. The settings through which the stack configures
 * the function are lambda/settings.ts. Both sides import these files; neither restates a value of them.
 */
import { CHANNEL_ROLES, type ChannelRole } from '@kvs-ice-broker/client/contract';

/** The only KVS actions the scoped role (and each session of it) may use. */
export const KVS_ACTIONS = ['kinesisvideo:GetSignalingChannelEndpoint', 'kinesisvideo:GetIceServerConfig'];

/**
 * The KVS action of each role's signaling connection: the WebSocket API a presigned URL opens
 * (`ConnectAsViewer` / `ConnectAsMaster`), which IAM names `kinesisvideo:<action>`
 * ({@link connectPermission}). The scoped role, the sessions and the local emulator all name them from here.
 */
export const CONNECT_ACTIONS = {
  VIEWER: 'ConnectAsViewer',
  MASTER: 'ConnectAsMaster',
} as const satisfies Readonly<Record<ChannelRole, string>>;
/** A Connect action of {@link CONNECT_ACTIONS}. */
export type ConnectAction = (typeof CONNECT_ACTIONS)[ChannelRole];

/** The IAM action that lets a session connect in `role`: `kinesisvideo:ConnectAsViewer` / `kinesisvideo:ConnectAsMaster`. */
export const connectPermission = (role: ChannelRole): string => `kinesisvideo:${CONNECT_ACTIONS[role]}`;

/**
 * The KVS actions of WebRTC ingestion (deployment setting `storageSessions`), each the purpose of a
 * session allowed only that action on one channel: the recording peer joins the master
 * (`JoinStorageSession`, only with the master role served) or a viewer
 * (`JoinStorageSessionAsViewer`, only with the viewer role served); `DescribeMediaStorageConfiguration`
 * tells whether a channel records media. Sources: the service models (botocore
 * `kinesis-video-webrtc-storage` 2018-05-10, `kinesisvideo` 2017-09-30) and the KVS WebRTC
 * developer guide, "WebRTC ingestion".
 */
export const STORAGE_ACTIONS = {
  MASTER: 'JoinStorageSession',
  VIEWER: 'JoinStorageSessionAsViewer',
} as const satisfies Readonly<Record<ChannelRole, string>>;
/** A role's join action: `JoinStorageSession` (master) or `JoinStorageSessionAsViewer` (viewer). */
export type StorageAction = (typeof STORAGE_ACTIONS)[ChannelRole];
/** The KVS action that tells whether a channel records media (`kinesisvideo` 2017-09-30). */
export const DESCRIBE_MEDIA_STORAGE = 'DescribeMediaStorageConfiguration';

/**
 * The scoped role's ingestion actions for the served signaling roles: each role's join action,
 * and `DescribeMediaStorageConfiguration`, as IAM names them (`kinesisvideo:<action>`); none
 * without a served role.
 */
export const storagePermissions = (roles: readonly ChannelRole[]): string[] =>
  roles.length === 0
    ? []
    : [
        `kinesisvideo:${DESCRIBE_MEDIA_STORAGE}`,
        ...CHANNEL_ROLES.filter((role) => roles.includes(role)).map(
          (role) => `kinesisvideo:${STORAGE_ACTIONS[role]}`,
        ),
      ];

/** KVS accepts a presigned signaling URL for at most this many seconds (`X-Amz-Expires`). */
export const PRESIGNED_URL_MAX_SECONDS = 300;

/** Printable ASCII without spaces: claim names such as `channels`, `custom:channels` or a URL (1-256 characters). */
export const CLAIM_NAME_PATTERN = /^[\x21-\x7E]{1,256}$/;

/**
 * What is wrong with a master channels claim for these served roles, or undefined: `missing` with
 * `jwt` and the master role but no claim (mastering is granted apart from viewing; without the
 * claim every caller could master every channel), `unused` when a claim is set that nothing would
 * check (another mode, or no master role), `viewing` when it is the channels claim (every caller
 * who may view a channel could master it). Claim names are compared exactly, as API Gateway's
 * claims are case-sensitive JSON keys. The stack (lib/signaling.ts) and the function's cold start
 * (lambda/config.ts) each word it for their setting.
 */
export function masterClaimProblem(
  mode: string,
  roles: readonly ChannelRole[],
  claim: string | undefined,
  channelsClaim?: string,
): 'missing' | 'unused' | 'viewing' | undefined {
  const jwtMaster = mode === 'jwt' && roles.includes('MASTER');
  if (jwtMaster && claim === undefined) return 'missing';
  if (!jwtMaster && claim !== undefined) return 'unused';
  if (claim !== undefined && claim === channelsClaim) return 'viewing';
  return undefined;
}

/** Why a master channels claim must not be the channels claim, after `<master claim> must name a different claim than <channels claim> ("<name>")`. */
export const MASTER_CLAIM_VIEWING = 'the same claim would let every caller who may view a channel master it';

/**
 * The roles of a `signalingRoles` setting (context key, construct prop, `SIGNALING_ROLES`), which
 * spells each {@link ChannelRole} in lower case as the routes' paths do: `""` (none, the default),
 * `viewer` or `viewer,master` (the master role only beside the viewer role), comma-separated in
 * any order. Returns a problem (a sentence) instead when the value is none of these.
 */
export function parseSignalingRoles(value: string): readonly ChannelRole[] | { problem: string } {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const unknown = items.find((item) => !CHANNEL_ROLES.some((role) => role.toLowerCase() === item));
  if (unknown !== undefined)
    return { problem: `"${unknown}" is not a signaling role; use "", "viewer" or "viewer,master"` };
  const roles = signalingRolesOf(items);
  if (roles.length !== items.length) return { problem: 'a role is listed more than once' };
  if (roles.includes('MASTER') && !roles.includes('VIEWER'))
    return { problem: 'the master role needs the viewer role too; use "viewer,master"' };
  return roles;
}

/**
 * The roles a `signalingRoles` setting's items spell (`viewer` is `VIEWER`), in
 * {@link CHANNEL_ROLES} order; an item that spells no role is left out (see {@link parseSignalingRoles}).
 */
export const signalingRolesOf = (items: readonly string[] = []): ChannelRole[] =>
  CHANNEL_ROLES.filter((role) => items.includes(role.toLowerCase()));

/**
 * The signaling roles a deployment serves: auth mode `none` never serves the master role (an
 * anonymous caller must not take over a channel's camera), whatever `signalingRoles` says.
 */
export const servedSignalingRoles = (
  roles: readonly ChannelRole[],
  mode: AuthMode,
): readonly ChannelRole[] => (mode === 'none' ? roles.filter((role) => role !== 'MASTER') : roles);

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
 * The DynamoDB table every function instance shares (the call budget's windows and, with
 * `sharedCache`, ICE answers): string partition key `pk`; DynamoDB removes an item some time
 * after its `expiresAt` (epoch seconds, the table's TTL attribute).
 */
export const SHARED_TABLE = { partitionKey: 'pk', timeToLiveAttribute: 'expiresAt' } as const;

/**
 * The blocked-callers parameter's value (an SSM `String` parameter, at most 4 KB): a JSON object
 * `{"callerIds": [...], "subjects": [...]}`. `callerIds` are the opaque ids the function logs as
 * `clientId` (`u-…`, `c-…`, `iam-…`); `subjects` are JWT `sub` claims. Both keys are optional;
 * any other key, or a value that is not such an object, makes the parameter invalid.
 */
export const BLOCKED_CALLERS_FORMAT = { empty: '{"callerIds":[],"subjects":[]}' } as const;

/**
 * CloudWatch namespace and `service` dimension of the function's metrics (embedded metric format),
 * and the names the stack's alarms and dashboard read; lambda/core/metrics.ts says what each measures.
 */
export const METRICS = {
  namespace: 'KvsIceBroker',
  service: 'kvs-ice-broker',
  names: [
    'IceCacheHit',
    'IceCacheStale',
    'IceCacheMiss',
    'AssumeRoleCalls',
    'EndpointCalls',
    'IceConfigCalls',
    'IceConfigLatency',
    'StorageJoinCalls',
    'MediaStorageCalls',
    'UpstreamThrottles',
    'UpstreamErrors',
    'ServedTtl',
    'ClockSkew',
    'BlockedCallersUnreadable',
    'SharedCacheHit',
    'SharedCacheUnavailable',
    'SharedBudgetFallback',
  ],
} as const;

/** A metric the function publishes (see {@link METRICS}). */
export type BrokerMetricName = (typeof METRICS.names)[number];

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
