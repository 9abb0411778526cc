import * as path from 'node:path';
import { ICE_SERVERS_ROUTE_PATH } from '@kvs-ice-broker/client/contract';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { IceBroker } from './ice-broker';
import type { IceBrokerFunctionCode, IceBrokerProps } from './ice-broker-props';

const PROJECT_ROOT = path.join(__dirname, '..');

/** This repository's handler, bundled with the dependencies its lock file pins. */
export const FUNCTION_CODE: IceBrokerFunctionCode = {
  entry: path.join(PROJECT_ROOT, 'lambda', 'handler.ts'),
  depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
};

/** Properties of {@link KvsIceBrokerStack}. */
export interface KvsIceBrokerStackProps extends StackProps {
  /** The broker's configuration; its function is this repository's handler unless it says otherwise. */
  readonly broker: IceBrokerProps;
}

/** Environment-agnostic stack: one {@link IceBroker} serving this repository's handler, and its outputs. */
export class KvsIceBrokerStack extends Stack {
  /** The broker construct. */
  public readonly broker: IceBroker;

  constructor(scope: Construct, id: string, props: KvsIceBrokerStackProps) {
    super(scope, id, props);
    this.broker = new IceBroker(this, 'IceBroker', { functionCode: FUNCTION_CODE, ...props.broker });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the ICE server API',
      value: this.broker.api.apiEndpoint,
    });
    new CfnOutput(this, 'IceServersUrl', {
      description: 'The ICE servers route; replace {channel} with a URL-encoded channel name and POST to it',
      value: `${this.broker.api.apiEndpoint}${ICE_SERVERS_ROUTE_PATH}`,
    });
    new CfnOutput(this, 'ScopedRoleArn', {
      description: 'The role the function assumes for KVS; only the function execution role may assume it',
      value: this.broker.scopedRole.roleArn,
    });
    new CfnOutput(this, 'BlockedCallersParameter', {
      description:
        'SSM parameter listing blocked callers, {"callerIds":[...],"subjects":[...]}; the function applies a change within 60 s (docs/operations.md, "Blocking a caller")',
      value: this.broker.blockedCallersParameter.parameterName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic the alarms notify; subscribe to it, e.g. aws sns subscribe --protocol email',
      value: this.broker.observability.alarmTopic.topicArn,
    });
    if (this.broker.auth.mode === 'iam') new CfnOutput(this, 'ClientPolicyStatement', this.clientPolicy());
  }

  /**
   * `auth=iam`: what a client role needs, one resource per channel. Without signaling routes, the
   * one statement of the ice-servers route; with them, a list of statements, each with a Sid
   * (`IceServers`, `SignalingViewer`, `SignalingMaster`), so viewing and mastering are granted apart;
   * with `storageSessions`, each role's statement also has that role's storage-session route.
   */
  private clientPolicy(): { description: string; value: string } {
    const statement = (arns: readonly (Readonly<Record<string, string>> | undefined)[], sid?: string) => ({
      ...(sid !== undefined ? { Sid: sid } : {}),
      Effect: 'Allow',
      Action: 'execute-api:Invoke',
      Resource: arns.flatMap((byChannel) => Object.values(byChannel ?? {})),
    });
    const { VIEWER: viewer, MASTER: master } = this.broker.signalingInvokeArns;
    const joins = this.broker.storageSessionInvokeArns;
    if (viewer === undefined) {
      return {
        description:
          'auth=iam: the IAM policy statement a client role needs to call the API, one resource per channel; drop the channels a client must not use',
        value: this.toJsonString(statement([this.broker.invokeArns])),
      };
    }
    return {
      description:
        'auth=iam: the IAM policy statements (Sid IceServers, SignalingViewer, SignalingMaster) a client role needs, one resource per channel; ' +
        'give SignalingMaster only to the roles of devices that master channels, and drop the channels a client must not use',
      value: this.toJsonString([
        statement([this.broker.invokeArns], 'IceServers'),
        statement([viewer, joins.VIEWER], 'SignalingViewer'),
        ...(master !== undefined ? [statement([master, joins.MASTER], 'SignalingMaster')] : []),
      ]),
    };
  }
}
