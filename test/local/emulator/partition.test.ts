import { GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import {
  assumeScopedRole,
  channelArn,
  kvsClient,
  rejectionOf,
  signalingClient,
  startTestEmulator,
  stsClient,
} from './support/emulator';

describe('emulator in the aws-cn partition (cn-north-1)', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startTestEmulator({ region: 'cn-north-1' });
  });
  afterAll(() => emulator.close());

  it('derives the aws-cn partition from the region', () => {
    expect(emulator.partition).toBe('aws-cn');
  });

  it('names channels with arn:aws-cn: ARNs', () => {
    expect(channelArn(emulator, 'demo')).toMatch(
      /^arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel\/demo\/\d+$/,
    );
  });

  it('defaults the scoped role to an arn:aws-cn: role', () => {
    expect(emulator.scopedRoleArn).toBe('arn:aws-cn:iam::123456789012:role/kvs-ice-broker-scoped');
  });

  it('issues arn:aws-cn: assumed-role sessions', async () => {
    const sts = stsClient(emulator);

    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'cn-test' }),
    );
    sts.destroy();

    expect(out.AssumedRoleUser?.Arn).toBe(
      'arn:aws-cn:sts::123456789012:assumed-role/kvs-ice-broker-scoped/cn-test',
    );
  });

  it('refuses the WEBRTC endpoint as KVS refuses it for a channel that records no media, as none can in China', async () => {
    const session = await assumeScopedRole(emulator);
    const client = kvsClient(emulator, session);

    const error = await rejectionOf(
      client.send(
        new GetSignalingChannelEndpointCommand({
          ChannelARN: channelArn(emulator, 'demo'),
          SingleMasterChannelEndpointConfiguration: { Protocols: ['WEBRTC'], Role: 'MASTER' },
        }),
      ),
    );
    client.destroy();

    expect(error.name).toBe('InvalidArgumentException');
    expect(error.message).toBe('The channel demo is not configured for WebRTC ingestion.');
  });

  it('refuses to start with channels that record media: KVS offers no WebRTC ingestion in aws-cn', async () => {
    const started = startTestEmulator({ region: 'cn-north-1', storageChannels: ['demo'] });

    await expect(started).rejects.toThrow(
      'startEmulator: storageChannels in aws-cn: KVS offers no WebRTC ingestion in the China Regions',
    );
  });

  it('serves ICE credentials for aws-cn channels signed in cn-north-1', async () => {
    const session = await assumeScopedRole(emulator);
    const client = signalingClient(emulator, session);

    const out = await client.send(
      new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') }),
    );
    client.destroy();

    const username = out.IceServerList?.[0]?.Username ?? '';
    const decoded = Buffer.from(username.split(':')[1] ?? '', 'base64').toString();
    expect(decoded).toBe(`v1:${channelArn(emulator, 'demo')}`);
  });
});
