/**
 * The findings of CloudFormation's linter, cfn-lint (https://github.com/aws-cloudformation/cfn-lint),
 * that the construct acknowledges, each on the one resource it is about. cfn-lint reads the
 * acknowledgement from the resource's template metadata (`Metadata: {cfn-lint: {config:
 * {ignore_checks: [...]}}}`), so anyone who lints the synthesized template gets the same result as
 * CI (test/lib/cfn-lint.test.ts). docs/operations.md ("CloudFormation's linter") lists each one with
 * its reason; the test checks that the list and the template agree.
 */
import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One cfn-lint rule acknowledged on one resource, and why it is not fixed. */
export interface CfnLintAcknowledgement {
  /** The rule's id, e.g. `W3005`. */
  readonly rule: string;
  /** Why the finding is not fixed; docs/operations.md repeats it. */
  readonly reason: string;
}

/**
 * W3005 ("dependency already enforced by a GetAtt") on the function: aws-cdk-lib's Lambda
 * `Function` makes its resource depend on its whole role construct
 * (`this.resource.node.addDependency(this.role)`), so that the function is created only after the
 * role's default policy, which holds the function's permissions (its log group, the scoped role, the
 * blocked-callers parameter, the shared table). The role itself is among the `DependsOn` entries
 * that this renders, and the function's `Role: {Fn::GetAtt: [<role>, Arn]}` already implies it:
 * redundant and harmless to CloudFormation. Removing it would mean overriding the `DependsOn` that
 * CDK computes, and with it the dependency on the policy that is needed.
 */
export const FUNCTION_ROLE_DEPENDENCY: CfnLintAcknowledgement = {
  rule: 'W3005',
  reason:
    "aws-cdk-lib's Lambda Function makes the function depend on its role construct so that it is created after the role's default policy; " +
    'its DependsOn entry for the role itself repeats what the Role GetAtt implies; removing it would mean overriding the DependsOn CDK computes',
};

/** Makes cfn-lint skip the rules of `acknowledgements` on the resource of `construct`, and on it only. */
export function acknowledgeCfnLint(
  construct: IConstruct,
  ...acknowledgements: CfnLintAcknowledgement[]
): void {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnResource))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  resource.addMetadata('cfn-lint', { config: { ignore_checks: acknowledgements.map(({ rule }) => rule) } });
}
