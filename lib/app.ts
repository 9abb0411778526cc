import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAuthContext } from './auth-context';
import { type ContextReader, parseContext } from './context';
import { KvsIceBrokerStack } from './stack';

/**
 * Builds the kvs-ice-broker app from its CDK context: the stack (named by context
 * `stackName`, default `KvsIceBroker`) and the cdk-nag AwsSolutions checks, which fail
 * synthesis on any finding not acknowledged in code.
 */
export function buildIceBrokerApp(app: App): KvsIceBrokerStack {
  const read: ContextReader = (key) => app.node.tryGetContext(key);
  // Authentication first: it has no default, so a bare `cdk synth` asks for it before anything else.
  const access = readAuthContext(read);
  const config = parseContext(read);
  const stack = new KvsIceBrokerStack(app, config.stackName, {
    description: 'kvs-ice-broker: vends short-lived Kinesis Video Streams TURN/STUN servers over HTTPS',
    broker: { ...config.broker, ...access },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
