import { describe, expect, it } from 'vitest';
import { parseAmzDate, parseAuthorization } from '../../../local/emulator/sigv4';

const SIGNATURE = 'a'.repeat(64);

describe('parseAuthorization', () => {
  it('reads key, scope, signed headers and signature of an SDK header', () => {
    const header = `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEEXAMPLE12/20261124/cn-north-1/kinesisvideo/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`;

    expect(parseAuthorization(header)).toEqual({
      accessKeyId: 'AKIAEXAMPLEEXAMPLE12',
      scopeDate: '20261124',
      region: 'cn-north-1',
      service: 'kinesisvideo',
      signedHeaders: ['host', 'x-amz-date'],
      signature: SIGNATURE,
    });
  });

  it.each([
    [
      'another algorithm',
      `AWS4-ECDSA-P256-SHA256 Credential=AKIAEXAMPLEEXAMPLE12/20261124/us-west-2/sts/aws4_request, SignedHeaders=host, Signature=${SIGNATURE}`,
    ],
    [
      'a scope not ending in aws4_request',
      `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEEXAMPLE12/20261124/us-west-2/sts/aws5, SignedHeaders=host, Signature=${SIGNATURE}`,
    ],
    [
      'a short signature',
      'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEEXAMPLE12/20261124/us-west-2/sts/aws4_request, SignedHeaders=host, Signature=abc',
    ],
    [
      'no SignedHeaders',
      `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEEXAMPLE12/20261124/us-west-2/sts/aws4_request, Signature=${SIGNATURE}`,
    ],
  ])('returns null for %s', (_case, header) => {
    expect(parseAuthorization(header)).toBeNull();
  });
});

describe('parseAmzDate', () => {
  it('parses the basic ISO 8601 format to epoch milliseconds', () => {
    expect(parseAmzDate('20261124T110040Z')).toBe(Date.UTC(2026, 10, 24, 11, 0, 40));
  });

  it('rejects an impossible date', () => {
    expect(parseAmzDate('20260231T000000Z')).toBeNull();
  });

  it('rejects the extended format', () => {
    expect(parseAmzDate('2026-11-24T11:00:40Z')).toBeNull();
  });
});
