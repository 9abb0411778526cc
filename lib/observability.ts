/**
 * What tells operators that the broker works, and when it stops: CloudWatch alarms (to an SNS
 * topic), a dashboard, and saved CloudWatch Logs Insights queries over the function's log. The
 * metric names and log fields are the function's own (lambda/contract.ts `METRICS`, the request
 * line of lambda/http/adapter.ts); docs/operations.md says what each alarm means and what to do.
 */
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  LogQueryWidget,
  MathExpression,
  Metric,
  type MetricOptions,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ILogGroup, QueryDefinition, QueryString } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type BrokerMetricName, METRICS } from '../lambda/contract';
import { boundsProblem, SETTINGS, type Setting } from '../lambda/settings';

/**
 * Alarm thresholds. Each alarm's period and the number of periods that must breach are fixed
 * (docs/operations.md, "Alarms"); the thresholds are what deployments tune.
 */
export interface AlarmThresholds {
  /**
   * API Gateway 5xx answers, in percent of requests over 5 minutes (only when there were at least
   * 20 requests), for 3 periods in a row.
   *
   * @default 2
   */
  readonly api5xxPercent?: number;
  /**
   * Lambda `Errors` per minute (crashes, timeouts, failed inits: the function answers its own
   * errors normally), in 3 of 5 minutes.
   *
   * @default 1
   */
  readonly functionErrors?: number;
  /**
   * Lambda `Throttles` per minute (concurrency exhausted), in 2 of 5 minutes.
   *
   * @default 1
   */
  readonly functionThrottles?: number;
  /**
   * Lambda `Duration` p99 in milliseconds over 5 minutes, for 3 periods in a row; the upstream
   * deadline is 6000 ms and the timeout 10 s.
   *
   * @default 5000
   */
  readonly durationP99Ms?: number;
  /**
   * `UpstreamThrottles` (GetIceServerConfig attempts KVS throttled) per minute, for 5 minutes in a row.
   *
   * @default 10
   */
  readonly upstreamThrottlesPerMinute?: number;
  /**
   * `UpstreamErrors` (STS or KVS steps failed after retries) per 5 minutes, in 2 of 3 periods.
   *
   * @default 5
   */
  readonly upstreamErrors?: number;
  /**
   * `ServedTtl` p10 in seconds over 5 minutes, for 3 periods in a row: below it, a tenth of the
   * answers come from credentials near the end of their servable life (refreshes keep failing).
   *
   * @default - the minimum remaining TTL plus 15 s (135 with the function's defaults)
   */
  readonly servedTtlSeconds?: number;
  /**
   * `ClockSkew`, largest absolute value in seconds over 5 minutes: how far AWS's clock and the
   * function's disagree (validity is always taken from KVS's `Ttl`; SigV4 fails at 300 s).
   *
   * @default 60
   */
  readonly clockSkewSeconds?: number;
}

/** Properties of {@link IceBrokerObservability} that deployments choose (context keys). */
export interface ObservabilityProps {
  /**
   * ARN of an existing SNS topic for alarm notifications (standard, not FIFO). Notifications go
   * out when an alarm fires and when it clears.
   *
   * @default - the construct creates a topic (encrypted with its own KMS key, SSL enforced);
   * subscribe to it after the deploy
   */
  readonly alarmTopicArn?: string;
  /**
   * AWS X-Ray active tracing of the function (its init, invocation and overhead segments). HTTP APIs
   * do not support X-Ray, so traces start at the function.
   *
   * @default false
   */
  readonly tracing?: boolean;
  /** @default - each threshold's own default */
  readonly thresholds?: AlarmThresholds;
}

/** The broker parts that {@link IceBrokerObservability} watches. */
export interface ObservedBroker {
  readonly api: HttpApi;
  readonly function: IFunction;
  readonly functionLogGroup: ILogGroup;
  /** Seconds of validity the function guarantees in every answer (`minRemainingTtl` or its default). */
  readonly minRemainingTtlSeconds: number;
}

/** Props of the {@link IceBrokerObservability} construct. */
export interface IceBrokerObservabilityProps extends ObservabilityProps, ObservedBroker {
  /**
   * Prefix of alarm, dashboard and query names, so that they read well in notifications and the
   * console: `<prefix>-ApiServerErrors`, dashboard `<prefix>`, queries `<prefix>/…`.
   *
   * @default - the stack's name
   */
  readonly namePrefix?: string;
}

/** The defaults of {@link AlarmThresholds} (lambda/settings.ts; the served TTL's depends on the deployment). */
export const DEFAULT_THRESHOLDS = {
  api5xxPercent: SETTINGS.alarmApi5xxPercent.default,
  functionErrors: SETTINGS.alarmFunctionErrors.default,
  functionThrottles: SETTINGS.alarmFunctionThrottles.default,
  durationP99Ms: SETTINGS.alarmDurationP99Ms.default,
  upstreamThrottlesPerMinute: SETTINGS.alarmUpstreamThrottles.default,
  upstreamErrors: SETTINGS.alarmUpstreamErrors.default,
  /** Seconds above the minimum remaining TTL. */
  servedTtlMarginSeconds: 15,
  clockSkewSeconds: SETTINGS.alarmClockSkewSeconds.default,
} as const;

/** Where the alarm thresholds are among the broker's props: `observability.thresholds.<name>`. */
const THRESHOLDS_PROP = 'observability.thresholds.';

/** Fewer requests than this in 5 minutes never raise the 5xx-rate alarm (one failure is not a rate). */
const MIN_REQUESTS_FOR_RATE = 20;

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/**
 * Problems of `props`, each as `[prop path, problem]` with paths relative to the props (e.g.
 * `thresholds.api5xxPercent`), for the broker's validation to report under the right name.
 */
export function observabilityProblems(props: ObservabilityProps): [string, string][] {
  const problems: [string, string][] = [];
  const arn = props.alarmTopicArn;
  if (arn !== undefined && !Token.isUnresolved(arn) && !SNS_TOPIC_ARN.test(arn)) {
    problems.push([
      'alarmTopicArn',
      `"${arn}" is not the ARN of a standard SNS topic (arn:<partition>:sns:<region>:<account>:<name>; CloudWatch cannot notify FIFO topics)`,
    ]);
  }
  // Each threshold within its bounds in the settings table.
  const thresholds: Record<string, unknown> = { ...props.thresholds };
  for (const setting of Object.values<Setting>(SETTINGS)) {
    const name = setting.prop?.startsWith(THRESHOLDS_PROP) ? setting.prop.slice(THRESHOLDS_PROP.length) : '';
    const value = thresholds[name];
    const problem = typeof value === 'number' ? boundsProblem(setting, value) : undefined;
    if (problem !== undefined) problems.push([`thresholds.${name}`, problem]);
  }
  return problems;
}

/**
 * CloudWatch alarms, a dashboard and Logs Insights queries for one broker. Every alarm notifies
 * {@link alarmTopic} when it fires and when it clears; missing data (no traffic) never fires one.
 */
export class IceBrokerObservability extends Construct {
  /** Where alarm notifications go: the created topic, or the one `alarmTopicArn` names. */
  public readonly alarmTopic: ITopic;
  /** Every alarm, by name (without the prefix): `ApiServerErrors`, `FunctionErrors`, … */
  public readonly alarms: Readonly<Record<string, Alarm>>;
  /** The broker's dashboard. */
  public readonly dashboard: Dashboard;
  /** The saved Logs Insights queries on the function's log group. */
  public readonly queries: readonly QueryDefinition[];

  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: IceBrokerObservabilityProps) {
    super(scope, id);
    const problem = observabilityProblems(props)[0];
    if (problem) throw new Error(`Invalid IceBrokerObservability prop "${problem[0]}": ${problem[1]}`);
    this.prefix = props.namePrefix ?? Stack.of(this).stackName;
    this.alarmTopic = props.alarmTopicArn
      ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
      : this.createTopic();
    this.alarms = this.createAlarms(props);
    const action = new SnsAction(this.alarmTopic);
    for (const alarm of Object.values(this.alarms)) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.dashboard = this.createDashboard(props);
    this.queries = this.createQueries(props.functionLogGroup);
  }

  /**
   * A topic encrypted with a key of its own (CloudWatch cannot publish to one encrypted with the
   * AWS managed `aws/sns` key), which CloudWatch of this account may use; SSL enforced.
   */
  private createTopic(): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: `${this.prefix}: encrypts the alarm notifications topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    return new Topic(this, 'AlarmTopic', {
      displayName: `${this.prefix} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
  }

  private createAlarms(props: IceBrokerObservabilityProps): Record<string, Alarm> {
    const t = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    const servedTtl =
      props.thresholds?.servedTtlSeconds ??
      props.minRemainingTtlSeconds + DEFAULT_THRESHOLDS.servedTtlMarginSeconds;
    const fiveMinutes = Duration.minutes(5);
    const minute = Duration.minutes(1);
    const fn = props.function;
    const api5xxRate = new MathExpression({
      expression: `IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * errors / requests, 0)`,
      usingMetrics: {
        errors: props.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
        requests: props.api.metricCount({ period: fiveMinutes, statistic: 'Sum' }),
      },
      period: fiveMinutes,
      label: 'API 5xx (% of requests)',
    });
    const clockSkew = new MathExpression({
      expression: 'MAX([ABS(skewMax), ABS(skewMin)])',
      usingMetrics: {
        skewMax: brokerMetric('ClockSkew', { period: fiveMinutes, statistic: 'Maximum' }),
        skewMin: brokerMetric('ClockSkew', { period: fiveMinutes, statistic: 'Minimum' }),
      },
      period: fiveMinutes,
      label: 'clock skew (s, absolute)',
    });
    const above = ComparisonOperator.GREATER_THAN_THRESHOLD;
    const atLeast = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const specs: Record<string, AlarmSpec> = {
      ApiServerErrors: {
        metric: api5xxRate,
        threshold: t.api5xxPercent,
        comparison: above,
        periods: [3, 3],
        description: `More than ${t.api5xxPercent} % of API requests got a 5xx answer (at least ${MIN_REQUESTS_FOR_RATE} requests per 5 minutes), 3 periods in a row`,
      },
      FunctionErrors: {
        metric: fn.metricErrors({ period: minute, statistic: 'Sum' }),
        threshold: t.functionErrors,
        comparison: atLeast,
        periods: [3, 5],
        description: `The function crashed, timed out or failed its init (Lambda Errors >= ${t.functionErrors} per minute in 3 of 5 minutes)`,
      },
      FunctionThrottles: {
        metric: fn.metricThrottles({ period: minute, statistic: 'Sum' }),
        threshold: t.functionThrottles,
        comparison: atLeast,
        periods: [2, 5],
        description: `Lambda throttled invocations: concurrency exhausted (Throttles >= ${t.functionThrottles} per minute in 2 of 5 minutes)`,
      },
      FunctionDurationP99: {
        metric: fn.metricDuration({ period: fiveMinutes, statistic: 'p99' }),
        threshold: t.durationP99Ms,
        comparison: above,
        periods: [3, 3],
        description: `Function duration p99 above ${t.durationP99Ms} ms for 15 minutes: requests near the 6000 ms upstream deadline`,
      },
      UpstreamThrottles: {
        metric: brokerMetric('UpstreamThrottles', { period: minute, statistic: 'Sum' }),
        threshold: t.upstreamThrottlesPerMinute,
        comparison: atLeast,
        periods: [5, 5],
        description: `KVS throttled at least ${t.upstreamThrottlesPerMinute} GetIceServerConfig attempts per minute for 5 minutes`,
      },
      UpstreamErrors: {
        metric: brokerMetric('UpstreamErrors', { period: fiveMinutes, statistic: 'Sum' }),
        threshold: t.upstreamErrors,
        comparison: atLeast,
        periods: [2, 3],
        description: `STS or KVS failed at least ${t.upstreamErrors} times per 5 minutes (502/503/504 after retries), in 2 of 3 periods`,
      },
      ServedTtlLow: {
        metric: brokerMetric('ServedTtl', { period: fiveMinutes, statistic: 'p10' }),
        threshold: servedTtl,
        comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
        periods: [3, 3],
        description: `A tenth of the answers carried less than ${servedTtl} s of TURN credential validity for 15 minutes: refreshes keep failing`,
      },
      ClockSkew: {
        metric: clockSkew,
        threshold: t.clockSkewSeconds,
        comparison: above,
        periods: [1, 1],
        description: `AWS's clock and the function's disagree by more than ${t.clockSkewSeconds} s`,
      },
      BlockedCallersUnreadable: {
        metric: brokerMetric('BlockedCallersUnreadable', { period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
        comparison: atLeast,
        periods: [1, 1],
        description:
          'The function could not read the blocked-callers parameter, or found it invalid: new blocks do not take effect',
      },
    };
    return Object.fromEntries(
      Object.entries(specs).map(([name, spec]) => [
        name,
        new Alarm(this, name, {
          alarmName: `${this.prefix}-${name}`,
          alarmDescription: `${spec.description}. Runbook: docs/operations.md, "Alarms".`,
          metric: spec.metric,
          threshold: spec.threshold,
          comparisonOperator: spec.comparison,
          datapointsToAlarm: spec.periods[0],
          evaluationPeriods: spec.periods[1],
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      ]),
    );
  }

  private createDashboard(props: IceBrokerObservabilityProps): Dashboard {
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);
    const { api } = props;
    const cache = (name: BrokerMetricName) => brokerMetric(name, { period: fiveMinutes, statistic: 'Sum' });
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: this.prefix });
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Requests per minute',
        width: 12,
        left: [
          api.metricCount({ period: minute, statistic: 'Sum', label: 'requests' }),
          api.metricClientError({ period: minute, label: '4xx' }),
          api.metricServerError({ period: minute, label: '5xx' }),
        ],
      }),
      new GraphWidget({
        title: 'Latency (ms)',
        width: 12,
        left: [
          ...(['p50', 'p90', 'p99'] as const).map((statistic) =>
            api.metricLatency({ period: minute, statistic, label: `API ${statistic}` }),
          ),
          props.function.metricDuration({ period: minute, statistic: 'p99', label: 'function p99' }),
        ],
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'ICE cache hit ratio (%)',
        width: 8,
        leftYAxis: { min: 0, max: 100 },
        left: [
          new MathExpression({
            expression: '100 * (hit + stale) / (hit + stale + miss)',
            usingMetrics: {
              hit: cache('IceCacheHit'),
              stale: cache('IceCacheStale'),
              miss: cache('IceCacheMiss'),
            },
            period: fiveMinutes,
            label: 'served from cache',
          }),
        ],
      }),
      new GraphWidget({
        title: 'Upstream calls per minute',
        width: 8,
        left: (
          [
            'AssumeRoleCalls',
            'EndpointCalls',
            'IceConfigCalls',
            'StorageJoinCalls',
            'MediaStorageCalls',
            'UpstreamThrottles',
            'UpstreamErrors',
          ] as const
        ).map((name) => brokerMetric(name, { period: minute, statistic: 'Sum', label: name })),
      }),
      new GraphWidget({
        title: 'Served TTL (s) and GetIceServerConfig latency (ms)',
        width: 8,
        left: [
          brokerMetric('ServedTtl', { period: fiveMinutes, statistic: 'p10', label: 'served TTL p10' }),
          brokerMetric('ServedTtl', { period: fiveMinutes, statistic: 'Minimum', label: 'served TTL min' }),
        ],
        right: [
          brokerMetric('IceConfigLatency', {
            period: fiveMinutes,
            statistic: 'p99',
            label: 'GetIceServerConfig p99',
          }),
        ],
      }),
    );
    dashboard.addWidgets(
      new LogQueryWidget({
        title: 'Answers by status and error code',
        width: 12,
        logGroupNames: [props.functionLogGroup.logGroupName],
        queryLines: [
          'filter ispresent(status)',
          'stats count(*) as answers by status, errorCode',
          'sort answers desc',
        ],
      }),
      new AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: Object.values(this.alarms) }),
    );
    return dashboard;
  }

  private createQueries(logGroup: ILogGroup): QueryDefinition[] {
    const queries: [string, string, QueryString][] = [
      [
        'TopCallers',
        'Top callers by credentials issued',
        new QueryString({
          filterStatements: ['outcome = "ok"'],
          statsStatements: ['count(*) as credentialsIssued, count_distinct(channel) as channels by clientId'],
          sort: 'credentialsIssued desc',
          limit: 25,
        }),
      ],
      [
        'RefusalsByCode',
        'Refusals by code',
        new QueryString({
          filterStatements: ['outcome = "error"'],
          statsStatements: ['count(*) as refusals by status, errorCode, upstreamError'],
          sort: 'refusals desc',
        }),
      ],
      [
        'SlowestUpstreamCalls',
        'Slowest upstream calls',
        new QueryString({
          fields: [
            '@timestamp',
            'channel',
            'clientId',
            'status',
            'latencyMs',
            'upstreamCalls',
            'upstreamError',
            'upstreamStatus',
            'apiRequestId',
          ],
          filterStatements: ['upstreamCalls > 0 or ispresent(upstreamError)'],
          sort: 'latencyMs desc',
          limit: 25,
        }),
      ],
    ];
    return queries.map(
      ([id, title, queryString]) =>
        new QueryDefinition(this, id, {
          queryDefinitionName: `${this.prefix}/${title}`,
          queryString,
          logGroups: [logGroup],
        }),
    );
  }
}

interface AlarmSpec {
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparison: ComparisonOperator;
  /** Datapoints that must breach, out of how many evaluation periods. */
  readonly periods: readonly [number, number];
  readonly description: string;
}

/** One of the function's own metrics (embedded metric format, dimension `service`). */
function brokerMetric(name: BrokerMetricName, options: MetricOptions): Metric {
  return new Metric({
    namespace: METRICS.namespace,
    metricName: name,
    dimensionsMap: { service: METRICS.service },
    ...options,
  });
}
