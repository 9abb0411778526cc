import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { type ContextReader, parseContext } from '../../../lib/context';
import { buildApp, CDK_JSON_CONTEXT, type Context, removeCloudAssemblies } from '../support/synth';

const LOBBY_ARN = 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123';

/** Reads `context`, in auth mode `iam` unless it says otherwise. */
function reader(context: Context): ContextReader {
  const withAuth: Context = { auth: 'iam', ...context };
  return (key) => withAuth[key];
}

describe('parseContext', () => {
  afterAll(removeCloudAssemblies);

  it('leaves settings whose keys are absent unset, so the construct defaults apply', () => {
    const config = parseContext(reader({ createChannels: 'demo' }));

    expect(config.props).toEqual({ auth: { mode: 'iam' }, createChannels: ['demo'] });
  });

  it('reads numbers given as strings, as `-c key=value` passes them', () => {
    const config = parseContext(
      reader({
        createChannels: 'demo',
        throttleRate: '12.5',
        throttleBurst: '20',
        logRetentionDays: '7',
        minRemainingTtl: '0',
      }),
    );

    expect(config.props).toMatchObject({
      throttleRate: 12.5,
      throttleBurst: 20,
      logRetention: RetentionDays.ONE_WEEK,
      minRemainingTtl: Duration.seconds(0),
    });
  });

  it('reads numbers given as JSON numbers, as cdk.json holds them', () => {
    const config = parseContext(
      reader({
        createChannels: 'demo',
        throttleRate: 5,
        throttleBurst: 10,
        logRetentionDays: 365,
        minRemainingTtl: 299,
      }),
    );

    expect(config.props).toMatchObject({
      throttleRate: 5,
      throttleBurst: 10,
      logRetention: RetentionDays.ONE_YEAR,
      minRemainingTtl: Duration.seconds(299),
    });
  });

  it('reads channel lists from comma-separated strings, ignoring spaces and empty entries', () => {
    const config = parseContext(reader({ createChannels: ' demo, ,backyard,' }));

    expect(config.props.createChannels).toEqual(['demo', 'backyard']);
  });

  it('reads channel lists from JSON arrays', () => {
    const config = parseContext(reader({ createChannels: ['demo', 'backyard'] }));

    expect(config.props.createChannels).toEqual(['demo', 'backyard']);
  });

  it('serves an existing channel given by full ARN under the name in its ARN', () => {
    const config = parseContext(reader({ channels: LOBBY_ARN }));

    expect(config.props.existingChannels).toEqual([{ name: 'lobby', arn: LOBBY_ARN }]);
  });

  it('serves an existing channel given as name/creationTime, leaving the rest of the ARN to the stack', () => {
    const config = parseContext(reader({ channels: 'lobby/1716796800123' }));

    expect(config.props.existingChannels).toEqual([{ name: 'lobby', creationTime: '1716796800123' }]);
  });

  it('reads stackName, leaving it unset when the key is absent', () => {
    const byDefault = parseContext(reader({ createChannels: 'demo' }));
    const renamed = parseContext(reader({ createChannels: 'demo', stackName: 'IceBroker-Staging' }));

    expect([byDefault.stackName, renamed.stackName]).toEqual([undefined, 'IceBroker-Staging']);
  });

  it('names the stack KvsIceBroker unless stackName says otherwise', () => {
    const byDefault = buildApp();
    const renamed = buildApp({ stackName: 'IceBroker-Staging' });

    expect([byDefault.stack.stackName, renamed.stack.stackName]).toEqual([
      'KvsIceBroker',
      'IceBroker-Staging',
    ]);
  });

  it('reads a channel given by bare name as a channel without ARN, which the construct refuses', () => {
    const config = parseContext(reader({ channels: 'lobby' }));

    expect(config.props.existingChannels).toEqual([{ name: 'lobby' }]);
  });

  it('keeps no broker setting in cdk.json, so each default has one owner (the construct or the function)', () => {
    const brokerKeys = Object.keys(CDK_JSON_CONTEXT).filter((key) => !key.startsWith('@aws-cdk'));

    expect(brokerKeys).toEqual([]);
  });
});
