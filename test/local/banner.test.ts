import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authBanner } from '../../local/auth/banner';
import { type LocalAuth, startLocalAuth } from '../../local/auth/local-auth';
import type { LocalAuthOptions } from '../../local/auth/types';

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
      const decision = await auth.gate?.(
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

      const decision = await auth.gate?.(
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

      const decision = await auth.gate?.(
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
