import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_NAMES, checkContextKeys, parseContext } from './context';
import { ConfigError, deploymentRisksOf, validateIceBrokerProps } from './ice-broker-validation';
import { warnAboutRisks } from './safety';
import { KvsIceBrokerStack } from './stack';

const DEFAULT_STACK_NAME = 'KvsIceBroker';

/** What CloudFormation accepts as a stack name. */
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** What the app knows of the deployment besides its context. */
export interface IceBrokerAppOptions {
  /**
   * The Region `cdk deploy` deploys the stack to. The stack stays environment-agnostic (its
   * template names no Region); this only lets synthesis refuse channels that cannot exist there and
   * warn about settings that do not work there (lib/regions.ts). bin/app.ts passes
   * `CDK_DEFAULT_REGION`, which the CDK CLI sets for the app to the Region it deploys an
   * environment-agnostic stack to (the profile's or `AWS_REGION`; `us-east-1` when none is configured).
   *
   * @default - unknown: only the channel ARNs' Regions are checked
   */
  readonly region?: string;
}

/**
 * Builds the kvs-ice-broker app from its CDK context (README "Configuration keys"): the stack
 * (named by context `stackName`, default `KvsIceBroker`) and the cdk-nag AwsSolutions checks,
 * which fail synthesis on any finding not acknowledged in code. A configuration mistake throws
 * a {@link ConfigError} naming the context key: an unknown key, a value of the wrong type
 * (lib/context.ts), or a value the construct refuses (lib/ice-broker-validation.ts), also for the
 * Region it deploys to (`options.region`); each lists every problem at once.
 */
export function buildIceBrokerApp(app: App, options: IceBrokerAppOptions = {}): KvsIceBrokerStack {
  const { region } = options;
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
  validateIceBrokerProps(props, { names: CONTEXT_NAMES, region });
  const stack = new KvsIceBrokerStack(app, stackName, {
    description: 'kvs-ice-broker: vends short-lived Kinesis Video Streams TURN/STUN servers over HTTPS',
    broker: props,
  });
  // The construct warned about what it knows without the Region; a warning it printed already is not repeated.
  warnAboutRisks(stack.broker, deploymentRisksOf(props, region).warnings);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
