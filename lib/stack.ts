import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ICE_SERVERS_ROUTE_PATH } from '../lambda/contract';
import { IceBroker, type IceBrokerProps } from './ice-broker';

/** Properties of {@link KvsIceBrokerStack}. */
export interface KvsIceBrokerStackProps extends StackProps {
  /** The broker's configuration. */
  readonly broker: IceBrokerProps;
}

/** Environment-agnostic stack: one {@link IceBroker} and its outputs. */
export class KvsIceBrokerStack extends Stack {
  /** The broker construct. */
  public readonly broker: IceBroker;

  constructor(scope: Construct, id: string, props: KvsIceBrokerStackProps) {
    super(scope, id, props);
    this.broker = new IceBroker(this, 'IceBroker', props.broker);

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
    if (this.broker.auth.mode === 'iam') {
      new CfnOutput(this, 'ClientPolicyStatement', {
        description:
          'auth=iam: the IAM policy statement a client role needs to call the API, one resource per channel; drop the channels a client must not use',
        value: this.toJsonString({
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: Object.values(this.broker.invokeArns),
        }),
      });
    }
  }
}
