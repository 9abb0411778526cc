import { Duration, Fn, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { createBroker as construct, removeCloudAssemblies } from '../support/synth';

const LOBBY_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/lobby/1716796800123';

describe('IceBroker props', () => {
  afterAll(removeCloudAssemblies);

  it('rejects a broker without channels, naming both channel props', () => {
    expect(() => construct({})).toThrow(
      'Invalid IceBroker prop "existingChannels" / "createChannels": at least one channel is required',
    );
  });

  it('rejects an existing channel given both an ARN and a creation time', () => {
    const props = { existingChannels: [{ name: 'lobby', arn: LOBBY_ARN, creationTime: '1716796800123' }] };

    expect(() => construct(props)).toThrow('Invalid IceBroker prop "existingChannels[0]"');
  });

  it('rejects an existing channel given neither an ARN nor a creation time', () => {
    expect(() => construct({ existingChannels: [{ name: 'lobby' }] })).toThrow(
      'Invalid IceBroker prop "existingChannels[0]"',
    );
  });

  it('rejects an existing channel whose ARN names another channel', () => {
    const props = { existingChannels: [{ name: 'garden', arn: LOBBY_ARN }] };

    expect(() => construct(props)).toThrow('Invalid IceBroker prop "existingChannels[0].arn"');
  });

  it('accepts an existing channel ARN that resolves only at deploy time', () => {
    const broker = construct({
      existingChannels: [{ name: 'lobby', arn: Fn.importValue('LobbyChannelArn') }],
    });

    expect(Stack.of(broker).resolve(broker.channelArns)).toEqual({
      lobby: { 'Fn::ImportValue': 'LobbyChannelArn' },
    });
  });

  it('rejects a channel name used twice', () => {
    const props = {
      existingChannels: [{ name: 'demo', arn: LOBBY_ARN.replace('lobby', 'demo') }],
      createChannels: ['demo'],
    };

    expect(() => construct(props)).toThrow('Invalid IceBroker prop "existingChannels" / "createChannels"');
  });

  it('rejects a minRemainingTtl that is not whole seconds below the 300 s TURN lifetime', () => {
    expect(() => construct({ createChannels: ['demo'], minRemainingTtl: Duration.millis(1500) })).toThrow(
      'Invalid IceBroker prop "minRemainingTtl"',
    );
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    expect(() => construct({ createChannels: ['demo'], logRetention: RetentionDays.INFINITE })).toThrow(
      'Invalid IceBroker prop "logRetention"',
    );
  });
});
