import {
  AccessDeniedException,
  DescribeSignalingChannelCommand,
  GetSignalingChannelEndpointCommand,
} from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand, NotAuthorizedException } from '@aws-sdk/client-kinesis-video-signaling';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KVS_ACTIONS } from '../../../lambda/contract';
import { scopedRoleStatements } from '../../../lib/iam-policies';
import { type Emulator, LOCAL_BLOCKED_CALLERS_PARAMETER } from '../../../local/emulator';
import { request, startVendor, rejectionOf as vendorRejection } from '../../lambda/ice-vendor/support/vendor';
import {
  assumeScopedRole,
  type Credentials,
  channelArn,
  kvsClient,
  rejectionOf,
  signalingClient,
  startTestEmulator,
  stsClient,
  withClient,
} from './support/emulator';
import { HandshakeRefused, openSocket, presignedUrl } from './support/signaling';

// On AWS a session of the scoped role may do what both the role's policy and its session policy
// allow. The emulator takes the role's policy from the code the stack writes it with
// (lib/iam-policies.ts), so a grant the stack leaves out fails here as it would there.

const EVERYTHING_KVS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:*', Resource: '*' }],
});
const scopedArn = 'arn:aws:sts::123456789012:assumed-role/kvs-ice-broker-scoped/emulator-test';

describe('a scoped session of a stack serving the viewer route (-c signalingRoles=viewer)', () => {
  let emulator: Emulator;
  let broad: Required<Credentials>;
  beforeAll(async () => {
    emulator = await startTestEmulator({
      scopedRolePolicy: (arns) => scopedRoleStatements(arns, ['VIEWER']),
    });
    broad = await assumeScopedRole(emulator, { policy: EVERYTHING_KVS });
  });
  afterAll(() => emulator.close());

  it('is refused DescribeSignalingChannel, which the role does not grant, though its session policy allows kinesisvideo:*', async () => {
    const arn = channelArn(emulator, 'demo');

    const error = await rejectionOf(
      withClient(kvsClient(emulator, broad), (c) =>
        c.send(new DescribeSignalingChannelCommand({ ChannelARN: arn })),
      ),
    );

    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(error.message).toBe(
      `User: ${scopedArn} is not authorized to perform: kinesisvideo:DescribeSignalingChannel on resource: ${arn} ` +
        'because no identity-based policy allows the kinesisvideo:DescribeSignalingChannel action',
    );
  });

  it('is refused ConnectAsMaster (403), which the role does not grant, though its session policy allows it', async () => {
    const url = await presignedUrl(emulator, { role: 'MASTER', purpose: 'MASTER' });

    const error = await rejectionOf(openSocket(url));

    expect(error).toBeInstanceOf(HandshakeRefused);
    expect(error).toMatchObject({ status: 403, errorType: 'AccessDeniedException' });
  });

  it('may connect as a viewer, which the role grants', async () => {
    const socket = await openSocket(await presignedUrl(emulator, { role: 'VIEWER' }));
    socket.terminate();

    expect(emulator.signaling.stats().connects.ConnectAsViewer).toBe(1);
  });

  it('gets the ICE calls the role grants', async () => {
    const out = await withClient(signalingClient(emulator, broad), (c) =>
      c.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') })),
    );

    expect(out.IceServerList).toHaveLength(2);
  });
});

describe('a scoped role that grants fewer channels than exist', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    // The account has demo and lobby; the stack serves demo only.
    emulator = await startTestEmulator({
      scopedRolePolicy: (arns) =>
        scopedRoleStatements(
          arns.filter((arn) => arn.includes('/demo/')),
          [],
        ),
    });
  });
  afterAll(() => emulator.close());

  it('refuses a channel the role does not grant, whatever the session policy allows', async () => {
    const session = await assumeScopedRole(emulator, { policy: EVERYTHING_KVS });

    const error = await rejectionOf(
      withClient(signalingClient(emulator, session), (c) =>
        c.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'lobby') })),
      ),
    );

    expect(error).toBeInstanceOf(NotAuthorizedException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 401 });
  });

  it('lets an explicit Deny of the session policy win over the Allow of the role', async () => {
    const denyEndpoint = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Action: 'kinesisvideo:*', Resource: '*' },
        { Effect: 'Deny', Action: 'kinesisvideo:GetSignalingChannelEndpoint', Resource: '*' },
      ],
    });
    const session = await assumeScopedRole(emulator, { policy: denyEndpoint });
    const demo = channelArn(emulator, 'demo');

    const error = await rejectionOf(
      withClient(kvsClient(emulator, session), (c) =>
        c.send(new GetSignalingChannelEndpointCommand({ ChannelARN: demo })),
      ),
    );

    expect(error.message).toBe(
      `User: ${scopedArn} is not authorized to perform: kinesisvideo:GetSignalingChannelEndpoint on resource: ${demo} ` +
        'with an explicit deny in a session policy',
    );
  });

  it('names the session policy when the role allows what the session policy does not', async () => {
    const onlyIce = JSON.stringify({
      Statement: { Effect: 'Allow', Action: 'kinesisvideo:GetIceServerConfig', Resource: '*' },
    });
    const session = await assumeScopedRole(emulator, { policy: onlyIce });

    const error = await rejectionOf(
      withClient(kvsClient(emulator, session), (c) =>
        c.send(new GetSignalingChannelEndpointCommand({ ChannelARN: channelArn(emulator, 'demo') })),
      ),
    );

    expect(error.message).toMatch(
      /because no session policy allows the kinesisvideo:GetSignalingChannelEndpoint action$/,
    );
  });
});

describe("the execution role's own grants", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, '{}');
    emulator.setParameter('/another/parameter', 'secret');
  });
  afterAll(() => emulator.close());

  const ssm = (credentials: Credentials) =>
    new SSMClient({ region: emulator.region, endpoint: emulator.url, credentials, maxAttempts: 1 });

  it('may read the blocked-callers parameter', async () => {
    const out = await withClient(ssm(emulator.executionCredentials), (c) =>
      c.send(new GetParameterCommand({ Name: LOCAL_BLOCKED_CALLERS_PARAMETER })),
    );

    expect(out.Parameter?.Value).toBe('{}');
  });

  it('may not read any other parameter', async () => {
    const error = await rejectionOf(
      withClient(ssm(emulator.executionCredentials), (c) =>
        c.send(new GetParameterCommand({ Name: '/another/parameter' })),
      ),
    );

    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/kvs-ice-broker-execution/kvs-ice-broker-function is not ' +
        'authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-west-2:123456789012:parameter/another/parameter ' +
        'because no identity-based policy allows the ssm:GetParameter action',
    );
  });

  it('may assume the scoped role only', async () => {
    const error = await rejectionOf(
      withClient(stsClient(emulator), (c) =>
        c.send(
          new AssumeRoleCommand({
            RoleArn: 'arn:aws:iam::123456789012:role/other',
            RoleSessionName: 'other',
          }),
        ),
      ),
    );

    expect(error.name).toBe('AccessDenied');
    expect(error.message).toMatch(/because no identity-based policy allows the sts:AssumeRole action$/);
  });
});

describe('the developer user', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, '{}');
  });
  afterAll(() => emulator.close());

  it('may assume the scoped role, as the function does', async () => {
    const out = await withClient(stsClient(emulator, emulator.developerCredentials), (c) =>
      c.send(new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'script' })),
    );

    expect(out.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::123456789012:assumed-role/kvs-ice-broker-scoped/script',
    );
  });

  it('may not call KVS signaling itself: only a session of the scoped role may', async () => {
    const error = await rejectionOf(
      withClient(signalingClient(emulator, emulator.developerCredentials), (c) =>
        c.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') })),
      ),
    );

    expect(error).toBeInstanceOf(NotAuthorizedException);
  });

  it('may not read the blocked-callers parameter', async () => {
    const client = new SSMClient({
      region: emulator.region,
      endpoint: emulator.url,
      credentials: emulator.developerCredentials,
      maxAttempts: 1,
    });

    const error = await rejectionOf(
      client.send(new GetParameterCommand({ Name: LOCAL_BLOCKED_CALLERS_PARAMETER })),
    );
    client.destroy();

    expect(error.name).toBe('AccessDeniedException');
  });
});

describe('a stack that left a grant out of the scoped role', () => {
  it.each(KVS_ACTIONS)('fails locally, as on AWS, when the role lacks %s', async (missing) => {
    const sut = await startVendor({
      emulatorOptions: {
        scopedRolePolicy: (arns) =>
          scopedRoleStatements(arns, []).map((statement) => ({
            ...statement,
            Action: statement.Action.filter((action) => action !== missing),
          })),
      },
    });
    try {
      const error = await vendorRejection(sut.vendor.vend(request()));

      expect(error.code).toBe('UpstreamError');
      expect(error.message).toMatch(/was denied by IAM; tell the operator/);
    } finally {
      await sut.close();
    }
  });
});
