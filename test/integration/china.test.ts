import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/runner';

// The whole AWS path in a China region: the SDK signs for cn-north-1, the emulator speaks the
// aws-cn partition, and the answer carries China's STUN host and ARNs.
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    channels: ['lobby-camera-01', 'garage'],
    region: 'cn-north-1',
    relay: false,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
});
afterAll(() => stack?.close());

describe('in the aws-cn partition', () => {
  it('vends credentials for a cn-north-1 channel with the amazonaws.com.cn STUN URL', async () => {
    const response = await fetch(`${stack.api.url}/v1/channels/lobby-camera-01/ice-servers`, {
      method: 'POST',
    });
    const body = await response.json();

    expect(response.status).toBe(200);
    expect(body.iceServers[0]).toEqual({ urls: ['stun:stun.kinesisvideo.cn-north-1.amazonaws.com.cn:443'] });
    expect(body.channelArn).toMatch(
      /^arn:aws-cn:kinesisvideo:cn-north-1:\d{12}:channel\/lobby-camera-01\/\d+$/,
    );
    expect(body.iceServers).toHaveLength(3);
  });

  it('assumes an aws-cn scoped role and signs every call for the China region', async () => {
    stack.emulator.resetStats();
    const response = await fetch(`${stack.api.url}/v1/channels/garage/ice-servers`, { method: 'POST' });

    const stats = stack.emulator.stats();

    expect(stack.emulator.scopedRoleArn).toMatch(/^arn:aws-cn:iam::/);
    expect(response.status).toBe(200);
    expect(stats.operations).toMatchObject({
      AssumeRole: 1,
      GetSignalingChannelEndpoint: 1,
      GetIceServerConfig: 1,
    });
    expect(stats.rejected).toEqual({});
  });
});
