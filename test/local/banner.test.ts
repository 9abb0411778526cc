import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authBanner, awsToolsLines, startupBanner } from '../../local/banner';
import { type LocalAuth, type LocalAuthOptions, startLocalAuth } from '../../local/gateway/auth-mode';

const SITE = { region: 'cn-north-1', partition: 'aws-cn', accountId: '123456789012' };

describe('start-up lines about auth', () => {
  const started: LocalAuth[] = [];
  const start = async (options: LocalAuthOptions) => {
    const auth = await startLocalAuth(options, SITE);
    started.push(auth);
    return auth;
  };
  afterAll(async () => {
    await Promise.all(started.map((auth) => auth.close()));
  });

  it('says that no auth is a local-only choice', async () => {
    const auth = await start({ mode: 'none' });

    const banner = await authBanner(auth.info, { mode: 'none' }, ['demo']);

    expect(banner).toEqual({
      lines: ['  auth       none (local only; deployments need -c auth=jwt|iam|none)'],
      curlArgs: [],
    });
  });

  it('prints the dev credentials as lines a developer can paste', async () => {
    const auth = await start({ mode: 'iam' });
    const { accessKeyId, secretAccessKey } = auth.info.credentials ?? {
      accessKeyId: '?',
      secretAccessKey: '?',
    };

    const banner = await authBanner(auth.info, { mode: 'iam' }, ['demo']);

    expect(banner.lines).toEqual([
      `  auth       iam: sign requests with AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey} (region cn-north-1, service execute-api)`,
    ]);
  });

  describe('with auth=jwt and the local issuer', () => {
    const options: LocalAuthOptions = { mode: 'jwt', scopes: ['ice:vend'], channelsClaim: 'channels' };
    let auth: LocalAuth;
    let lines: string[];

    beforeAll(async () => {
      auth = await start(options);
      lines = (await authBanner(auth.info, options, ['demo', 'lobby'])).lines;
    });

    const devToken = () =>
      lines
        .find((line) => line.startsWith('  token '))
        ?.trim()
        .split(/\s+/)[1] ?? '';

    it('prints a dev token for dev-user with the required scope and every served channel', () => {
      const [, payload = ''] = devToken().split('.');

      expect(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))).toMatchObject({
        sub: 'dev-user',
        scope: 'ice:vend',
        channels: ['demo', 'lobby'],
      });
    });

    it('prints a dev token that the local API accepts', async () => {
      const decision = await auth.authorizer?.(
        { headers: { authorization: `Bearer ${devToken()}` } } as IncomingMessage,
        Buffer.alloc(0),
      );

      expect(decision).toHaveProperty('authorizer');
    });

    it('says how to mint tokens for other users', () => {
      expect(lines.join('\n')).toContain(
        `export KVS_ICE_BROKER_ISSUER=${auth.info.issuerUrl}; npm run token -- --sub`,
      );
    });

    it('shows --scope with a required scope as a required argument of the token command', () => {
      const hint = lines.find((line) => line.includes('npm run token')) ?? '';

      expect(hint).toContain('--scope "ice:vend"');
      expect(hint).not.toContain('[--scope');
    });
  });

  describe('with auth=jwt, the local issuer and several accepted scopes', () => {
    const options: LocalAuthOptions = { mode: 'jwt', scopes: ['ice:vend', 'ice:admin'] };
    let auth: LocalAuth;
    let lines: string[];

    beforeAll(async () => {
      auth = await start(options);
      lines = (await authBanner(auth.info, options, ['demo'])).lines;
    });

    it('prints a token command whose --scope the local API accepts', async () => {
      const hint = lines.find((line) => line.includes('npm run token')) ?? '';
      const scope = /--scope "([^"]*)"/.exec(hint)?.[1];
      const token = await auth.info.mintToken?.({ sub: 'alice', ...(scope ? { scope } : {}) });

      const decision = await auth.authorizer?.(
        { headers: { authorization: `Bearer ${token}` } } as IncomingMessage,
        Buffer.alloc(0),
      );

      expect(scope).toBe('ice:vend');
      expect(decision).toHaveProperty('authorizer');
    });

    it('prints a dev token that the local API accepts', async () => {
      const token = lines
        .find((line) => line.startsWith('  token '))
        ?.trim()
        .split(/\s+/)[1];

      const decision = await auth.authorizer?.(
        { headers: { authorization: `Bearer ${token}` } } as IncomingMessage,
        Buffer.alloc(0),
      );

      expect(decision).toHaveProperty('authorizer');
    });
  });

  describe('with auth=jwt and no required scope', () => {
    it('shows --scope as optional in the token command', async () => {
      const options: LocalAuthOptions = { mode: 'jwt' };
      const auth = await start(options);

      const { lines } = await authBanner(auth.info, options, ['demo']);

      expect(lines.join('\n')).toContain('npm run token -- --sub alice [--scope "…"]');
    });
  });
});

describe('start-up text of npm start', () => {
  const api = { url: 'http://127.0.0.1:18181', port: 18181, close: async () => undefined };

  it('names the route, the details and auth, and ends with a curl line for the first channel', async () => {
    const text = await startupBanner({
      title: 'kvs-ice-broker is serving locally (no AWS account needed)',
      api,
      auth: { mode: 'none' },
      authOptions: { mode: 'none' },
      channels: ['lobby', 'demo'],
      details: ['  channels   lobby, demo'],
    });

    expect(text.split('\n')).toEqual([
      'kvs-ice-broker is serving locally (no AWS account needed)',
      '  API        http://127.0.0.1:18181/v1/channels/{channel}/ice-servers  (POST)',
      '  demo       http://127.0.0.1:18181/demo  (in a browser: two relay-only peer connections with the vended credentials)',
      '  channels   lobby, demo',
      '  auth       none (local only; deployments need -c auth=jwt|iam|none)',
      `  try        curl -s -X POST http://127.0.0.1:18181/v1/channels/lobby/ice-servers -H 'content-type: application/json' -d '{"role":"VIEWER"}'`,
      'Ctrl-C stops everything.',
    ]);
  });

  it('says which browser origins may call the API, and how to choose them', async () => {
    const line = async (mode: 'none' | 'jwt', corsOrigins: readonly string[]) =>
      (
        await startupBanner({
          title: 't',
          api,
          auth: { mode },
          authOptions: { mode: 'none' },
          channels: ['demo'],
          details: [],
          corsOrigins,
        })
      )
        .split('\n')
        .find((text) => text.startsWith('  CORS'));

    expect(await line('none', ['http://localhost:*', 'http://127.0.0.1:*'])).toBe(
      '  CORS       http://localhost:*, http://127.0.0.1:* (loopback origins by default with auth none; -c corsAllowOrigins=<origins> to choose)',
    );
    expect(await line('jwt', [])).toBe(
      "  CORS       no browser origin but the API's own (-c corsAllowOrigins=<origins> for apps on others)",
    );
  });
});

describe('the start-up lines for AWS tools', () => {
  const environment = {
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00',
    AWS_SECRET_ACCESS_KEY: 'secret/with+characters=',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
    AWS_REGION: 'cn-north-1',
    AWS_DEFAULT_REGION: 'cn-north-1',
  };

  it('prints one shell line the AWS CLI and boto3 read, and the scoped role to assume', () => {
    const lines = awsToolsLines({
      environment,
      scopedRoleArn: 'arn:aws-cn:iam::123456789012:role/kvs-ice-broker-scoped',
    });

    expect(lines).toEqual([
      '  AWS tools  unset AWS_PROFILE AWS_SESSION_TOKEN; export AWS_ACCESS_KEY_ID=AKIAEXAMPLEEXAMPLE00 ' +
        'AWS_SECRET_ACCESS_KEY=secret/with+characters= AWS_ENDPOINT_URL=http://127.0.0.1:4566 ' +
        'AWS_REGION=cn-north-1 AWS_DEFAULT_REGION=cn-north-1',
      '             (the AWS CLI and boto3 then call the emulator as a developer who may assume the scoped role)',
      '  role       arn:aws-cn:iam::123456789012:role/kvs-ice-broker-scoped',
    ]);
  });
});
