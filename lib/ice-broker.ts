import * as path from 'node:path';
import { type ChannelRole, ICE_SERVERS_ROUTE_PATH, iceServersPath } from '@kvs-ice-broker/client/contract';
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
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { BLOCKED_CALLERS_FORMAT, METRICS, signalingRolesOf } from '../lambda/contract';
import { ENV, SETTINGS } from '../lambda/settings';
import { accessLogFormat } from './access-log-format';
import { acknowledgeCfnLint, FUNCTION_ROLE_DEPENDENCY } from './cfn-lint';
import { corsPreflight } from './cors';
import { functionEnvironment } from './function-environment';
import { executionRoleStatements, scopedRoleStatements } from './iam-policies';
import type {
  ExistingChannel,
  IceBrokerAuth,
  IceBrokerFunctionCode,
  IceBrokerLogGroups,
  IceBrokerProps,
} from './ice-broker-props';
import { ConfigError, deploymentRisksOf, PROP_NAMES, validateIceBrokerProps } from './ice-broker-validation';
import { IceBrokerObservability } from './observability';
import { flagUnauthenticatedRoute, routeAuthorization } from './route-auth';
import { warnAboutRisks } from './safety';
import { SharedTable } from './shared-table';
import { createSignalingRoutes, type SignalingInvokeArns, signalingInvokeArns } from './signaling';

const RUNTIME = Runtime.NODEJS_24_X;
const ESBUILD_TARGET = 'node24';

/**
 * The handler this construct serves unless told otherwise: lambda/handler.ts beside its own folder,
 * bundled with the lock file NodejsFunction finds from the current directory up.
 */
const DEFAULT_FUNCTION_CODE: IceBrokerFunctionCode = {
  entry: path.join(__dirname, '..', 'lambda', 'handler.ts'),
};

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
  public readonly signalingRoutes: Partial<Record<ChannelRole, HttpRoute>>;
  /**
   * By role, then channel name, the `execute-api` ARN that `execute-api:Invoke` must
   * allow to connect in that role (IAM grants viewing and mastering apart).
   */
  public readonly signalingInvokeArns: SignalingInvokeArns;
  /**
   * With `storageSessions`: the storage-session route of each served role
   * (`POST /v1/channels/{channel}/storage-session/viewer|master`); none without it.
   */
  public readonly storageSessionRoutes: Partial<Record<ChannelRole, HttpRoute>>;
  /** By role, then channel name: the `execute-api` ARN of that role's storage-session route (none without `storageSessions`). */
  public readonly storageSessionInvokeArns: SignalingInvokeArns;
  /** The DynamoDB table every function instance shares (call budget, shared ICE cache); see {@link SharedTable}. */
  public readonly sharedTable: Table;

  constructor(scope: Construct, id: string, props: IceBrokerProps) {
    super(scope, id);
    // An environment-agnostic stack's Region is a token: then only the channel ARNs' Regions are checked.
    const stackRegion = Stack.of(this).region;
    const region = Token.isUnresolved(stackRegion) ? undefined : stackRegion;
    validateIceBrokerProps(props, { region });
    this.auth = props.auth;
    const signalingRoles = signalingRolesOf(props.signalingRoles);
    const retention: RetentionDays = props.logRetention ?? SETTINGS.logRetention.default;

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
    const storageSessions = props.storageSessions === true;
    this.scopedRole = this.createScopedRole(signalingRoles, storageSessions);
    this.logGroups.function.grantWrite(this.executionRole);
    this.blockedCallersParameter = this.createBlockedCallersParameter();
    // The statements the local emulator enforces too (lib/iam-policies.ts). Kept in the role's
    // separate default Policy resource, which breaks the cycle execution role -> scoped role
    // (sts:AssumeRole) -> execution role (trust policy).
    const executionStatements = executionRoleStatements({
      scopedRoleArn: this.scopedRole.roleArn,
      blockedCallersParameterArn: this.blockedCallersParameter.parameterArn,
    });
    for (const statement of executionStatements)
      this.executionRole.addToPolicy(PolicyStatement.fromJson(statement));

    this.function = this.createFunction(props);
    this.sharedTable = new SharedTable(this, 'SharedTable', { function: this.function }).table;
    const environment = functionEnvironment(props, {
      scopedRoleArn: this.scopedRole.roleArn,
      channels: Stack.of(this).toJsonString(this.channelArns),
      blockedCallersParameter: this.blockedCallersParameter.parameterName,
      sharedTable: this.sharedTable.tableName,
    });
    for (const [name, value] of Object.entries(environment)) this.function.addEnvironment(name, value);
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
    this.signalingRoutes = createSignalingRoutes(this, signalingRoles, {
      httpApi: this.api,
      integration,
      authorizer,
      authorizationScopes,
    });
    const storageRoles = storageSessions ? signalingRoles : [];
    this.storageSessionRoutes = createSignalingRoutes(
      this,
      storageRoles,
      { httpApi: this.api, integration, authorizer, authorizationScopes },
      'storage',
    );
    if (props.auth.mode === 'none') {
      const routes = [
        this.route,
        ...Object.values(this.signalingRoutes),
        ...Object.values(this.storageSessionRoutes),
      ];
      for (const route of routes) flagUnauthenticatedRoute(route);
    }
    warnAboutRisks(this, deploymentRisksOf(props, region).warnings);
    this.observability = new IceBrokerObservability(this, 'Observability', {
      ...props.observability,
      api: this.api,
      function: this.function,
      functionLogGroup: this.logGroups.function,
      minRemainingTtlSeconds: props.minRemainingTtl?.toSeconds() ?? SETTINGS.minRemainingTtlSeconds.default,
    });
    this.invokeArns = Object.fromEntries(
      Object.keys(this.channelArns).map((name) => [
        name,
        this.api.arnForExecuteApi(HttpMethod.POST, iceServersPath(name), this.stage.stageName),
      ]),
    );
    this.signalingInvokeArns = signalingInvokeArns(signalingRoles, Object.keys(this.channelArns), (path) =>
      this.api.arnForExecuteApi(HttpMethod.POST, path, this.stage.stageName),
    );
    this.storageSessionInvokeArns = signalingInvokeArns(
      storageRoles,
      Object.keys(this.channelArns),
      (path) => this.api.arnForExecuteApi(HttpMethod.POST, path, this.stage.stageName),
      'storage',
    );
  }

  /**
   * Lets `grantee` call the storage-session route of `role` for `channels` (default: every served
   * channel): joining as a viewer and as the master are granted apart, as connecting is
   * (`grantConnect`), since the route's path names the role. Only for auth mode `iam` with
   * `storageSessions`, and only for a served role.
   */
  public grantStorageSession(
    grantee: IGrantable,
    role: ChannelRole,
    channels: readonly string[] = Object.keys(this.channelArns),
  ): Grant {
    return this.roleRouteGrant(
      'grantStorageSession',
      grantee,
      this.storageSessionInvokeArns[role],
      channels,
      'storageSessions',
      `mode "iam", storageSessions and the ${role.toLowerCase()} role among signalingRoles`,
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
    return invokeGrant('grantInvoke', grantee, this.invokeArns, channels);
  }

  /**
   * Lets `grantee` call the signaling route of `role` for `channels` (default: every served
   * channel): viewing and mastering are granted apart. Only for auth mode `iam`, and only for a
   * served role.
   */
  public grantConnect(
    grantee: IGrantable,
    role: ChannelRole,
    channels: readonly string[] = Object.keys(this.channelArns),
  ): Grant {
    return this.roleRouteGrant(
      'grantConnect',
      grantee,
      this.signalingInvokeArns[role],
      channels,
      'signalingRoles',
      `mode "iam" and the ${role.toLowerCase()} role among signalingRoles`,
    );
  }

  /**
   * The grant of a role's route (`arns`, undefined where the role's route is not served) for
   * `channels`; a {@link ConfigError} naming `auth`, or else `setting`, when there is none to grant.
   */
  private roleRouteGrant(
    method: string,
    grantee: IGrantable,
    arns: Readonly<Record<string, string>> | undefined,
    channels: readonly string[],
    setting: string,
    needs: string,
  ): Grant {
    if (this.auth.mode !== 'iam' || arns === undefined) {
      throw new ConfigError(
        PROP_NAMES.subject,
        this.auth.mode !== 'iam' ? 'auth' : setting,
        `${method} needs ${needs}`,
      );
    }
    return invokeGrant(method, grantee, arns, channels);
  }

  /** The scoped role, with the statements the local emulator enforces too (lib/iam-policies.ts). */
  private createScopedRole(signalingRoles: readonly ChannelRole[], storageSessions: boolean): Role {
    return new Role(this, 'ScopedRole', {
      assumedBy: new ArnPrincipal(this.executionRole.roleArn),
      maxSessionDuration: Duration.hours(1),
      description: storageSessions
        ? 'kvs-ice-broker: the KVS calls that vend ICE servers, the Connect and storage-session actions of the served signaling roles, on the configured channels only'
        : signalingRoles.length > 0
          ? 'kvs-ice-broker: the KVS calls that vend ICE servers and the Connect actions of the served signaling roles, on the configured channels only'
          : 'kvs-ice-broker: the two KVS calls that vend ICE servers, on the configured channels only',
      inlinePolicies: {
        IceServers: new PolicyDocument({
          statements: scopedRoleStatements(
            Object.values(this.channelArns),
            signalingRoles,
            storageSessions,
          ).map((statement) => PolicyStatement.fromJson(statement)),
        }),
      },
    });
  }

  private createStage(props: IceBrokerProps): HttpStage {
    return new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRate ?? SETTINGS.throttleRate.default,
        burstLimit: props.throttleBurst ?? SETTINGS.throttleBurst.default,
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

  /** The blocked-callers parameter, created empty. */
  private createBlockedCallersParameter(): StringParameter {
    const parameter = new StringParameter(this, 'BlockedCallers', {
      parameterName: `/${Stack.of(this).stackName}/${this.node.id}/blocked-callers`,
      simpleName: false,
      stringValue: BLOCKED_CALLERS_FORMAT.empty,
      description:
        'kvs-ice-broker: callers refused with 403 CallerBlocked, {"callerIds":[...],"subjects":[...]}; read by the function every 60 s',
    });
    // A String parameter (CloudFormation cannot create a SecureString), so no kms:Decrypt; the
    // function's right to read it is among the execution role's statements.
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
    const code = props.functionCode ?? DEFAULT_FUNCTION_CODE;
    const fn = new NodejsFunction(this, 'Function', {
      description: 'Vends short-lived KVS TURN/STUN servers',
      entry: code.entry,
      handler: 'handler',
      ...(code.depsLockFilePath !== undefined ? { depsLockFilePath: code.depsLockFilePath } : {}),
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
      // The runtime's variables; the settings' (lib/function-environment.ts) follow once the shared table exists.
      environment: {
        POWERTOOLS_SERVICE_NAME: METRICS.service,
        [ENV.logLevel]: SETTINGS.logLevel.default,
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
    acknowledgeCfnLint(fn, FUNCTION_ROLE_DEPENDENCY);
    return fn;
  }
}

/**
 * `execute-api:Invoke` for `grantee` on the route ARNs (`arns`, by channel name) of `channels`;
 * throws, naming `method`, for a channel the broker does not serve.
 */
function invokeGrant(
  method: string,
  grantee: IGrantable,
  arns: Readonly<Record<string, string>>,
  channels: readonly string[],
): Grant {
  const resourceArns = channels.map((name) => {
    const arn = arns[name];
    if (arn === undefined) throw new Error(`${method}: "${name}" is not a channel this broker serves`);
    return arn;
  });
  return Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns });
}
