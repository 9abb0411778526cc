import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SHARED_TABLE } from '../lambda/contract';

/** What {@link SharedTable} needs: the function that uses it. */
export interface SharedTableProps {
  /** The broker's function: its execution role gets the table's two actions (the construct gives it the table's name). */
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
  }
}
