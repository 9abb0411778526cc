import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeCloudAssemblies, type Synthesized, synthesize } from '../support/synth';
import { joinedText, parseJoinedJson } from '../support/tokens';

const LOBBY_ARN = 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123';

function channelsValue(s: Synthesized): unknown {
  const [fn] = Object.values(s.template.findResources('AWS::Lambda::Function'));
  return fn?.Properties.Environment.Variables.CHANNELS;
}

/** The function's CHANNELS variable as a JSON string with CloudFormation references kept as text. */
function channelsVariable(s: Synthesized): string {
  return joinedText(channelsValue(s));
}

function parseChannels(s: Synthesized): Record<string, string> {
  return parseJoinedJson(channelsValue(s));
}

describe('signaling channels', () => {
  let s: Synthesized;

  afterAll(removeCloudAssemblies);

  beforeAll(() => {
    s = synthesize({
      channels: [LOBBY_ARN, 'cam-01/1716796800124'],
      createChannels: 'demo, backyard',
    });
  });

  it('creates a SINGLE_MASTER signaling channel for each name in createChannels', () => {
    s.template.resourceCountIs('AWS::KinesisVideo::SignalingChannel', 2);
    s.template.hasResourceProperties('AWS::KinesisVideo::SignalingChannel', {
      Name: 'demo',
      Type: 'SINGLE_MASTER',
    });
    s.template.hasResourceProperties('AWS::KinesisVideo::SignalingChannel', {
      Name: 'backyard',
      Type: 'SINGLE_MASTER',
    });
  });

  it('tells the function the ARN of every served channel, by name', () => {
    const channels = parseChannels(s);

    expect(Object.keys(channels).sort()).toEqual(['backyard', 'cam-01', 'demo', 'lobby']);
    expect(channels.lobby).toBe(LOBBY_ARN);
  });

  it('builds the ARN of a name/creationTime channel from the stack partition, Region and account', () => {
    const channels = channelsVariable(s);

    expect(channels).toContain(
      '"cam-01":"arn:<{"Ref":"AWS::Partition"}>:kinesisvideo:<{"Ref":"AWS::Region"}>:<{"Ref":"AWS::AccountId"}>:channel/cam-01/1716796800124"',
    );
  });

  it('uses the ARN CloudFormation returns for a created channel', () => {
    const [demo] = s.stack.broker.createdChannels;
    const demoId = demo ? s.stack.getLogicalId(demo) : 'missing';

    const channels = channelsVariable(s);

    expect(channels).toContain(`"demo":"<${JSON.stringify({ 'Fn::GetAtt': [demoId, 'Arn'] })}>"`);
  });

  it('creates no channel when createChannels is empty', () => {
    const existingOnly = synthesize({ channels: LOBBY_ARN, createChannels: '' });

    existingOnly.template.resourceCountIs('AWS::KinesisVideo::SignalingChannel', 0);
    existingOnly.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHANNELS: JSON.stringify({ lobby: LOBBY_ARN }) }) },
    });
  });
});
