/**
 * The props of the `IceBroker` construct (lib/ice-broker.ts): what a deployment chooses, each
 * with its documentation and default. lib/ice-broker-validation.ts checks them, all at once.
 */
import type { ChannelRole } from '@kvs-ice-broker/client/contract';
import type { Duration } from 'aws-cdk-lib';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ObservabilityProps } from './observability';

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

/**
 * The function's code: a TypeScript or JavaScript file exporting `handler` (this repository's is
 * `lambda/handler.ts`), which esbuild bundles (CDK's `NodejsFunction`) with its dependencies.
 */
export interface IceBrokerFunctionCode {
  /** Path of the file that exports `handler`. */
  readonly entry: string;

  /**
   * The lock file of the project that installs the entry's dependencies (`package-lock.json`,
   * `yarn.lock`, `pnpm-lock.yaml`); its folder is the project root esbuild bundles from.
   *
   * @default - `NodejsFunction`'s: the first lock file found from the current directory up
   */
  readonly depsLockFilePath?: string;
}

/** Properties of the `IceBroker` construct. */
export interface IceBrokerProps {
  /**
   * Where the function's code comes from, so that another CDK app can serve this broker's handler
   * (or its own build of it) from wherever it installed it.
   *
   * @default - `lambda/handler.ts` of the folder above this construct's, with the lock file
   * `NodejsFunction` finds from the current directory up
   */
  readonly functionCode?: IceBrokerFunctionCode;

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
   * seconds within the bounds of `minRemainingTtlSeconds` in lambda/settings.ts (0-299, below the
   * 300 s lifetime of KVS TURN credentials).
   *
   * @default - the function's default, 120 s (the construct sets no variable)
   */
  readonly minRemainingTtl?: Duration;

  /**
   * The presigned signaling routes, each role ({@link ChannelRole}) spelled in lower case as in
   * the route's path: `['viewer']` adds `POST /v1/channels/{channel}/viewer`,
   * `['viewer', 'master']` also `POST /v1/channels/{channel}/master`. Each answers with the
   * channel's ICE servers and its WSS endpoint presigned for that role, and the scoped role
   * gains that role's Connect action (`kinesisvideo:ConnectAsViewer` / `ConnectAsMaster`) on the
   * served channels. The master role needs `auth.masterChannelsClaim` (jwt) and is refused with
   * auth mode `none`.
   *
   * @default - none: only the ice-servers route
   */
  readonly signalingRoles?: readonly Lowercase<ChannelRole>[];

  /**
   * WebRTC ingestion: for each served signaling role, a storage-session route
   * (`POST /v1/channels/{channel}/storage-session/viewer` and `…/master`) has KVS's recording peer
   * join the caller's open signaling connection (`JoinStorageSessionAsViewer` with a ClientId the
   * broker issued to the caller; `JoinStorageSession`, granted as the master role is), and the
   * signaling answers say whether a channel records media (KVS `DescribeMediaStorageConfiguration`,
   * cached). The scoped role gains those actions for the served roles, on the served channels
   * only. Needs `signalingRoles`; refused in `aws-cn`, where KVS offers no WebRTC ingestion.
   *
   * @default false
   */
  readonly storageSessions?: boolean;

  /**
   * Viewer connections one caller may hold on one channel at once, through the viewer route: each
   * caller's viewer connections on a channel are signed with one of this many ClientIds, handed
   * out in turn (counted in the shared table, across function instances), and KVS gives the newest
   * connection with a ClientId precedence over the older one, so a caller's next connection
   * replaces its oldest and one token can never take all of a channel's viewer places (KVS: 10 per
   * channel, soft). A whole number within its bounds in lambda/settings.ts (1-10); needs the
   * viewer role in `signalingRoles`.
   *
   * @default - the function's default, 3
   */
  readonly viewerSlotsPerCaller?: number;

  /**
   * `GetIceServerConfig` calls per second per account and Region, across every function instance:
   * KVS's quota for the account (soft; raise this only after Service Quotas raised it). A whole
   * number within its bounds in lambda/settings.ts (1-10000).
   *
   * @default - the function's default, 100
   */
  readonly accountIceCallsPerSecond?: number;

  /**
   * New TURN credentials one caller may be issued per minute, across every function instance and
   * channel (a caller's repeated requests are served from the cache and do not count); past it,
   * 429 `Throttled` with `Retry-After`, so that one leaked token cannot farm relays. A whole
   * number within its bounds in lambda/settings.ts (1-1000).
   *
   * @default - the function's default, 30
   */
  readonly callerIssuancesPerMinute?: number;

  /**
   * Reach KVS, STS, SSM and DynamoDB at their dual-stack (IPv4 and IPv6) endpoints (the AWS SDK's
   * `useDualstackEndpoint`), and vend KVS's dual-stack STUN URL
   * (`stun:stun.kinesisvideo.<region>.api.aws:443`, `api.amazonwebservices.com.cn` in China); the
   * signaling endpoints and TURN host names are the dual-stack ones KVS returns. Refused where a
   * Region the function calls has no dual-stack endpoint (lib/regions.ts).
   *
   * @default false
   */
  readonly dualStack?: boolean;

  /**
   * Reach KVS, STS, SSM and DynamoDB at their FIPS endpoints (the AWS SDK's `useFipsEndpoint`), and
   * vend KVS's FIPS STUN URL (`stuns:stun.kinesisvideo-fips.<region>.amazonaws.com:443`, `api.aws`
   * with `dualStack`). Refused where a Region the function calls has no FIPS endpoint: KVS has them
   * in AWS GovCloud (US) only (lib/regions.ts).
   *
   * @default false
   */
  readonly fips?: boolean;

  /**
   * Keep ICE answers in the shared table too, per channel, role and caller, until they stop being
   * servable: a caller whose next request reaches another function instance then costs no KVS
   * call, at the price of one DynamoDB read per request that misses an instance's own cache,
   * and TURN credentials (encrypted) in the table for their lifetime.
   *
   * @default false
   */
  readonly sharedCache?: boolean;

  /**
   * Milliseconds one request to the shared table may take before the function instance uses its
   * own call budget instead (for 3 s, counting `SharedBudgetFallback`). A whole number within its
   * bounds in lambda/settings.ts (20-5000).
   *
   * @default - the function's default, 250
   */
  readonly sharedTableTimeoutMs?: number;

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
