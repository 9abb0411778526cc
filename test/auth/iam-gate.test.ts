import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { iamGate } from '../../local/auth/iam-gate';
import type { DevCredentials } from '../../local/auth/types';
import { signedHeaders } from './support/sign';

const URL_OF_API = new URL('http://127.0.0.1:8080/v1/channels/demo/ice-servers');

/** A request as node:http hands it to the gate, signed with `credentials`. */
async function signedIncoming(credentials: DevCredentials) {
  const body = '{}';
  const rawHeaders = Object.entries(await signedHeaders(credentials, URL_OF_API, body)).flat();
  const req = { method: 'POST', url: URL_OF_API.pathname, rawHeaders } as unknown as IncomingMessage;
  return { req, body: Buffer.from(body) };
}

describe('the IAM gate hands the function what API Gateway hands it', () => {
  it('describes the local IAM user in authorizer.iam', async () => {
    const { gate, credentials } = iamGate({
      region: 'cn-north-1',
      partition: 'aws-cn',
      accountId: '123456789012',
    });
    const { req, body } = await signedIncoming(credentials);

    const decision = await gate(req, body);

    expect(decision).toEqual({
      authorizer: {
        iam: {
          accessKey: credentials.accessKeyId,
          accountId: '123456789012',
          callerId: expect.stringMatching(/^AIDA[A-Z2-7]{16}$/),
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: 'arn:aws-cn:iam::123456789012:user/local-dev',
          userId: expect.stringMatching(/^AIDA[A-Z2-7]{16}$/),
        },
      },
    });
  });

  it('refuses a signature scoped to another region with 403 Forbidden', async () => {
    const { gate, credentials } = iamGate({
      region: 'cn-north-1',
      partition: 'aws-cn',
      accountId: '123456789012',
    });
    const { req, body } = await signedIncoming({ ...credentials, region: 'us-east-1' });

    const decision = await gate(req, body);

    expect(decision).toEqual({ reject: { status: 403, message: 'Forbidden' } });
  });
});
