import { afterAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambda/settings';
import { buildApp, logicalId, removeCloudAssemblies, synthesize } from '../support/synth';

const BEIJING_CHANNEL = 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123';
const OREGON_CHANNEL = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/lobby/1716796800123';
const ISO_CHANNEL = 'arn:aws-iso:kinesisvideo:us-iso-east-1:123456789012:channel/lobby/1716796800123';

const KVS_FIPS =
  'AWS\'s endpoint data has FIPS endpoints of Kinesis Video Streams in us-gov-east-1 and us-gov-west-1 only (docs/operations.md, "Dual-stack and FIPS endpoints")';
const DUAL_STACK_PARTITIONS =
  'AWS\'s endpoint data has dual-stack endpoints in aws, aws-cn, aws-eusc and aws-us-gov only (docs/operations.md, "Dual-stack and FIPS endpoints")';

describe('dualStack and fips', () => {
  afterAll(removeCloudAssemblies);

  const variables = (context: Record<string, unknown>, region?: string) => {
    const s = synthesize(context, { region });
    return s.template.toJSON().Resources[logicalId(s, s.stack.broker.function)].Properties.Environment
      .Variables as Record<string, unknown>;
  };

  describe('synthesize where every endpoint the function needs exists', () => {
    it('leave the function on its defaults (IPv4-only, no FIPS) unless told', () => {
      const set = variables({}, 'us-west-2');

      expect(set).not.toHaveProperty(ENV.dualStack);
      expect(set).not.toHaveProperty(ENV.fips);
    });

    it('pass -c dualStack=true in us-west-2 and in cn-north-1 to the function', () => {
      expect(variables({ dualStack: 'true' }, 'us-west-2')).toMatchObject({ [ENV.dualStack]: 'true' });
      expect(
        variables({ dualStack: 'true', channels: BEIJING_CHANNEL, createChannels: undefined }, 'cn-north-1'),
      ).toMatchObject({ [ENV.dualStack]: 'true' });
    });

    it('pass -c fips=true and -c dualStack=true in us-gov-west-1 to the function', () => {
      expect(variables({ fips: 'true', dualStack: 'true' }, 'us-gov-west-1')).toMatchObject({
        [ENV.fips]: 'true',
        [ENV.dualStack]: 'true',
      });
    });
  });

  describe('are refused at synth, naming the Region and the services', () => {
    it('fips=true in us-west-2, whose KVS has no FIPS endpoint', () => {
      expect(() => buildApp({ fips: 'true' }, { region: 'us-west-2' })).toThrow(
        `Invalid context "fips": us-west-2, the Region this stack deploys to, has no FIPS endpoint for Kinesis Video Streams; ${KVS_FIPS}`,
      );
    });

    it('fips=true in cn-north-1, where no service the function calls has one', () => {
      expect(() =>
        buildApp(
          { fips: 'true', channels: BEIJING_CHANNEL, createChannels: undefined },
          { region: 'cn-north-1' },
        ),
      ).toThrow(
        'Invalid context "fips": cn-north-1, the Region this stack deploys to and of channel "lobby", has no FIPS endpoint for ' +
          `Kinesis Video Streams, STS, SSM or DynamoDB; ${KVS_FIPS}`,
      );
    });

    it("fips=true with a channel of us-west-2 served from us-gov-west-1 names the channel's Region", () => {
      expect(() =>
        buildApp(
          { fips: 'true', channels: OREGON_CHANNEL, createChannels: undefined },
          { region: 'us-gov-west-1' },
        ),
      ).toThrow(
        `Invalid context "fips": us-west-2, the Region of channel "lobby", has no FIPS endpoint for Kinesis Video Streams; ${KVS_FIPS}`,
      );
    });

    it('fips=true where the deploy Region is unknown still checks the channel ARNs', () => {
      expect(() => buildApp({ fips: 'true', channels: OREGON_CHANNEL, createChannels: undefined })).toThrow(
        `Invalid context "fips": us-west-2, the Region of channel "lobby", has no FIPS endpoint for Kinesis Video Streams; ${KVS_FIPS}`,
      );
    });

    it('dualStack=true in us-iso-east-1, whose partition has no dual-stack endpoints', () => {
      expect(() =>
        buildApp(
          { dualStack: 'true', channels: ISO_CHANNEL, createChannels: undefined },
          { region: 'us-iso-east-1' },
        ),
      ).toThrow(
        'Invalid context "dualStack": us-iso-east-1, the Region this stack deploys to and of channel "lobby", has no dual-stack endpoint for ' +
          `Kinesis Video Streams, STS, SSM or DynamoDB; ${DUAL_STACK_PARTITIONS}`,
      );
    });

    it('a value that is not a boolean', () => {
      expect(() => buildApp({ dualStack: 'yes' })).toThrow(/^Invalid context "dualStack": /);
      expect(() => buildApp({ fips: 'maybe' })).toThrow(/^Invalid context "fips": /);
    });
  });
});
