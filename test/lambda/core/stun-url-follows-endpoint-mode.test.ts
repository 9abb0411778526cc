import { describe, expect, it } from 'vitest';
import { parseChannelArn } from '../../../lambda/contract';
import { IPV4_ENDPOINTS, iceServersAnswer, stunUrl } from '../../../lambda/core/ice-servers';

const channelIn = (partition: string, region: string) =>
  parseChannelArn(`arn:${partition}:kinesisvideo:${region}:123456789012:channel/demo/1700000000000`);

const oregon = channelIn('aws', 'us-west-2');
const beijing = channelIn('aws-cn', 'cn-north-1');
const govWest = channelIn('aws-us-gov', 'us-gov-west-1');

describe("the STUN URL is KVS's for the channel's Region, partition and endpoint mode", () => {
  it.each([
    ['IPv4-only, aws', oregon, {}, 'stun:stun.kinesisvideo.us-west-2.amazonaws.com:443'],
    ['IPv4-only, aws-cn', beijing, {}, 'stun:stun.kinesisvideo.cn-north-1.amazonaws.com.cn:443'],
    ['dual-stack, aws', oregon, { dualStack: true }, 'stun:stun.kinesisvideo.us-west-2.api.aws:443'],
    [
      'dual-stack, aws-cn',
      beijing,
      { dualStack: true },
      'stun:stun.kinesisvideo.cn-north-1.api.amazonwebservices.com.cn:443',
    ],
    ['FIPS', govWest, { fips: true }, 'stuns:stun.kinesisvideo-fips.us-gov-west-1.amazonaws.com:443'],
    [
      'FIPS and dual-stack',
      govWest,
      { fips: true, dualStack: true },
      'stuns:stun.kinesisvideo-fips.us-gov-west-1.api.aws:443',
    ],
  ])('%s', (_, channel, mode, expected) => {
    expect(channel).toBeDefined();
    if (!channel) return;

    expect(stunUrl(channel, { dualStack: false, fips: false, ...mode })).toBe(expected);
  });

  it('defaults to the IPv4-only endpoints', () => {
    expect(oregon && stunUrl(oregon, IPV4_ENDPOINTS)).toBe(
      'stun:stun.kinesisvideo.us-west-2.amazonaws.com:443',
    );
  });

  it('is the first ICE server of an answer, in the mode the answer is made for', () => {
    if (!beijing) throw new Error('unparsed channel');
    const now = Date.parse('2026-11-24T10:00:00.000Z');
    const set = {
      uris: ['turn:[::1]:3478?transport=udp'],
      username: `${now / 1000 + 300}:djE6YXJu`,
      password: 'pw',
      expiresAt: now + 300_000,
    };

    const answer = iceServersAnswer(beijing, [set], { maxServerSets: 2 }, now, 0, {
      dualStack: true,
      fips: false,
    });

    expect(answer.iceServers[0]).toEqual({
      urls: ['stun:stun.kinesisvideo.cn-north-1.api.amazonwebservices.com.cn:443'],
    });
  });
});
