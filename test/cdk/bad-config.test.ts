import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type Context, removeCloudAssemblies } from './support/synth';

const CHANNEL_KEYS = /^Invalid context "channels" \/ "createChannels": /;

describe('synth with a bad configuration', () => {
  afterAll(removeCloudAssemblies);

  it.each<[string, Context, RegExp]>([
    ['no channel is configured', { channels: '', createChannels: '' }, CHANNEL_KEYS],
    [
      'a channel is both existing and created',
      { channels: 'demo/1716796800123', createChannels: 'demo' },
      CHANNEL_KEYS,
    ],
    [
      'an existing channel is a bare name',
      { channels: 'lobby' },
      /^Invalid context "channels": "lobby" is a bare name/,
    ],
    [
      'an existing channel is not a channel ARN',
      { channels: 'arn:aws:s3:::lobby' },
      /^Invalid context "channels": /,
    ],
    [
      'an existing channel has a bad creation time',
      { channels: 'lobby/yesterday' },
      /^Invalid context "channels": /,
    ],
    ['channels is neither a string nor a list', { channels: 42 }, /^Invalid context "channels": /],
    [
      'a created channel name has a bad character',
      { createChannels: 'front door' },
      /^Invalid context "createChannels": /,
    ],
    [
      'a created channel is listed twice',
      { createChannels: 'demo,demo' },
      /^Invalid context "createChannels": /,
    ],
    ['throttleRate is not a number', { throttleRate: 'fast' }, /^Invalid context "throttleRate": /],
    ['throttleRate is 0', { throttleRate: '0' }, /^Invalid context "throttleRate": /],
    ['throttleBurst is a fraction', { throttleBurst: '2.5' }, /^Invalid context "throttleBurst": /],
    [
      'logRetentionDays is not a CloudWatch period',
      { logRetentionDays: '42' },
      /^Invalid context "logRetentionDays": /,
    ],
    [
      'minRemainingTtl reaches the TURN lifetime',
      { minRemainingTtl: '300' },
      /^Invalid context "minRemainingTtl": /,
    ],
    ['minRemainingTtl is negative', { minRemainingTtl: -1 }, /^Invalid context "minRemainingTtl": /],
    ['minRemainingTtl is empty', { minRemainingTtl: '' }, /^Invalid context "minRemainingTtl": /],
    ['stackName is not a stack name', { stackName: 'my stack' }, /^Invalid context "stackName": /],
  ])('fails when %s, naming the context key', (_case, context, message) => {
    expect(() => buildApp(context)).toThrow(message);
  });

  it('tells the user how to get the ARN of an existing channel given by bare name', () => {
    expect(() => buildApp({ channels: 'lobby' })).toThrow(
      'aws kinesisvideo describe-signaling-channel --channel-name lobby --query ChannelInfo.ChannelARN',
    );
  });
});
