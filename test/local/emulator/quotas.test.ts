import { GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, QuotaSettings } from '../../../local/emulator';
import { QuotaEnforcer } from '../../../local/emulator/quotas';
import {
  assumeScopedRole,
  type Credentials,
  channelArn,
  kvsClient,
  rejectionOf,
  signalingClient,
  startTestEmulator,
  stsClient,
  withClient,
} from './support/emulator';

describe('request-rate quotas at the wire', () => {
  let emulator: Emulator;
  let session: Required<Credentials>;
  afterEach(() => emulator.close());

  /** An emulator whose rate clock stands still: each test's calls fall in one second, however slow the machine. */
  async function start(quotas?: QuotaSettings): Promise<void> {
    emulator = await startTestEmulator({ quotas, rateClock: () => 0 });
    session = await assumeScopedRole(emulator);
  }
  /** `n` GetIceServerConfig calls on `channel` at once; the settled outcome of each. */
  const iceCalls = (channel: string, n: number) =>
    withClient(signalingClient(emulator, session), (client) =>
      Promise.allSettled(
        Array.from({ length: n }, () =>
          client.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, channel) })),
        ),
      ),
    );
  const throttledOf = (results: PromiseSettledResult<unknown>[]) =>
    results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);

  it('answers a sixth GetIceServerConfig on one channel within a second with ClientLimitExceededException (HTTP 400)', async () => {
    await start();

    const throttled = throttledOf(await iceCalls('demo', 6));

    expect(throttled).toHaveLength(1);
    expect(throttled[0]).toMatchObject({
      name: 'ClientLimitExceededException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('counts the per-channel quota per channel', async () => {
    await start();

    const results = await Promise.all([iceCalls('demo', 5), iceCalls('lobby', 5)]);

    expect(results.flat().every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('throttles GetIceServerConfig across channels at the account limit', async () => {
    await start({ limits: { GetIceServerConfig: { perChannel: 5, perAccount: 6 } } });

    const results = await Promise.all([iceCalls('demo', 4), iceCalls('lobby', 4)]);

    expect(throttledOf(results.flat())).toHaveLength(2);
  });

  it('throttles GetSignalingChannelEndpoint at its account limit', async () => {
    await start({ limits: { GetSignalingChannelEndpoint: { perAccount: 2 } } });
    const getEndpoint = () =>
      withClient(kvsClient(emulator, session), (client) =>
        client.send(new GetSignalingChannelEndpointCommand({ ChannelARN: channelArn(emulator, 'demo') })),
      );

    const results = await Promise.allSettled([getEndpoint(), getEndpoint(), getEndpoint()]);

    expect(throttledOf(results)[0]).toMatchObject({
      name: 'ClientLimitExceededException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('answers AssumeRole beyond its quota with STS Throttling (HTTP 400)', async () => {
    await start({ limits: { AssumeRole: { perAccount: 1 } } });

    const error = await rejectionOf(
      withClient(stsClient(emulator), (sts) =>
        sts.send(new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'second' })),
      ),
    );

    expect(error).toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('counts throttled calls per operation and per channel, and marks them in recentCalls', async () => {
    await start();
    emulator.resetStats();

    await iceCalls('demo', 7);

    const stats = emulator.stats();
    expect(stats.throttled.GetIceServerConfig).toBe(2);
    expect(stats.operations.GetIceServerConfig).toBe(7);
    expect(stats.channels.demo?.throttled).toEqual({ GetSignalingChannelEndpoint: 0, GetIceServerConfig: 2 });
    expect(stats.recentCalls.filter((call) => call.throttled)).toHaveLength(2);
  });

  it('serves and changes the quotas over /_emulator/quotas', async () => {
    await start();
    const url = `${emulator.url}/_emulator/quotas`;

    const before = await (await fetch(url)).json();
    const off = await fetch(url, { method: 'POST', body: JSON.stringify({ enabled: false }) });
    const bad = await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ limits: { GetIceServerConfig: { perChannel: 0 } } }),
    });

    expect(before).toMatchObject({
      enabled: true,
      limits: { GetIceServerConfig: { perChannel: 5, perAccount: 100 } },
    });
    expect(off.status).toBe(200);
    expect(throttledOf(await iceCalls('demo', 8))).toHaveLength(0);
    expect(bad.status).toBe(400);
  });

  it.each([
    ['an empty quota, which would lift the limit', { GetIceServerConfig: {} }],
    ['a per-channel quota for an operation on no channel', { AssumeRole: { perChannel: 5 } }],
    ['an account operation without its limit', { GetSignalingChannelEndpoint: {} }],
  ])('refuses %s', async (_, limits) => {
    await expect(startTestEmulator({ quotas: { limits } as QuotaSettings })).rejects.toThrow(
      /invalid quotas/,
    );
    emulator = await startTestEmulator();
  });

  it('refuses invalid quota options at start, naming them', async () => {
    await expect(
      startTestEmulator({ quotas: { limits: { GetIceServerConfig: { perChannel: 1.5 } } } }),
    ).rejects.toThrow(/invalid quotas/);
    emulator = await startTestEmulator();
  });
});

describe('the quota window', () => {
  it('admits a call again once the oldest admitted call is a second old', () => {
    let now = 0;
    const quotas = new QuotaEnforcer({ limits: { GetIceServerConfig: { perChannel: 2 } } }, () => now);
    quotas.admit('GetIceServerConfig', 'demo');
    now = 400;
    quotas.admit('GetIceServerConfig', 'demo');

    now = 999;
    const early = quotas.admit('GetIceServerConfig', 'demo');
    now = 1000;
    const onTime = quotas.admit('GetIceServerConfig', 'demo');

    expect([early, onTime]).toEqual([false, true]);
  });

  it('does not count throttled calls against the window', () => {
    let now = 0;
    const quotas = new QuotaEnforcer({ limits: { GetIceServerConfig: { perChannel: 1 } } }, () => now);
    quotas.admit('GetIceServerConfig', 'demo');
    now = 500;
    quotas.admit('GetIceServerConfig', 'demo'); // throttled

    now = 1000;

    expect(quotas.admit('GetIceServerConfig', 'demo')).toBe(true);
  });
});
