import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChannelArn } from '../../../lambda/contract';
import { ChannelDirectory } from '../../../lambda/core/channels';
import { SignalingVendor } from '../../../lambda/core/signaling';
import { SERVES_SIGNALING } from '../../local/emulator/support/emulator';
import { openSocket } from '../../local/emulator/support/signaling';
import { startVendor, type VendorUnderTest } from './support/vendor';

describe('the signaling use case against the wire emulator', () => {
  let under: VendorUnderTest;
  let signaling: SignalingVendor;
  beforeAll(async () => {
    under = await startVendor({ emulatorOptions: SERVES_SIGNALING });
    const channels = [...under.emulator.channelArns.values()].flatMap((arn) => parseChannelArn(arn) ?? []);
    signaling = new SignalingVendor({
      channels: new ChannelDirectory(channels),
      ice: under.vendor,
      access: under.access,
      roles: ['VIEWER', 'MASTER'],
      deadlineMs: 6000,
      viewerSlotsPerCaller: 3,
    });
  });
  afterAll(() => under?.close());

  it('after prewarm, answers the first request with one upstream call, GetIceServerConfig', async () => {
    await under.vendor.prewarm('demo');
    await signaling.prewarm('demo');
    const before = {
      assumeRole: under.assumeRoleCalls(),
      endpoint: under.endpointCalls(),
      ice: under.iceCalls(),
    };

    const bundle = await signaling.connect({
      channel: 'demo',
      role: 'VIEWER',
      clientId: 'u-alice',
      viewerPool: 'u-alice',
      grantedChannels: 'all',
      masterChannels: [],
    });

    expect(bundle.role).toBe('VIEWER');
    expect(under.assumeRoleCalls() - before.assumeRole).toBe(0);
    expect(under.endpointCalls() - before.endpoint).toBe(0);
    expect(under.iceCalls() - before.ice).toBe(1);
  });

  it('signs URLs with the real AWS adapter that the emulated KVS signaling service accepts', async () => {
    const bundle = await signaling.connect({
      channel: 'lobby',
      role: 'MASTER',
      clientId: 'iam-camera',
      grantedChannels: 'all',
      masterChannels: 'all',
    });

    const socket = await openSocket(bundle.signaling.url);
    socket.terminate();

    expect(bundle).not.toHaveProperty('clientId');
    expect(under.emulator.signaling.stats().connects.ConnectAsMaster).toBe(1);
  });
});
