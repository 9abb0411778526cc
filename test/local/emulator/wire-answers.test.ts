import {
  AccessDeniedException,
  DescribeSignalingChannelCommand,
  ListSignalingChannelsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, LOCAL_BLOCKED_CALLERS_PARAMETER } from '../../../local/emulator';
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
import { callOperation } from './support/wire';

// What AWS answers that the emulator once could not: the operations a user's script calls first,
// who the caller is, the JSON error bodies botocore reads, SSM as one of the protocols.

describe('the KVS control plane a script calls first', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({ channels: ['demo', 'lobby', 'lobby-2'] });
  });
  afterAll(() => emulator.close());

  const kvs = (credentials: Credentials = emulator.developerCredentials) => kvsClient(emulator, credentials);

  it('describes a channel by name: its ARN, SINGLE_MASTER, ACTIVE, created when the emulator started', async () => {
    const out = await withClient(kvs(), (c) =>
      c.send(new DescribeSignalingChannelCommand({ ChannelName: 'demo' })),
    );

    const arn = channelArn(emulator, 'demo');
    expect(out.ChannelInfo).toMatchObject({
      ChannelName: 'demo',
      ChannelARN: arn,
      ChannelType: 'SINGLE_MASTER',
      ChannelStatus: 'ACTIVE',
      SingleMasterConfiguration: { MessageTtlSeconds: 60 },
    });
    expect(out.ChannelInfo?.CreationTime?.getTime()).toBe(Number(arn.split('/').at(-1)));
  });

  it('describes a channel by ARN', async () => {
    const arn = channelArn(emulator, 'lobby');

    const out = await withClient(kvs(), (c) =>
      c.send(new DescribeSignalingChannelCommand({ ChannelARN: arn })),
    );

    expect(out.ChannelInfo?.ChannelName).toBe('lobby');
  });

  it('answers ResourceNotFoundException (404) for a channel name that does not exist', async () => {
    const error = await rejectionOf(
      withClient(kvs(), (c) => c.send(new DescribeSignalingChannelCommand({ ChannelName: 'ghost' }))),
    );

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 404 });
  });

  it('answers InvalidArgumentException for neither or both of ChannelName and ChannelARN', async () => {
    const neither = await rejectionOf(
      withClient(kvs(), (c) => c.send(new DescribeSignalingChannelCommand({}))),
    );

    expect(neither.name).toBe('InvalidArgumentException');
    expect(neither.message).toBe('Specify either ChannelName or ChannelARN, not both.');
  });

  it('lists the channels by name, filtered by a name prefix', async () => {
    const out = await withClient(kvs(), (c) =>
      c.send(
        new ListSignalingChannelsCommand({
          ChannelNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'lobby' },
        }),
      ),
    );

    expect(out.ChannelInfoList?.map((c) => c.ChannelName)).toEqual(['lobby', 'lobby-2']);
    expect(out.NextToken).toBeUndefined();
  });

  it('lists a page at a time with NextToken', async () => {
    const first = await withClient(kvs(), (c) => c.send(new ListSignalingChannelsCommand({ MaxResults: 2 })));
    const rest = await withClient(kvs(), (c) =>
      c.send(new ListSignalingChannelsCommand({ MaxResults: 2, NextToken: first.NextToken })),
    );

    expect(first.ChannelInfoList?.map((c) => c.ChannelName)).toEqual(['demo', 'lobby']);
    expect(rest.ChannelInfoList?.map((c) => c.ChannelName)).toEqual(['lobby-2']);
    expect(rest.NextToken).toBeUndefined();
  });

  it('refuses the function (its execution role has no kinesisvideo permission) with AccessDeniedException (401)', async () => {
    const error = await rejectionOf(
      withClient(kvs(emulator.executionCredentials), (c) => c.send(new ListSignalingChannelsCommand({}))),
    );

    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 401 });
    expect(error.message).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/kvs-ice-broker-execution/kvs-ice-broker-function is not authorized to perform: kinesisvideo:ListSignalingChannels on resource: * because no identity-based policy allows the kinesisvideo:ListSignalingChannels action',
    );
  });
});

describe('who the caller is (STS GetCallerIdentity)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  const whoAmI = (credentials: Credentials) =>
    withClient(stsClient(emulator, credentials), (c) => c.send(new GetCallerIdentityCommand({})));

  it("names the function's credentials as a session of its execution role, as Lambda's are", async () => {
    const out = await whoAmI(emulator.executionCredentials);

    expect(out.Arn).toBe(
      'arn:aws:sts::123456789012:assumed-role/kvs-ice-broker-execution/kvs-ice-broker-function',
    );
    expect(out.UserId).toMatch(/^AROA[A-Z2-7]{16}:kvs-ice-broker-function$/);
    expect(out.Account).toBe('123456789012');
  });

  it('names the developer user by its IAM user ARN and AIDA id', async () => {
    const out = await whoAmI(emulator.developerCredentials);

    expect(out.Arn).toBe(emulator.developerArn);
    expect(out.UserId).toMatch(/^AIDA[A-Z2-7]{16}$/);
  });

  it("names a scoped session as AssumeRole's AssumedRoleUser does", async () => {
    const assumed = await withClient(stsClient(emulator), (c) =>
      c.send(new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'who' })),
    );
    const c = assumed.Credentials;

    const out = await whoAmI({
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken,
    });

    expect(out.Arn).toBe(assumed.AssumedRoleUser?.Arn);
    expect(out.UserId).toBe(assumed.AssumedRoleUser?.AssumedRoleId);
  });

  it('answers an Action STS does not have with InvalidAction (400)', async () => {
    const answer = await callOperation(emulator, 'GetCallerIdentity', {}, emulator.developerCredentials);
    const body = new URLSearchParams({ Action: 'GetSessionToken', Version: '2011-06-15' });
    const response = await fetch(emulator.url, { method: 'POST', body });

    expect(answer.status).toBe(200);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidAction</Code>');
  });
});

describe('KVS error bodies as botocore reads them', () => {
  let emulator: Emulator;
  let session: Required<Credentials>;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    session = await assumeScopedRole(emulator);
  });
  afterAll(() => emulator.close());

  it('carries the message of a modelled error in Message', async () => {
    const ghost = channelArn(emulator, 'demo').replace('/demo/', '/ghost/');

    const answer = await callOperation(emulator, 'GetIceServerConfig', { ChannelARN: ghost }, session);

    expect(answer.code).toBe('NotAuthorizedException');
    expect(JSON.parse(answer.text)).toEqual({ Message: expect.stringContaining('is not authorized') });
  });

  it('answers a member of the wrong JSON type with SerializationException, before any validation', async () => {
    const answer = await callOperation(emulator, 'GetIceServerConfig', { ChannelARN: 42 }, session);

    expect(answer).toMatchObject({ status: 400, code: 'SerializationException' });
    expect(JSON.parse(answer.text)).toEqual({ message: "Expected a string at 'channelARN', got a number." });
  });

  it('answers a nested member of the wrong JSON type with SerializationException', async () => {
    const answer = await callOperation(
      emulator,
      'GetSignalingChannelEndpoint',
      {
        ChannelARN: channelArn(emulator, 'demo'),
        SingleMasterChannelEndpointConfiguration: { Protocols: 'HTTPS' },
      },
      session,
    );

    expect(answer).toMatchObject({ status: 400, code: 'SerializationException' });
  });

  it('lists every constraint violation in one InvalidArgumentException, in AWS validation words', async () => {
    const client = signalingClient(emulator, session);

    const error = await rejectionOf(
      client.send(
        new GetIceServerConfigCommand({
          ChannelARN: channelArn(emulator, 'demo'),
          ClientId: 'user@example.com',
          Username: '',
        }),
      ),
    );
    client.destroy();

    expect(error.name).toBe('InvalidArgumentException');
    expect(error.message).toBe(
      "2 validation errors detected: Value 'user@example.com' at 'clientId' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; ' +
        "Value '' at 'username' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });
});

describe('SSM GetParameter in the shared protocol table', () => {
  let emulator: Emulator;
  const ssm = (credentials: Credentials) =>
    new SSMClient({ region: emulator.region, endpoint: emulator.url, credentials, maxAttempts: 1 });
  const read = () =>
    withClient(ssm(emulator.executionCredentials), (c) =>
      c.send(new GetParameterCommand({ Name: LOCAL_BLOCKED_CALLERS_PARAMETER })),
    );
  beforeAll(async () => {
    emulator = await startTestEmulator({ rateClock: () => 0 });
    emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, '{}');
  });
  afterAll(() => emulator.close());

  it('counts its calls in the stats as every operation', async () => {
    emulator.resetStats();

    await read();

    expect(emulator.stats().operations.GetParameter).toBe(1);
  });

  it("throttles past Parameter Store's 40 TPS with ThrottlingException (400)", async () => {
    emulator.setQuotas({ limits: { GetParameter: { perAccount: 2 } } });
    try {
      await read();
      await read();

      const error = await rejectionOf(read());

      expect(error.name).toBe('ThrottlingException');
      expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });
    } finally {
      emulator.setQuotas({ limits: { GetParameter: { perAccount: 40 } } });
    }
  });

  it('answers a fault injected into it, as the other operations do', async () => {
    emulator.setFault('GetParameter', { kind: 'serverError', times: 1 });

    const error = await rejectionOf(read());

    expect(error.name).toBe('InternalServerError');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500 });
  });

  it('answers another SSM operation with an awsJson UnknownOperationException, not an STS XML error', async () => {
    const response = await fetch(emulator.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSSM.PutParameter', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({
      __type: 'UnknownOperationException',
      message: 'Unknown operation AmazonSSM.PutParameter',
    });
  });
});
