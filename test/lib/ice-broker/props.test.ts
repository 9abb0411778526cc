import { Duration, Fn, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/ice-broker-validation';
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

  it('lists every problem of the props in one error, one line each, instead of stopping at the first', () => {
    const props = {
      auth: { mode: 'none' as const, allowUnauthenticated: true as const },
      createChannels: ['front door'],
      throttleRate: 0,
      corsAllowOrigins: ['https://app.example.com/path'],
    };

    const thrown = catchError(() => construct(props));

    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown.message.split('\n')).toEqual([
      'Invalid IceBroker prop "createChannels[0]": "front door" is not a valid channel name (1-256 characters of a-z, A-Z, 0-9, "_", ".", "-")',
      'Invalid IceBroker prop "throttleRate": 0 must be a number greater than 0',
      'Invalid IceBroker prop "corsAllowOrigins": "https://app.example.com/path" is not an origin: http(s)://host[:port], no path',
    ]);
    expect((thrown as ConfigError).problems.map((problem) => problem.names)).toEqual([
      ['createChannels[0]'],
      ['throttleRate'],
      ['corsAllowOrigins'],
    ]);
  });

  it('bundles the handler entry it is given, so that another CDK app can serve the broker', () => {
    const entry = '/nowhere/kvs-ice-broker/lambda/handler.ts';

    expect(() => construct({ createChannels: ['demo'], functionCode: { entry } })).toThrow(entry);
  });
});

/** What `run` throws (the test fails if it throws nothing). */
function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected an error');
}
