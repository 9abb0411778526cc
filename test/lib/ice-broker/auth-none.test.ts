import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_AUTH_REASON } from '../../../lib/route-auth';
import { buildApp, removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';

describe('auth=none', () => {
  let s: Synthesized;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize({ auth: 'none', allowUnauthenticated: 'true' });
  });

  it('serves the route without authorization when the operator acknowledged it', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/channels/{channel}/ice-servers',
      AuthorizationType: 'NONE',
    });
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('warns on the route at every synthesis that anyone can get TURN credentials', () => {
    Annotations.fromStack(s.stack).hasWarning(
      `/${s.stack.broker.route.node.path}`,
      Match.stringLikeRegexp(
        `no authentication: anyone who finds the URL gets TURN credentials.*${NO_AUTH_REASON}`,
      ),
    );
  });

  it('outputs no IAM policy statement', () => {
    expect(Object.keys(s.template.findOutputs('ClientPolicyStatement'))).toEqual([]);
  });

  it('refuses auth=none without the explicit acknowledgement, naming allowUnauthenticated', () => {
    expect(() => buildApp({ auth: 'none' })).toThrow(
      'Invalid context "allowUnauthenticated": auth=none lets anyone on the internet get TURN credentials; ' +
        'confirm it with -c allowUnauthenticated=true (for demos only)',
    );
  });

  it('refuses auth=none when allowUnauthenticated is false', () => {
    expect(() => buildApp({ auth: 'none', allowUnauthenticated: false })).toThrow(
      /^Invalid context "allowUnauthenticated": /,
    );
  });
});
