import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalIssuer, startLocalIssuer } from '../../../local/identity-provider/issuer';
import { parseTokenArgs, requestToken } from '../../../local/identity-provider/token-cli';

describe('npm run token', () => {
  let issuer: LocalIssuer;

  beforeAll(async () => {
    issuer = await startLocalIssuer({ audience: 'kvs-ice-broker-local' });
  });
  afterAll(async () => {
    await issuer?.close();
  });

  it('reads the user, channels and scope from the command line and the issuer from the environment', () => {
    const args = parseTokenArgs(['--sub', 'alice', '--channels', 'demo,lobby', '--scope', 'ice:vend'], {
      KVS_ICE_BROKER_ISSUER: 'http://127.0.0.1:4000',
    });

    expect(args).toEqual({
      issuer: 'http://127.0.0.1:4000',
      request: { sub: 'alice', channels: ['demo', 'lobby'], scope: 'ice:vend' },
    });
  });

  it('prefers --issuer over the environment', () => {
    const args = parseTokenArgs(['--sub=alice', '--issuer=http://127.0.0.1:5000'], {
      KVS_ICE_BROKER_ISSUER: 'http://127.0.0.1:4000',
    });

    expect(args).toMatchObject({ issuer: 'http://127.0.0.1:5000' });
  });

  it('says where to find the issuer when neither --issuer nor the variable is set', () => {
    expect(() => parseTokenArgs(['--sub', 'alice'], {})).toThrow(/KVS_ICE_BROKER_ISSUER/);
  });

  it('refuses a command line without --sub', () => {
    expect(() => parseTokenArgs(['--channels', 'demo'], { KVS_ICE_BROKER_ISSUER: issuer.url })).toThrow(
      /--sub is required/,
    );
  });

  it("gets a token for the user from the runner's issuer", async () => {
    const token = await requestToken(issuer.url, { sub: 'alice', channels: ['demo'] });

    const [, payload = ''] = token.split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))).toMatchObject({
      sub: 'alice',
      iss: issuer.url,
      channels: ['demo'],
    });
  });

  it("reports the issuer's reason when it refuses", async () => {
    await expect(requestToken(issuer.url, { sub: '' })).rejects.toThrow(/refused: sub: /);
  });
});
