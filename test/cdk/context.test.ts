import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { type ContextReader, parseContext } from '../../lib/context';
import {
  DEFAULT_LOG_RETENTION,
  DEFAULT_MIN_REMAINING_TTL_SECONDS,
  DEFAULT_THROTTLE_BURST,
  DEFAULT_THROTTLE_RATE,
} from '../../lib/settings';
import { CDK_JSON_CONTEXT, type Context } from './support/synth';

const LOBBY_ARN = 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123';

function reader(context: Context): ContextReader {
  return (key) => context[key];
}

describe('parseContext', () => {
  it('leaves settings whose keys are absent unset, so the construct defaults apply', () => {
    const config = parseContext(reader({ createChannels: 'demo' }));

    expect(config.broker).toEqual({ existingChannels: [], createChannels: ['demo'] });
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

    expect(config.broker).toMatchObject({
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

    expect(config.broker).toMatchObject({
      throttleRate: 5,
      throttleBurst: 10,
      logRetention: RetentionDays.ONE_YEAR,
      minRemainingTtl: Duration.seconds(299),
    });
  });

  it('reads channel lists from comma-separated strings, ignoring spaces and empty entries', () => {
    const config = parseContext(reader({ createChannels: ' demo, ,backyard,' }));

    expect(config.broker.createChannels).toEqual(['demo', 'backyard']);
  });

  it('reads channel lists from JSON arrays', () => {
    const config = parseContext(reader({ createChannels: ['demo', 'backyard'] }));

    expect(config.broker.createChannels).toEqual(['demo', 'backyard']);
  });

  it('serves an existing channel given by full ARN under the name in its ARN', () => {
    const config = parseContext(reader({ channels: LOBBY_ARN }));

    expect(config.broker.existingChannels).toEqual([{ name: 'lobby', arn: LOBBY_ARN }]);
  });

  it('serves an existing channel given as name/creationTime, leaving the rest of the ARN to the stack', () => {
    const config = parseContext(reader({ channels: 'lobby/1716796800123' }));

    expect(config.broker.existingChannels).toEqual([{ name: 'lobby', creationTime: '1716796800123' }]);
  });

  it('names the stack KvsIceBroker unless stackName says otherwise', () => {
    const byDefault = parseContext(reader({ createChannels: 'demo' }));
    const renamed = parseContext(reader({ createChannels: 'demo', stackName: 'IceBroker-Staging' }));

    expect([byDefault.stackName, renamed.stackName]).toEqual(['KvsIceBroker', 'IceBroker-Staging']);
  });

  it('ships cdk.json defaults equal to the construct defaults', () => {
    const config = parseContext(reader(CDK_JSON_CONTEXT));

    expect(config.broker).toEqual({
      existingChannels: [],
      createChannels: ['demo'],
      throttleRate: DEFAULT_THROTTLE_RATE,
      throttleBurst: DEFAULT_THROTTLE_BURST,
      logRetention: DEFAULT_LOG_RETENTION,
      minRemainingTtl: Duration.seconds(DEFAULT_MIN_REMAINING_TTL_SECONDS),
    });
  });
});
