import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mintTurnCredentials } from '../../../local/emulator';

const fixture = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/get-ice-server-config.cn-north-1.json'), 'utf8'),
) as { IceServerList: { Username: string }[] };
const FIXTURE_ARN = 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby-camera-01/1716796800123';

describe('mintTurnCredentials', () => {
  it('builds usernames exactly like the real KVS response in the fixture', () => {
    const first = fixture.IceServerList[0]?.Username;

    const { username } = mintTurnCredentials('any-secret', FIXTURE_ARN, 1748325954);

    expect(username).toBe(first);
  });

  it('signs the username with base64 HMAC-SHA1 of the shared secret, as coturn use-auth-secret checks', () => {
    // Expected value computed independently: printf '%s' USERNAME | openssl dgst -sha1 -hmac SECRET -binary | base64
    const { password } = mintTurnCredentials('test-turn-secret', FIXTURE_ARN, 1748325954);

    expect(password).toBe('B9D4PCIfVM91K+ZS+8PMHxtdEuY=');
  });

  it('truncates a fractional expiry to whole seconds', () => {
    const { username } = mintTurnCredentials('s', FIXTURE_ARN, 1748325954.9);

    expect(username.startsWith('1748325954:')).toBe(true);
  });

  it('gives different passwords for different secrets', () => {
    const a = mintTurnCredentials('secret-a', FIXTURE_ARN, 1748325954);
    const b = mintTurnCredentials('secret-b', FIXTURE_ARN, 1748325954);

    expect(a.password).not.toBe(b.password);
  });
});
