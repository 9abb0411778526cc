import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_NAMES, checkContextKeys, parseContext } from './context';
import { ConfigError, validateIceBrokerProps } from './ice-broker-validation';
import { KvsIceBrokerStack } from './stack';

const DEFAULT_STACK_NAME = 'KvsIceBroker';

/** What CloudFormation accepts as a stack name. */
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * Builds the kvs-ice-broker app from its CDK context (README "Configuration keys"): the stack
 * (named by context `stackName`, default `KvsIceBroker`) and the cdk-nag AwsSolutions checks,
 * which fail synthesis on any finding not acknowledged in code. A configuration mistake throws
 * a {@link ConfigError} naming the context key: an unknown key, a value of the wrong type
 * (lib/context.ts), or a value the construct refuses (lib/ice-broker-validation.ts); each lists every problem at once.
 */
export function buildIceBrokerApp(app: App): KvsIceBrokerStack {
  checkContextKeys(Object.keys(app.node.getAllContext()));
  const { stackName = DEFAULT_STACK_NAME, props } = parseContext((key) => app.node.tryGetContext(key));
  if (!STACK_NAME_PATTERN.test(stackName)) {
    throw new ConfigError(
      'context',
      'stackName',
      `"${stackName}" is not a stack name (a letter, then up to 127 letters, digits or "-")`,
    );
  }
  // The construct validates its props again, naming props; here the errors name the context keys.
  validateIceBrokerProps(props, { names: CONTEXT_NAMES });
  const stack = new KvsIceBrokerStack(app, stackName, {
    description: 'kvs-ice-broker: vends short-lived Kinesis Video Streams TURN/STUN servers over HTTPS',
    broker: props,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
