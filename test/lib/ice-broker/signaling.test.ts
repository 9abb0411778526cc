import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createBroker,
  logicalId,
  removeCloudAssemblies,
  type Synthesized,
  synthesize,
} from '../support/synth';
import { parseJoinedJson } from '../support/tokens';

const LOBBY_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/lobby/1716796800123';
/** One existing channel, none created: every ARN in the template is the lobby's. */
const LOBBY_ONLY = { channels: LOBBY_ARN, createChannels: undefined };
const JWT = { auth: 'jwt', jwtIssuer: 'https://issuer.example.com', jwtAudience: 'app' };

/** The scoped role's inline statements. */
function scopedStatements(s: Synthesized): { Action: unknown; Resource: unknown }[] {
  const id = logicalId(s, s.stack.broker.scopedRole);
  const role = s.template.toJSON().Resources[id];
  return role.Properties.Policies[0].PolicyDocument.Statement;
}

/** The actions the scoped role allows, flattened. */
const scopedActions = (s: Synthesized): string[] =>
  scopedStatements(s).flatMap((statement) => [statement.Action].flat() as string[]);

describe('signaling routes', () => {
  afterAll(removeCloudAssemblies);

  it('are off by default: no route, no Connect action, no environment', () => {
    const s = synthesize({ ...LOBBY_ONLY });

    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    expect(scopedActions(s).filter((action) => action.includes('Connect'))).toEqual([]);
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SIGNALING_ROLES: Match.absent() }) },
    });
  });

  it('with signalingRoles=viewer, grant ConnectAsViewer and no ConnectAsMaster, on the configured channels only', () => {
    const s = synthesize({ ...LOBBY_ONLY, signalingRoles: 'viewer' });

    const connect = scopedStatements(s).find((statement) =>
      [statement.Action].flat().includes('kinesisvideo:ConnectAsViewer'),
    );
    expect(connect?.Resource).toBe(LOBBY_ARN);
    expect(scopedActions(s)).not.toContain('kinesisvideo:ConnectAsMaster');
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/channels/{channel}/viewer',
      AuthorizationType: 'AWS_IAM',
    });
    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SIGNALING_ROLES: 'viewer' }) },
    });
  });

  it('with signalingRoles=viewer,master, grant both Connect actions on the configured channels only', () => {
    const s = synthesize({ ...LOBBY_ONLY, signalingRoles: 'viewer,master' });

    const connect = scopedStatements(s).find((statement) =>
      [statement.Action].flat().includes('kinesisvideo:ConnectAsMaster'),
    );
    expect(connect?.Action).toEqual(expect.arrayContaining(['kinesisvideo:ConnectAsViewer']));
    expect(connect?.Resource).toBe(LOBBY_ARN);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/channels/{channel}/master',
      AuthorizationType: 'AWS_IAM',
    });
  });

  it('show viewer and master apart in the ClientPolicyStatement output (auth=iam)', () => {
    const s = synthesize({ ...LOBBY_ONLY, signalingRoles: 'viewer,master' });
    const [output] = Object.values(s.template.findOutputs('ClientPolicyStatement'));

    const statements = parseJoinedJson(output?.Value) as { Sid: string; Resource: string[] }[];

    expect(statements.map((statement) => statement.Sid)).toEqual([
      'IceServers',
      'SignalingViewer',
      'SignalingMaster',
    ]);
    expect(statements[1]?.Resource).toEqual([expect.stringMatching(/\/POST\/v1\/channels\/lobby\/viewer$/)]);
    expect(statements[2]?.Resource).toEqual([expect.stringMatching(/\/POST\/v1\/channels\/lobby\/master$/)]);
  });

  it('with auth=jwt and the master role, give the function the master channels claim', () => {
    const s = synthesize({
      ...JWT,
      ...LOBBY_ONLY,
      signalingRoles: 'viewer,master',
      masterChannelsClaim: 'master_channels',
    });

    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SIGNALING_ROLES: 'viewer,master',
          MASTER_CHANNELS_CLAIM: 'master_channels',
        }),
      },
    });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/channels/{channel}/master',
      AuthorizationType: 'JWT',
    });
  });

  it('pass -c viewerSlotsPerCaller to the function, and leave it to the default when unset', () => {
    const tuned = synthesize({ ...LOBBY_ONLY, signalingRoles: 'viewer', viewerSlotsPerCaller: '2' });
    const plain = synthesize({ ...LOBBY_ONLY, signalingRoles: 'viewer' });

    tuned.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ VIEWER_SLOTS_PER_CALLER: '2' }) },
    });
    plain.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ VIEWER_SLOTS_PER_CALLER: Match.absent() }) },
    });
  });

  it.each([
    [
      'viewerSlotsPerCaller above the channel quota',
      { signalingRoles: 'viewer', viewerSlotsPerCaller: '11' },
      /Invalid context "viewerSlotsPerCaller": 11 must be a whole number from 1 to 10/,
    ],
    [
      'viewerSlotsPerCaller of 0',
      { signalingRoles: 'viewer', viewerSlotsPerCaller: '0' },
      /Invalid context "viewerSlotsPerCaller": 0 must be a whole number from 1 to 10/,
    ],
    [
      'viewerSlotsPerCaller without the viewer route',
      { viewerSlotsPerCaller: '2' },
      /Invalid context "viewerSlotsPerCaller": only applies with the viewer route/,
    ],
    [
      'auth=jwt with the master role and no masterChannelsClaim',
      { ...JWT, signalingRoles: 'viewer,master' },
      /Invalid context "masterChannelsClaim": auth=jwt with the master role needs the claim/,
    ],
    [
      'a masterChannelsClaim without the master role',
      { ...JWT, signalingRoles: 'viewer', masterChannelsClaim: 'master_channels' },
      /Invalid context "masterChannelsClaim": only applies with auth=jwt and the master role/,
    ],
    [
      'a masterChannelsClaim with auth=iam',
      { signalingRoles: 'viewer,master', masterChannelsClaim: 'master_channels' },
      /Invalid context "masterChannelsClaim": only applies with -c auth=jwt/,
    ],
    ['an unknown role', { signalingRoles: 'viewer,admin' }, /Invalid context "signalingRoles": "admin"/],
    [
      'the master role alone',
      { signalingRoles: 'master' },
      /Invalid context "signalingRoles": the master role needs/,
    ],
    [
      'the master role with auth=none',
      { auth: 'none', allowUnauthenticated: 'true', signalingRoles: 'viewer,master' },
      /Invalid context "signalingRoles"/,
    ],
  ])('refuse %s at synth, naming the key', (_, context, message) => {
    expect(() => synthesize({ ...LOBBY_ONLY, ...context })).toThrow(message);
  });

  it('refuse at synth a masterChannelsClaim that is the channelsClaim, which would let every viewer master', () => {
    const context = {
      ...JWT,
      ...LOBBY_ONLY,
      signalingRoles: 'viewer,master',
      channelsClaim: 'channels',
      masterChannelsClaim: 'channels',
    };

    expect(() => synthesize(context)).toThrow(
      'Invalid context "masterChannelsClaim" / "channelsClaim": masterChannelsClaim must name a different claim ' +
        'than channelsClaim ("channels"): the same claim would let every caller who may view a channel master it',
    );
  });

  it('take claim names that differ only in case as two claims, as API Gateway does', () => {
    const context = {
      ...JWT,
      ...LOBBY_ONLY,
      signalingRoles: 'viewer,master',
      channelsClaim: 'channels',
      masterChannelsClaim: 'Channels',
    };

    expect(() => synthesize(context)).not.toThrow();
  });

  it('let the construct grant a principal one role on chosen channels (auth=iam)', () => {
    const broker = createBroker({
      createChannels: ['demo', 'backyard'],
      signalingRoles: ['viewer', 'master'],
    });
    const role = new Role(broker, 'CameraRole', { assumedBy: new AccountRootPrincipal() });

    broker.grantConnect(role, 'MASTER', ['backyard']);

    const policies = Object.values(
      Template.fromStack(Stack.of(broker)).findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('CameraRole') }] },
      }),
    );
    expect(JSON.stringify(policies)).toContain('/POST/v1/channels/backyard/master');
    expect(JSON.stringify(policies)).not.toContain('/viewer');
  });
});

describe('storage-session routes (storageSessions)', () => {
  afterAll(removeCloudAssemblies);

  it('are off by default: no storage-session route, no join action', () => {
    const s = synthesize({ ...LOBBY_ONLY, signalingRoles: 'viewer,master' });

    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
    expect(scopedActions(s).filter((action) => action.includes('Storage'))).toEqual([]);
  });

  it('with viewer,master, grant JoinStorageSession and JoinStorageSessionAsViewer to the scoped role alone, on the configured channels only', () => {
    const s = synthesize({
      ...LOBBY_ONLY,
      auth: 'iam',
      signalingRoles: 'viewer,master',
      storageSessions: 'true',
    });

    const joining = scopedStatements(s).filter((statement) =>
      [statement.Action].flat().some((action) => String(action).includes('JoinStorageSession')),
    );
    expect(scopedActions(s)).toEqual(
      expect.arrayContaining(['kinesisvideo:JoinStorageSession', 'kinesisvideo:JoinStorageSessionAsViewer']),
    );
    for (const statement of joining) expect(statement.Resource).toBe(LOBBY_ARN);
    // No other policy of the template names a join: the execution role has no kinesisvideo action.
    const scopedRoleId = logicalId(s, s.stack.broker.scopedRole);
    const elsewhere = Object.entries(s.template.toJSON().Resources as Record<string, unknown>).filter(
      ([id, resource]) => id !== scopedRoleId && JSON.stringify(resource).includes('JoinStorageSession'),
    );
    expect(elsewhere).toEqual([]);
  });

  it('add one route per served role, each with its own join action on the configured channels only', () => {
    const s = synthesize({ ...LOBBY_ONLY, signalingRoles: 'viewer', storageSessions: 'true' });

    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/channels/{channel}/storage-session/viewer',
      AuthorizationType: 'AWS_IAM',
    });
    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
    const storage = scopedStatements(s).find((statement) =>
      [statement.Action].flat().includes('kinesisvideo:JoinStorageSessionAsViewer'),
    );
    expect(storage?.Action).toEqual(
      expect.arrayContaining([
        'kinesisvideo:DescribeMediaStorageConfiguration',
        'kinesisvideo:JoinStorageSessionAsViewer',
      ]),
    );
    expect(storage?.Resource).toBe(LOBBY_ARN);
    expect(scopedActions(s)).not.toContain('kinesisvideo:JoinStorageSession');
  });

  it("give each role's client statement its storage-session route in the ClientPolicyStatement output (auth=iam)", () => {
    const s = synthesize({ ...LOBBY_ONLY, signalingRoles: 'viewer,master', storageSessions: 'true' });
    const [output] = Object.values(s.template.findOutputs('ClientPolicyStatement'));

    const statements = parseJoinedJson(output?.Value) as { Sid: string; Resource: string[] }[];

    expect(statements[1]?.Resource).toEqual([
      expect.stringMatching(/\/POST\/v1\/channels\/lobby\/viewer$/),
      expect.stringMatching(/\/POST\/v1\/channels\/lobby\/storage-session\/viewer$/),
    ]);
    expect(statements[2]?.Resource).toEqual([
      expect.stringMatching(/\/POST\/v1\/channels\/lobby\/master$/),
      expect.stringMatching(/\/POST\/v1\/channels\/lobby\/storage-session\/master$/),
    ]);
  });

  it("let the construct grant joining as a viewer without joining as the master: the route's path names the role (auth=iam)", () => {
    const broker = createBroker({
      createChannels: ['demo', 'backyard'],
      signalingRoles: ['viewer', 'master'],
      storageSessions: true,
    });
    const role = new Role(broker, 'WatcherRole', { assumedBy: new AccountRootPrincipal() });

    broker.grantStorageSession(role, 'VIEWER', ['backyard']);

    const policies = JSON.stringify(
      Template.fromStack(Stack.of(broker)).findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('WatcherRole') }] },
      }),
    );
    expect(policies).toContain('/POST/v1/channels/backyard/storage-session/viewer');
    expect(policies).not.toContain('/master');
  });

  it('refuse to grant the storage-session route of a role the deployment does not serve', () => {
    const broker = createBroker({
      createChannels: ['demo'],
      signalingRoles: ['viewer'],
      storageSessions: true,
    });
    const role = new Role(broker, 'CameraRole', { assumedBy: new AccountRootPrincipal() });

    expect(() => broker.grantStorageSession(role, 'MASTER')).toThrow(
      'grantStorageSession needs mode "iam", storageSessions and the master role among signalingRoles',
    );
  });

  it('refuse storageSessions without signalingRoles at synth: a join needs a signaling connection', () => {
    expect(() => synthesize({ ...LOBBY_ONLY, storageSessions: 'true' })).toThrow(
      'needs the signaling routes (-c signalingRoles=viewer or viewer,master): a storage session joins the signaling connection of a viewer or master',
    );
  });
});
