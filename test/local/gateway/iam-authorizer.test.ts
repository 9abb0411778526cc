import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DevCredentials } from '../../../local/gateway/iam-authorizer';
import { iamAuthorizer } from '../../../local/gateway/iam-authorizer';
import type { Authorizer } from '../../../local/gateway/server';
import { signedHeaders } from './support/sign';

const URL_OF_API = new URL('http://127.0.0.1:8080/v1/channels/demo/ice-servers');

/** A request as node:http hands it to the authorizer, signed with `credentials`. */
async function signedIncoming(credentials: DevCredentials) {
  const body = '{}';
  const rawHeaders = Object.entries(await signedHeaders(credentials, URL_OF_API, body)).flat();
  const req = { method: 'POST', url: URL_OF_API.pathname, rawHeaders } as unknown as IncomingMessage;
  return { req, body: Buffer.from(body) };
}

describe('the IAM authorizer hands the function what API Gateway hands it', () => {
  it('describes the local IAM user in authorizer.iam', async () => {
    const { authorizer, credentials } = iamAuthorizer({
      region: 'cn-north-1',
      partition: 'aws-cn',
      accountId: '123456789012',
    });
    const { req, body } = await signedIncoming(credentials);

    const decision = await authorizer(req, body);

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
    const { authorizer, credentials } = iamAuthorizer({
      region: 'cn-north-1',
      partition: 'aws-cn',
      accountId: '123456789012',
    });
    const { req, body } = await signedIncoming({ ...credentials, region: 'us-east-1' });

    const decision = await authorizer(req, body);

    expect(decision).toEqual({ reject: { status: 403, message: 'Forbidden' } });
  });
});

const SITE = { region: 'cn-north-1', partition: 'aws-cn', accountId: '123456789012' };

afterEach(() => {
  vi.restoreAllMocks();
});

/** A request to `target` as node:http hands it to the authorizer, signed over `signedPath` at `signingDate`. */
async function signedRaw(
  credentials: DevCredentials & { sessionToken?: string },
  target: string,
  { signedPath = target, signingDate = new Date() }: { signedPath?: string; signingDate?: Date } = {},
) {
  const body = '{}';
  const signer = new SignatureV4({
    credentials,
    region: credentials.region,
    service: 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8080,
      path: signedPath,
      query: {},
      headers: { host: '127.0.0.1:8080', 'content-type': 'application/json' },
      body,
    },
    { signingDate },
  );
  const rawHeaders = Object.entries(signed.headers).flat();
  const req = { method: 'POST', url: target, rawHeaders } as unknown as IncomingMessage;
  return { req, body: Buffer.from(body), authorization: signed.headers.authorization ?? '' };
}

describe('the IAM authorizer verifies the signature over the path as it arrived', () => {
  it('accepts a signature over a percent-encoded channel name, sent as signed', async () => {
    const { authorizer, credentials } = iamAuthorizer(SITE);
    const { req, body } = await signedRaw(credentials, '/v1/channels/demo%2Ebad/ice-servers');

    const decision = await authorizer(req, body);

    expect(decision).toHaveProperty('authorizer');
  });

  it('refuses a signature made over the decoded form of the path that was sent', async () => {
    const { authorizer, credentials } = iamAuthorizer(SITE);
    const { req, body } = await signedRaw(credentials, '/v1/channels/demo%2Ebad/ice-servers', {
      signedPath: '/v1/channels/demo.bad/ice-servers',
    });
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    const decision = await authorizer(req, body);

    expect(decision).toEqual({ reject: { status: 403, message: 'Forbidden' } });
  });
});

describe('the IAM authorizer says why it refused a signature, and never repeats it', () => {
  const PATH = '/v1/channels/demo/ice-servers';

  /** Everything the authorizer wrote with console.warn while refusing `req`. */
  async function warningsWhileRefusing(authorizer: Authorizer, req: IncomingMessage) {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    const decision = await authorizer(req, Buffer.from('{}'));

    expect(decision).toEqual({ reject: { status: 403, message: 'Forbidden' } });
    return warn.mock.calls.map((args) => args.map(String).join(' '));
  }

  it('logs one line saying the signature does not match, without the signature or the secret', async () => {
    const { authorizer, credentials } = iamAuthorizer(SITE);
    const wrongSecret = 'not-the-dev-secret-access-key-000000000000';
    const { req, authorization } = await signedRaw({ ...credentials, secretAccessKey: wrongSecret }, PATH);
    const signature = /Signature=([0-9a-f]{64})/.exec(authorization)?.[1] ?? 'no signature';

    const lines = await warningsWhileRefusing(authorizer, req);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('signature does not match');
    expect(lines[0]).not.toContain(signature);
    expect(lines[0]).not.toContain(authorization);
    expect(lines[0]).not.toContain(wrongSecret);
    expect(lines[0]).not.toContain(credentials.secretAccessKey);
  });

  it('logs that a signature made more than five minutes ago expired', async () => {
    const { authorizer, credentials } = iamAuthorizer(SITE);
    const { req } = await signedRaw(credentials, PATH, { signingDate: new Date(Date.now() - 10 * 60_000) });

    const lines = await warningsWhileRefusing(authorizer, req);

    expect(lines).toEqual([expect.stringContaining('signature expired')]);
  });

  it('logs an unknown access key without the session token it came with', async () => {
    const { authorizer } = iamAuthorizer(SITE);
    const sessionToken = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN';
    const stranger = {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      sessionToken,
      region: SITE.region,
    };
    const { req } = await signedRaw(stranger, PATH);

    const lines = await warningsWhileRefusing(authorizer, req);

    expect(lines).toEqual([expect.stringContaining('unknown access key')]);
    expect(lines[0]).not.toContain(sessionToken);
    expect(lines[0]).not.toContain(stranger.secretAccessKey);
  });

  it('logs that a request came without a signature', async () => {
    const { authorizer } = iamAuthorizer(SITE);
    const req = {
      method: 'POST',
      url: PATH,
      rawHeaders: ['host', '127.0.0.1:8080'],
    } as unknown as IncomingMessage;

    const lines = await warningsWhileRefusing(authorizer, req);

    expect(lines).toEqual([expect.stringContaining('no Authorization header')]);
  });
});
