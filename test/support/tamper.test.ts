import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tampered } from './tamper';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEX = '0123456789abcdef';

describe('tampered (the secret a refusal test sends)', () => {
  it.each([...BASE64])('changes a base64 TURN password that starts with %j', (first) => {
    const password = `${first}${createHmac('sha1', 'secret').update('1700000000:dXNlcg==').digest('base64').slice(1)}`;

    const changed = tampered(password);

    expect(changed).not.toBe(password);
    expect(changed).toHaveLength(password.length);
    expect(changed).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it.each([...HEX])('changes a hex SigV4 signature that starts with %j, keeping it hex', (first) => {
    const signature = `${first}${'ab'.repeat(31)}c`;

    const changed = tampered(signature);

    expect(changed).not.toBe(signature);
    expect(changed).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an empty value: there is nothing to change', () => {
    expect(() => tampered('')).toThrow(/empty/);
  });
});
