import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { iamGate } from '../../local/auth/iam-gate';

const PATH = '/v1/channels/demo/ice-servers';
const HOST = '127.0.0.1:8080';

/** A request as node:http hands it to the gate, signed with `credentials`. */
async function signedIncoming(credentials: { accessKeyId: string; secretAccessKey: string; region: string }) {
  const body = Buffer.from('{}');
  const signer = new SignatureV4({
    credentials,
    region: credentials.region,
    service: 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 8080,
    path: PATH,
    query: {},
    headers: { host: HOST, 'content-type': 'application/json' },
    body,
  });
  const rawHeaders = Object.entries(signed.headers).flat();
  return { req: { method: 'POST', url: PATH, rawHeaders } as unknown as IncomingMessage, body };
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
