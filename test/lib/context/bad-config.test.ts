import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type Context, removeCloudAssemblies } from '../support/synth';

const CHANNEL_KEYS = /^Invalid context "channels" \/ "createChannels": /;

describe('synth with a bad configuration', () => {
  afterAll(removeCloudAssemblies);

  it.each<[string, Context, RegExp]>([
    ['no channel is configured', { channels: '', createChannels: '' }, CHANNEL_KEYS],
    ['neither channel key is given', { channels: undefined, createChannels: undefined }, CHANNEL_KEYS],
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
      'a created channel is named "..", which no request path can carry',
      { createChannels: '..' },
      /^Invalid context "createChannels": "\.\." cannot be served/,
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
      'minRemainingTtl is hexadecimal',
      { minRemainingTtl: '0x10' },
      /^Invalid context "minRemainingTtl": "0x10" is not a number/,
    ],
    [
      'minRemainingTtl has an exponent',
      { minRemainingTtl: '1e2' },
      /^Invalid context "minRemainingTtl": "1e2" is not a number/,
    ],
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

  it('lists every mistake of the context in one error, a line for each, naming its key', () => {
    const context = { createChannels: 'demo,demo', throttleBurst: '2.5', logRetentionDays: '42' };

    const lines = (() => {
      try {
        buildApp(context);
        return [];
      } catch (error) {
        return (error as Error).message.split('\n');
      }
    })();

    expect(lines).toEqual([
      'Invalid context "createChannels": channel "demo" is listed more than once',
      'Invalid context "throttleBurst": 2.5 must be an integer greater than 0',
      expect.stringMatching(
        /^Invalid context "logRetentionDays": 42 is not a CloudWatch Logs retention period; /,
      ),
    ]);
  });

  it('says that a deployment needs at least one channel, naming both channel keys', () => {
    expect(() => buildApp({ channels: undefined, createChannels: undefined })).toThrow(
      'Invalid context "channels" / "createChannels": at least one channel is required',
    );
  });

  it.each([
    ['chanels', 'channels'],
    ['channel', 'channels'],
    ['createChannel', 'createChannels'],
    ['minRemainingTTL', 'minRemainingTtl'],
    ['jwtAudiance', 'jwtAudience'],
    ['logRetention', 'logRetentionDays'],
  ])('fails on the unknown key %s, suggesting %s', (key, known) => {
    expect(() => buildApp({ [key]: 'x' })).toThrow(
      `Invalid context "${key}": unknown key; did you mean "${known}"?`,
    );
  });

  it.each(['chanels:prod', 'channels:extra', 'auth:mode'])(
    'fails on the unknown key %s, which has a colon but is no CDK lookup',
    (key) => {
      expect(() => buildApp({ [key]: 'x' })).toThrow(`Invalid context "${key}": unknown key`);
    },
  );

  it('fails on an unknown key close to no known key, listing the known keys', () => {
    expect(() => buildApp({ colour: 'blue' })).toThrow(
      /^Invalid context "colour": unknown key; the known keys are auth, .*channels, createChannels, .*stackName/,
    );
  });

  it.each(['scopedRoleArn', 'region', 'blockedCallers'])(
    'refuses %s, which only the local runner reads, as a key a deployment does not know',
    (key) => {
      expect(() => buildApp({ [key]: 'x' })).toThrow(new RegExp(`^Invalid context "${key}": unknown key`));
    },
  );

  it("accepts CDK's own keys: feature flags, keys the CLI injects, and context lookups", () => {
    const cdkKeys: Context = {
      '@aws-cdk/core:newStyleStackSynthesis': true,
      '@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver': true,
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:version-reporting': false,
      'cdk-version': '2.0.0',
      'availability-zones:account=123456789012:region=us-west-2': ['us-west-2a'],
      'acknowledged-issue-numbers': [32775],
      'cli-telemetry': false,
    };

    expect(() => buildApp(cdkKeys)).not.toThrow();
  });

  it('tells the user how to get the ARN of an existing channel given by bare name', () => {
    expect(() => buildApp({ channels: 'lobby' })).toThrow(
      'aws kinesisvideo describe-signaling-channel --channel-name lobby --query ChannelInfo.ChannelARN',
    );
  });
});
