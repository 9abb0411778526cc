import * as path from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
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
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV, ICE_SERVERS_ROUTE_PATH, iceServersPath, KVS_ACTIONS } from '../lambda/contract';
import { accessLogFormat } from './access-log-format';
import type { IceBrokerAuth } from './auth';
import { corsPreflight } from './cors';
import { type ExistingChannel, type IceBrokerProps, validateIceBrokerProps } from './ice-broker-props';
import { propError } from './prop-error';
import { flagUnauthenticatedRoute, routeAuthorization } from './route-auth';
import {
  DEFAULT_LOG_RETENTION,
  DEFAULT_MIN_REMAINING_TTL_SECONDS,
  DEFAULT_THROTTLE_BURST,
  DEFAULT_THROTTLE_RATE,
} from './settings';

const RUNTIME = Runtime.NODEJS_24_X;
const ESBUILD_TARGET = 'node24';
const PROJECT_ROOT = path.join(__dirname, '..');

/** The log groups the broker writes to. */
export interface IceBrokerLogGroups {
  /** The function's log group. */
  readonly function: LogGroup;
  /** The HTTP API default stage's access log group. */
  readonly access: LogGroup;
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
  /** The function's own role: writes its logs and may assume `scopedRole`, nothing else. */
  public readonly executionRole: Role;
  /** The role the function assumes to call KVS, limited to the configured channels. */
  public readonly scopedRole: Role;
  /** The function's and the API's log groups. */
  public readonly logGroups: IceBrokerLogGroups;
  /** The signaling channels this construct created. */
  public readonly createdChannels: readonly CfnSignalingChannel[];
  /** Every served channel's ARN (possibly a token) by channel name. */
  public readonly channelArns: Readonly<Record<string, string>>;
  /**
   * By channel name, the `execute-api` ARN that `execute-api:Invoke` must allow for calls on that
   * channel: `arn:${Partition}:execute-api:${Region}:${Account}:${ApiId}/$default/POST/v1/channels/<name>/ice-servers`.
   */
  public readonly invokeArns: Readonly<Record<string, string>>;

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
        'kvs-ice-broker function: writes its own logs and assumes the scoped KVS role, nothing else',
    });
    this.scopedRole = this.createScopedRole();
    // Kept in the role's separate default Policy resource, which breaks the cycle
    // execution role -> scoped role (this statement) -> execution role (trust policy).
    this.executionRole.addToPolicy(
      new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [this.scopedRole.roleArn] }),
    );
    this.logGroups.function.grantWrite(this.executionRole);

    this.function = this.createFunction(props);
    this.api = new HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-ice-servers`,
      description: 'Vends short-lived KVS TURN/STUN servers',
      createDefaultStage: false,
      ...(props.corsAllowOrigins?.length ? { corsPreflight: corsPreflight(props.corsAllowOrigins) } : {}),
    });
    this.stage = this.createStage(props);
    const { authorizer, authorizationScopes } = routeAuthorization(props.auth);
    this.authorizer = authorizer;
    this.route = this.createRoute(authorizer, authorizationScopes);
    if (props.auth.mode === 'none') flagUnauthenticatedRoute(this.route);
    this.invokeArns = Object.fromEntries(
      Object.keys(this.channelArns).map((name) => [
        name,
        this.api.arnForExecuteApi(HttpMethod.POST, iceServersPath(name), this.stage.stageName),
      ]),
    );
  }

  /**
   * Lets `grantee` call the route for `channels` (default: every served channel).
   * Only for auth mode `iam`: other modes do not check IAM permissions.
   */
  public grantInvoke(grantee: IGrantable, channels: readonly string[] = Object.keys(this.invokeArns)): Grant {
    if (this.auth.mode !== 'iam') {
      throw propError('auth', `grantInvoke needs mode "iam"; this broker's mode is "${this.auth.mode}"`);
    }
    const resourceArns = channels.map((name) => {
      const arn = this.invokeArns[name];
      if (arn === undefined) throw new Error(`grantInvoke: "${name}" is not a channel this broker serves`);
      return arn;
    });
    return Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns });
  }

  private createScopedRole(): Role {
    return new Role(this, 'ScopedRole', {
      assumedBy: new ArnPrincipal(this.executionRole.roleArn),
      maxSessionDuration: Duration.hours(1),
      description: 'kvs-ice-broker: the two KVS calls that vend ICE servers, on the configured channels only',
      inlinePolicies: {
        IceServers: new PolicyDocument({
          statements: [
            new PolicyStatement({ actions: KVS_ACTIONS, resources: Object.values(this.channelArns) }),
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

  private createRoute(authorizer: IHttpRouteAuthorizer, authorizationScopes?: string[]): HttpRoute {
    return new HttpRoute(this, 'IceServersRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.with(ICE_SERVERS_ROUTE_PATH, HttpMethod.POST),
      authorizer,
      authorizationScopes,
      integration: new HttpLambdaIntegration('IceServers', this.function, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
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
    const minRemainingTtl = props.minRemainingTtl?.toSeconds() ?? DEFAULT_MIN_REMAINING_TTL_SECONDS;
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
      environment: {
        [ENV.scopedRoleArn]: this.scopedRole.roleArn,
        [ENV.channels]: Stack.of(this).toJsonString(this.channelArns),
        [ENV.authMode]: props.auth.mode,
        [ENV.minRemainingTtlSeconds]: String(minRemainingTtl),
        ...(props.auth.mode === 'jwt' && props.auth.channelsClaim !== undefined
          ? { [ENV.channelsClaim]: props.auth.channelsClaim }
          : {}),
        POWERTOOLS_SERVICE_NAME: 'kvs-ice-broker',
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
