import { describe, expect, it } from 'vitest';
import { parseChannelArn } from '../../../lambda/contract';
import { VendingError } from '../../../lambda/core/errors';
import { IPV4_ENDPOINTS, iceServersAnswer, turnServerSets } from '../../../lambda/core/ice-servers';
import type { MetricName } from '../../../lambda/core/metrics';

const NOW = Date.parse('2026-11-24T10:00:00.000Z');
const channel = parseChannelArn('arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000');
const URIS = [
  'turn:10-0-0-1.t.kinesisvideo.us-west-2.amazonaws.com:443?transport=udp',
  'turns:10-0-0-1.t.kinesisvideo.us-west-2.amazonaws.com:443?transport=udp',
  'turns:10-0-0-1.t.kinesisvideo.us-west-2.amazonaws.com:443?transport=tcp',
];

/** A KVS server set whose username says it expires `usernameSeconds` after NOW. */
const kvsSet = (usernameSeconds: number, ttlSeconds = 300) => ({
  uris: URIS,
  username: `${NOW / 1000 + usernameSeconds}:djE6YXJu`,
  password: 'pw',
  ttlSeconds,
});

/** Records what the core reports: metrics and warning lines. */
function recorder() {
  const metrics: { name: MetricName; unit: string; value: number }[] = [];
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  return {
    metrics,
    warnings,
    port: {
      add: (name: MetricName, unit: string, value: number) => metrics.push({ name, unit, value }),
      warn: (message: string, fields: Record<string, unknown>) => warnings.push({ message, fields }),
    },
  };
}

describe('TURN validity from KVS answers', () => {
  it('counts validity from the Ttl at receipt, whatever the username expiry says', () => {
    const [set] = turnServerSets([kvsSet(90)], NOW);

    expect(set?.expiresAt).toBe(NOW + 300_000);
  });

  it.each([
    ['behind', 90, -210],
    ['ahead', 510, 210],
  ])(
    'reports a ClockSkew metric and a warning when the AWS clock is %s by 3.5 minutes',
    (_, usernameSeconds, skew) => {
      const report = recorder();

      turnServerSets([kvsSet(usernameSeconds), kvsSet(usernameSeconds + 1)], NOW, report.port);

      expect(report.metrics).toEqual([{ name: 'ClockSkew', unit: 'Seconds', value: skew }]);
      expect(report.warnings).toHaveLength(1);
      expect(report.warnings[0]?.message).toMatch(/clock/i);
      expect(report.warnings[0]?.fields).toMatchObject({ clockSkewSeconds: skew });
    },
  );

  it('reports nothing when the username expiry agrees with the Ttl within 30 s', () => {
    const report = recorder();

    turnServerSets([kvsSet(300), kvsSet(329), kvsSet(271)], NOW, report.port);

    expect(report.metrics).toEqual([]);
    expect(report.warnings).toEqual([]);
  });

  it('takes a username without an expiry as it is', () => {
    const report = recorder();

    const [set] = turnServerSets([{ ...kvsSet(0), username: 'no-expiry' }], NOW, report.port);

    expect(set?.expiresAt).toBe(NOW + 300_000);
    expect(report.metrics).toEqual([]);
  });
});

describe('transports filter', () => {
  if (!channel) throw new Error('bad test ARN');
  const sets = turnServerSets([kvsSet(300)], NOW);
  const vend = (transports: ('udp' | 'tcp' | 'tls' | 'dtls')[]) =>
    iceServersAnswer(channel, sets, { transports }, NOW, 120_000, IPV4_ENDPOINTS);

  it.each([
    [['tcp'], 'no TURN server offers transport tcp; offered: udp, tls, dtls'],
    [['tcp', 'tcp'], 'no TURN server offers transport tcp; offered: udp, tls, dtls'],
  ] as const)('refuses %j with a 400 naming what was offered', (transports, message) => {
    let error: unknown;
    try {
      vend([...transports]);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(VendingError);
    expect(error).toMatchObject({ code: 'InvalidRequest', message });
  });

  it('names every requested transport when none is offered', () => {
    const onlyUdp = turnServerSets([{ ...kvsSet(300), uris: [URIS[0] ?? ''] }], NOW);

    expect(() =>
      iceServersAnswer(channel, onlyUdp, { transports: ['tcp', 'tls'] }, NOW, 120_000, IPV4_ENDPOINTS),
    ).toThrow('no TURN server offers transport tcp or tls; offered: udp');
  });

  it('keeps the URIs of the requested transports', () => {
    const result = vend(['tls']);

    expect(result.iceServers[1]?.urls).toEqual([URIS[2]]);
    expect(result.ttl).toBe(300);
  });
});
