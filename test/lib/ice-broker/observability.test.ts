import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, logicalId, removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

const NAMESPACE = 'KvsIceBroker';
const SERVICE = [{ Name: 'service', Value: 'kvs-ice-broker' }];

interface CfnAlarm {
  Properties: {
    AlarmName: string;
    Threshold: number;
    ComparisonOperator: string;
    EvaluationPeriods: number;
    DatapointsToAlarm: number;
    TreatMissingData: string;
    AlarmActions: unknown[];
    OKActions: unknown[];
    MetricName?: string;
    Namespace?: string;
    Dimensions?: unknown;
    ExtendedStatistic?: string;
    Statistic?: string;
    Period?: number;
    Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string } } }[];
  };
}

function alarms(s: Synthesized): Record<string, CfnAlarm['Properties']> {
  return Object.fromEntries(
    Object.values(s.template.findResources('AWS::CloudWatch::Alarm') as Record<string, CfnAlarm>).map(
      (alarm) => [alarm.Properties.AlarmName.replace(/^KvsIceBroker-/, ''), alarm.Properties],
    ),
  );
}

describe('alarms, dashboard and Logs Insights queries', () => {
  let s: Synthesized;
  let all: Record<string, CfnAlarm['Properties']>;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize();
    all = alarms(s);
  });

  it('creates the nine alarms, named after the stack', () => {
    expect(Object.keys(all).sort()).toEqual([
      'ApiServerErrors',
      'BlockedCallersUnreadable',
      'ClockSkew',
      'FunctionDurationP99',
      'FunctionErrors',
      'FunctionThrottles',
      'ServedTtlLow',
      'UpstreamErrors',
      'UpstreamThrottles',
    ]);
  });

  it('notifies a topic the stack creates, with SSL enforced, when an alarm fires and when it clears', () => {
    const topicId = logicalId(s, s.stack.broker.observability.alarmTopic);

    for (const alarm of Object.values(all)) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('encrypts the alarm topic with a rotating KMS key of its own that CloudWatch may use', () => {
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    s.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('alarms on the API 5xx rate above 2 % of at least 20 requests, 3 five-minute periods in a row', () => {
    const alarm = all.ApiServerErrors;

    expect(alarm).toMatchObject({ Threshold: 2, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarm).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 3 });
    const expression = alarm?.Metrics?.find((metric) => metric.Expression)?.Expression;
    expect(expression).toBe('IF(requests >= 20, 100 * errors / requests, 0)');
    const names = alarm?.Metrics?.map((metric) => metric.MetricStat?.Metric.MetricName).filter(Boolean);
    expect(names?.sort()).toEqual(['5xx', 'Count']);
  });

  it.each([
    ['FunctionErrors', 'Errors', 1, 'GreaterThanOrEqualToThreshold', 5, 3],
    ['FunctionThrottles', 'Throttles', 1, 'GreaterThanOrEqualToThreshold', 5, 2],
    ['FunctionDurationP99', 'Duration', 5000, 'GreaterThanThreshold', 3, 3],
  ])('alarms on Lambda %s (%s) at %d', (name, metric, threshold, comparison, periods, datapoints) => {
    expect(all[name]).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: metric,
      Threshold: threshold,
      ComparisonOperator: comparison,
      EvaluationPeriods: periods,
      DatapointsToAlarm: datapoints,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(s, s.stack.broker.function) } }],
    });
  });

  it.each([
    ['UpstreamThrottles', 'UpstreamThrottles', 10, 'GreaterThanOrEqualToThreshold', 60, 'Sum'],
    ['UpstreamErrors', 'UpstreamErrors', 5, 'GreaterThanOrEqualToThreshold', 300, 'Sum'],
    ['BlockedCallersUnreadable', 'BlockedCallersUnreadable', 1, 'GreaterThanOrEqualToThreshold', 300, 'Sum'],
  ])('alarms on the broker metric %s', (name, metric, threshold, comparison, period, statistic) => {
    expect(all[name]).toMatchObject({
      Namespace: NAMESPACE,
      MetricName: metric,
      Dimensions: SERVICE,
      Threshold: threshold,
      ComparisonOperator: comparison,
      Period: period,
      Statistic: statistic,
    });
  });

  it('alarms when the p10 of the served TTL falls below the minimum remaining TTL plus 15 s', () => {
    expect(all.ServedTtlLow).toMatchObject({
      Namespace: NAMESPACE,
      MetricName: 'ServedTtl',
      ExtendedStatistic: 'p10',
      Threshold: 135,
      ComparisonOperator: 'LessThanThreshold',
    });
  });

  it('alarms on clock skew in either direction beyond 60 s', () => {
    const expression = all.ClockSkew?.Metrics?.find((metric) => metric.Expression)?.Expression;

    expect(expression).toBe('MAX([ABS(skewMax), ABS(skewMin)])');
    expect(all.ClockSkew).toMatchObject({ Threshold: 60, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('builds a dashboard with request rate, latency percentiles, cache hit ratio, upstream calls and error codes', () => {
    const [dashboard] = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    for (const part of [
      'Requests per minute',
      'Latency (ms)',
      'p99',
      'ICE cache hit ratio (%)',
      '100 * (hit + stale) / (hit + stale + miss)',
      'Upstream calls per minute',
      'AssumeRoleCalls',
      'EndpointCalls',
      'IceConfigCalls',
      'Answers by status and error code',
      'stats count(*) as answers by status, errorCode',
      'Alarms',
    ]) {
      expect(body).toContain(part);
    }
    expect(dashboard?.Properties.DashboardName).toBe('KvsIceBroker');
  });

  it('saves three Logs Insights queries on the function log group, reading its real fields', () => {
    const logGroupId = logicalId(s, s.stack.broker.logGroups.function);
    const queries = Object.values(s.template.findResources('AWS::Logs::QueryDefinition')).map(
      (query) => query.Properties,
    );
    const byName = Object.fromEntries(queries.map((query) => [query.Name, query]));

    expect(Object.keys(byName).sort()).toEqual([
      'KvsIceBroker/Refusals by code',
      'KvsIceBroker/Slowest upstream calls',
      'KvsIceBroker/Top callers by credentials issued',
    ]);
    for (const query of queries) expect(query.LogGroupNames).toEqual([{ Ref: logGroupId }]);
    expect(byName['KvsIceBroker/Top callers by credentials issued']?.QueryString).toBe(
      'filter outcome = "ok"\n| stats count(*) as credentialsIssued, count_distinct(channel) as channels by clientId\n| sort credentialsIssued desc\n| limit 25',
    );
    expect(byName['KvsIceBroker/Refusals by code']?.QueryString).toBe(
      'filter outcome = "error"\n| stats count(*) as refusals by status, errorCode, upstreamError\n| sort refusals desc',
    );
    expect(byName['KvsIceBroker/Slowest upstream calls']?.QueryString).toMatch(
      /fields @timestamp, channel, clientId, status, latencyMs, upstreamCalls.*\n\| filter upstreamCalls > 0 or ispresent\(upstreamError\)\n\| sort latencyMs desc/,
    );
  });

  it('turns X-Ray tracing off by default', () => {
    const [fn] = Object.values(s.template.findResources('AWS::Lambda::Function'));

    expect(fn?.Properties.TracingConfig).toBeUndefined();
  });
});

describe('observability settings from the context', () => {
  afterAll(removeCloudAssemblies);

  it('takes each alarm threshold from its context key', () => {
    const s = synthesize({
      alarmApi5xxPercent: '5',
      alarmFunctionErrors: '3',
      alarmFunctionThrottles: '4',
      alarmDurationP99Ms: '3000',
      alarmUpstreamThrottles: '20',
      alarmUpstreamErrors: '7',
      alarmServedTtlSeconds: '150',
      alarmClockSkewSeconds: '120',
    });

    const thresholds = Object.fromEntries(Object.entries(alarms(s)).map(([name, a]) => [name, a.Threshold]));

    expect(thresholds).toEqual({
      ApiServerErrors: 5,
      FunctionErrors: 3,
      FunctionThrottles: 4,
      FunctionDurationP99: 3000,
      UpstreamThrottles: 20,
      UpstreamErrors: 7,
      ServedTtlLow: 150,
      ClockSkew: 120,
      BlockedCallersUnreadable: 1,
    });
  });

  it('follows minRemainingTtl in the default served-TTL threshold', () => {
    expect(alarms(synthesize({ minRemainingTtl: '200' })).ServedTtlLow?.Threshold).toBe(215);
  });

  it('notifies an existing topic given by alarmTopicArn, and creates none', () => {
    const arn = 'arn:aws:sns:us-west-2:123456789012:ops-pager';
    const s = synthesize({ alarmTopicArn: arn });

    s.template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of Object.values(alarms(s))) expect(alarm.AlarmActions).toEqual([arn]);
  });

  it('turns on X-Ray active tracing with tracing=true, and cdk-nag stays clean', () => {
    const s = synthesize({ tracing: 'true' });

    s.template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' }),
        ]),
      },
    });
    expect(new AwsSolutionsChecks().validateScope(s.app).violations).toEqual([]);
  });

  it.each([
    ['a FIFO topic', { alarmTopicArn: 'arn:aws:sns:us-west-2:123456789012:ops.fifo' }, 'alarmTopicArn'],
    ['something that is not a topic ARN', { alarmTopicArn: 'ops-pager' }, 'alarmTopicArn'],
    ['a negative threshold', { alarmUpstreamErrors: '-1' }, 'alarmUpstreamErrors'],
    ['a fractional count', { alarmFunctionErrors: '1.5' }, 'alarmFunctionErrors'],
    ['a rate above 100 %', { alarmApi5xxPercent: '150' }, 'alarmApi5xxPercent'],
    ['tracing that is not a boolean', { tracing: 'yes' }, 'tracing'],
  ])('refuses %s, naming the key', (_, context, key) => {
    expect(() => buildApp(context)).toThrow(new RegExp(`^Invalid context "${key}": `));
  });
});
