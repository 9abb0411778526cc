import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  ACCOUNT_ICE_CALLS_PER_SECOND,
  CALLER_ISSUANCES_PER_MINUTE,
  ENV,
  SHARED_TABLE,
} from '../lambda/contract';

/** The fleet settings of the broker: limits every function instance shares, and the shared cache. */
export interface SharedTableSettings {
  /**
   * `GetIceServerConfig` calls per second per account and Region, across every function instance:
   * KVS's quota for the account (default 100, soft; raise this only after Service Quotas raised it).
   * A whole number within `ACCOUNT_ICE_CALLS_PER_SECOND` of lambda/contract.ts.
   *
   * @default - the function's default, `ACCOUNT_ICE_CALLS_PER_SECOND.default` (100)
   */
  readonly accountIceCallsPerSecond?: number;

  /**
   * New TURN credentials one caller may be issued per minute, across every function instance and
   * channel (a caller's repeated requests are served from the cache and do not count); past it,
   * 429 `Throttled` with `Retry-After`, so that one leaked token cannot farm relays. A whole
   * number within `CALLER_ISSUANCES_PER_MINUTE` of lambda/contract.ts.
   *
   * @default - the function's default, `CALLER_ISSUANCES_PER_MINUTE.default` (30)
   */
  readonly callerIssuancesPerMinute?: number;

  /**
   * Keep ICE answers in the shared table too, per channel, role and caller, until they stop being
   * servable: a caller whose next request reaches another function instance then costs no KVS
   * call, at the price of one DynamoDB read per request that misses an instance's own cache,
   * and TURN credentials (encrypted) in the table for their lifetime.
   *
   * @default false
   */
  readonly sharedCache?: boolean;
}

/** Problems of the fleet settings, by prop: each limit a whole number within its range. */
export function sharedTableProblems(settings: SharedTableSettings): [prop: string, problem: string][] {
  const ranges = [
    ['accountIceCallsPerSecond', settings.accountIceCallsPerSecond, ACCOUNT_ICE_CALLS_PER_SECOND],
    ['callerIssuancesPerMinute', settings.callerIssuancesPerMinute, CALLER_ISSUANCES_PER_MINUTE],
  ] as const;
  return ranges.flatMap(([prop, value, { min, max }]) =>
    value === undefined || (Number.isInteger(value) && value >= min && value <= max)
      ? []
      : [[prop, `${value} must be a whole number from ${min} to ${max}`] as [string, string]],
  );
}

/** What {@link SharedTable} needs: the function that uses it, and the settings. */
export interface SharedTableProps extends SharedTableSettings {
  /** The broker's function: gets the table's name and settings, and (its execution role) the table's two actions. */
  readonly function: LambdaFunction;
}

/**
 * The DynamoDB table every instance of the function shares: the call budget's sliding windows
 * (per channel, per account, per caller) and, with `sharedCache`, ICE answers. On demand
 * (no capacity to plan), encrypted with the AWS managed KMS key, items removed by TTL
 * (`expiresAt`), point-in-time recovery for one day. Only the execution role may use it, and only with `dynamodb:UpdateItem` (every
 * write is a conditional update) and `dynamodb:GetItem` on this table.
 */
export class SharedTable extends Construct {
  /** The table. */
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: SharedTableProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: SHARED_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: SHARED_TABLE.timeToLiveAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      // cdk-nag's AwsSolutions-DDB3 asks for it; the shortest recovery period, since nothing in the
      // table is worth restoring after a day (TURN credentials in it have expired by then).
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 1 },
      // Nothing in it outlives a few minutes: windows of seconds, credentials of 300 s.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.table.grant(props.function, 'dynamodb:UpdateItem', 'dynamodb:GetItem');
    const fn = props.function;
    fn.addEnvironment(ENV.sharedTable, this.table.tableName);
    if (props.sharedCache === true) fn.addEnvironment(ENV.sharedCache, 'true');
    // Unset, the function applies its own defaults (lambda/config.ts).
    if (props.accountIceCallsPerSecond !== undefined)
      fn.addEnvironment(ENV.accountIceCallsPerSecond, String(props.accountIceCallsPerSecond));
    if (props.callerIssuancesPerMinute !== undefined)
      fn.addEnvironment(ENV.callerIssuancesPerMinute, String(props.callerIssuancesPerMinute));
  }
}
