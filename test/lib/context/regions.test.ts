import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { IceBroker } from '../../../lib/ice-broker';
import { RISK_WARNING_ID } from '../../../lib/safety';
import {
  buildApp,
  type Context,
  cloudAssemblyDir,
  removeCloudAssemblies,
  synthesize,
} from '../support/synth';

const BEIJING_CHANNEL = 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123';
const NINGXIA_CHANNEL = 'arn:aws-cn:kinesisvideo:cn-northwest-1:123456789012:channel/lobby/1716796800123';

const AWS_REGIONS =
  'af-south-1, ap-east-1, ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ap-southeast-5, ' +
  'ca-central-1, eu-central-1, eu-south-2, eu-west-1, eu-west-2, eu-west-3, me-south-1, sa-east-1, us-east-1, us-east-2, us-west-2';

const createIn = (region: string, name: string) =>
  `Invalid context "createChannels": CloudFormation cannot create a signaling channel in ${region} (its resource types there have no AWS::KinesisVideo::SignalingChannel). ` +
  `Create "${name}" with the AWS CLI: aws kinesisvideo create-signaling-channel --channel-name ${name} --region ${region} --query ChannelARN --output text; ` +
  'then serve it by that ARN with -c channels=<ARN> instead of createChannels';

const ICP_WARNING = (mode: string) =>
  `"auth": auth=${mode} in the China Regions (aws-cn): API Gateway there serves an API without IAM authorization only for an account with an ICP licence, ` +
  'and without one the API does not answer; deploy with auth=iam unless the account has one (docs/operations.md, "aws-cn (China Regions)")';

const JWT: Context = { auth: 'jwt', jwtIssuer: 'https://auth.example.com/', jwtAudience: 'ice-app' };
const NONE: Context = { auth: 'none', allowUnauthenticated: 'true' };

// Where KVS is offered, and where CloudFormation can create its channels (lib/regions.ts).
describe('Regions', () => {
  afterAll(removeCloudAssemblies);

  describe('refuses at synth', () => {
    it('a channel ARN in a Region that does not offer KVS, saying where it is offered', () => {
      expect(() => buildApp({ channels: NINGXIA_CHANNEL, createChannels: undefined })).toThrow(
        `Invalid context "channels": "${NINGXIA_CHANNEL}": Kinesis Video Streams is not offered in cn-northwest-1 ` +
          '(in aws-cn it is offered in cn-north-1 only)',
      );
    });

    it('a channel ARN in a Region the endpoint data does not know, listing the Regions of its partition', () => {
      const arn = 'arn:aws:kinesisvideo:us-west-3:123456789012:channel/lobby/1716796800123';

      expect(() => buildApp({ channels: arn, createChannels: undefined })).toThrow(
        `Invalid context "channels": "${arn}": Kinesis Video Streams is not offered in us-west-3 (in aws it is offered in ${AWS_REGIONS})`,
      );
    });

    it('storageSessions for a channel in aws-cn, where KVS offers no WebRTC ingestion', () => {
      expect(() =>
        buildApp({
          channels: BEIJING_CHANNEL,
          createChannels: undefined,
          signalingRoles: 'viewer',
          storageSessions: 'true',
        }),
      ).toThrow(
        'KVS offers no WebRTC ingestion (JoinStorageSession, JoinStorageSessionAsViewer) in aws-cn: leave storageSessions off there (docs/operations.md, "Three modes")',
      );
    });

    it("a channel ARN whose partition is not its Region's", () => {
      const arn = 'arn:aws:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123';

      expect(() => buildApp({ channels: arn, createChannels: undefined })).toThrow(
        `Invalid context "channels": "${arn}": names partition aws, but cn-north-1 is in aws-cn`,
      );
    });

    it('channels to create in cn-north-1, where CloudFormation has no signaling channel type, with the command that creates each', () => {
      expect(() => buildApp({ createChannels: 'lobby,hall' }, { region: 'cn-north-1' })).toThrow(
        `${createIn('cn-north-1', 'lobby')}\n${createIn('cn-north-1', 'hall')}`,
      );
    });

    it('a channel to create in cn-northwest-1, which offers no KVS', () => {
      expect(() => buildApp({ createChannels: 'lobby' }, { region: 'cn-northwest-1' })).toThrow(
        'Invalid context "createChannels": Kinesis Video Streams is not offered in cn-northwest-1, the Region this stack deploys to ' +
          '(in aws-cn it is offered in cn-north-1 only), so the stack cannot create a channel there: deploy to a Region that offers it, ' +
          'or serve an existing channel of such a Region by its full ARN (-c channels=arn:…)',
      );
    });

    it("a channel named by its creation time in a deploy Region that offers no KVS (it would be the stack's own Region's)", () => {
      expect(() =>
        buildApp({ channels: 'lobby/1716796800123', createChannels: undefined }, { region: 'us-west-1' }),
      ).toThrow(
        'Invalid context "channels": "lobby/1716796800123" names a channel of this stack\'s own Region, but Kinesis Video Streams ' +
          `is not offered in us-west-1, the Region this stack deploys to (in aws it is offered in ${AWS_REGIONS}): ` +
          'give the full ARN of a channel in a Region that offers it',
      );
    });

    it('a channel to create, in a stack whose own environment is cn-north-1, naming the prop', () => {
      const stack = new Stack(new App({ outdir: cloudAssemblyDir() }), 'Beijing', {
        env: { region: 'cn-north-1' },
      });

      expect(
        () => new IceBroker(stack, 'Broker', { auth: { mode: 'iam' }, createChannels: ['lobby'] }),
      ).toThrow(
        /^Invalid IceBroker prop "createChannels\[0\]": CloudFormation cannot create a signaling channel in cn-north-1 /,
      );
    });
  });

  describe('synthesizes', () => {
    it("a stack in cn-northwest-1 serving a cn-north-1 channel by its ARN (the function calls KVS in the channel's Region)", () => {
      const s = synthesize(
        { channels: BEIJING_CHANNEL, createChannels: undefined },
        { region: 'cn-northwest-1' },
      );

      s.template.resourceCountIs('AWS::KinesisVideo::SignalingChannel', 0);
      expect(JSON.stringify(s.template.toJSON())).toContain(BEIJING_CHANNEL);
    });

    it('channels to create where the deploy Region is unknown or offers them through CloudFormation', () => {
      for (const region of [undefined, 'us-west-2', 'us-gov-west-1']) {
        const { stack } = buildApp({ createChannels: 'lobby' }, { region });

        Template.fromStack(stack).resourceCountIs('AWS::KinesisVideo::SignalingChannel', 1);
      }
    });
  });

  describe('warns about an API that needs an ICP licence in China', () => {
    it.each<[string, Context, string | undefined]>([
      ['auth=jwt with a cn-north-1 channel', { ...JWT, channels: BEIJING_CHANNEL }, undefined],
      ['auth=none with a cn-north-1 channel', { ...NONE, channels: BEIJING_CHANNEL }, undefined],
      ['auth=jwt deployed to cn-northwest-1', { ...JWT, channels: BEIJING_CHANNEL }, 'cn-northwest-1'],
    ])('%s', (_, context, region) => {
      const s = synthesize({ ...context, createChannels: undefined }, { region });

      Annotations.fromStack(s.stack).hasWarning(
        `/${s.stack.broker.node.path}`,
        `${ICP_WARNING(String(context.auth))} [ack: ${RISK_WARNING_ID}]`,
      );
      // The construct (from the ARN) and the app (from the Region) find it both; it prints once.
      expect(
        Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('ICP licence')),
      ).toHaveLength(1);
    });

    it('not with auth=iam in China, nor with auth=jwt elsewhere', () => {
      for (const [context, region] of [
        [{ channels: BEIJING_CHANNEL }, 'cn-north-1'],
        [{ ...JWT, channels: 'lobby/1716796800123' }, 'us-west-2'],
      ] as const) {
        const s = synthesize({ ...context, createChannels: undefined }, { region });

        Annotations.fromStack(s.stack).hasNoWarning('*', Match.stringLikeRegexp('ICP licence'));
      }
    });
  });
});
