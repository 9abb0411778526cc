import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalId, removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

describe('blocked-callers parameter', () => {
  let s: Synthesized;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize();
  });

  it('is created as an empty list, named after the stack and the construct', () => {
    s.template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/KvsIceBroker/IceBroker/blocked-callers',
      Type: 'String',
      Value: '{"callerIds":[],"subjects":[]}',
    });
  });

  it('is named to the function in BLOCKED_CALLERS_PARAMETER', () => {
    const [fn] = Object.values(s.template.findResources('AWS::Lambda::Function'));

    expect(fn?.Properties.Environment.Variables.BLOCKED_CALLERS_PARAMETER).toEqual({
      Ref: logicalId(s, s.stack.broker.blockedCallersParameter),
    });
  });

  it('may be read by the execution role with ssm:GetParameter on that parameter only, and written by nobody', () => {
    const statements = Object.values(s.template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
    );
    const ssm = statements.filter((statement) => JSON.stringify(statement.Action).includes('ssm:'));
    const parameterId = logicalId(s, s.stack.broker.blockedCallersParameter);

    expect(ssm).toHaveLength(1);
    expect(ssm[0]?.Action).toBe('ssm:GetParameter');
    expect(JSON.stringify(ssm[0]?.Resource)).toContain(JSON.stringify({ Ref: parameterId }));
    expect(JSON.stringify(statements)).not.toContain('kms:');
  });

  it('outputs the parameter name for operators', () => {
    expect(s.template.findOutputs('BlockedCallersParameter')).toMatchObject({
      BlockedCallersParameter: { Value: { Ref: logicalId(s, s.stack.broker.blockedCallersParameter) } },
    });
  });
});
