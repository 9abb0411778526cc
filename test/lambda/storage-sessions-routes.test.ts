import { DescribeMediaStorageConfigurationCommand } from '@aws-sdk/client-kinesis-video';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  authorized,
  buildHandler,
  captureLogs,
  DEMO_ARN,
  event,
  healthyUpstream,
  kvs,
  parse,
  sts,
} from './support/handler';

// The function with storageSessions (WebRTC ingestion), KVS answered by the SDK mocks: what the
// signaling answers say of media storage, and the storage-session route's refusals. The joins
// themselves go through the storage API's own HTTP call (not an SDK client): they are tested
// against the emulator (test/lambda/storage/storage-api.test.ts) and in Chromium
// (test/browser/storage-session.test.ts).

const STREAM_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/demo-storage/1700000000002';
/** Signed by an IAM user, as API Gateway passes it on with auth mode `iam`. */
const signed = (base: ReturnType<typeof event>) =>
  authorized(base, { iam: { userArn: 'arn:aws:iam::123456789012:user/camera' } });
const viewer = () => signed(event('demo', {}, {}, 'viewer'));
const master = () => signed(event('demo', {}, {}, 'master'));
const join = (role: 'viewer' | 'master', body: unknown) =>
  signed(event('demo', body, {}, `storage-session/${role}`));

function recording(status: 'ENABLED' | 'DISABLED'): void {
  kvs.on(DescribeMediaStorageConfigurationCommand).resolves({
    MediaStorageConfiguration: {
      Status: status,
      ...(status === 'ENABLED' ? { StreamARN: STREAM_ARN } : {}),
    },
  });
}

describe('the signaling answers with storageSessions', () => {
  beforeEach(() => healthyUpstream());
  const handler = () =>
    buildHandler({ signalingRoles: ['viewer', 'master'], authMode: 'iam', storageSessions: true });

  it('tells a viewer of a channel that records media which storage-session join to make, with its own ClientId', async () => {
    recording('ENABLED');

    const { status, body } = parse(await handler()(viewer()));

    expect(status).toBe(200);
    expect(body.mediaStorage).toEqual({
      enabled: true,
      join: { path: '/v1/channels/demo/storage-session/viewer', body: { clientId: body.clientId } },
    });
  });

  it("hands one caller at most 2 viewer ClientIds on a channel that records media, so one token never holds all 3 of a storage session's viewer places", async () => {
    recording('ENABLED');
    const served = handler(); // viewerSlotsPerCaller at its default, 3

    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(parse(await served(viewer())).body);

    expect(answers.map((body) => body.viewerSlot)).toEqual([0, 1, 0, 1].map((slot) => ({ slot, of: 2 })));
    expect(new Set(answers.map((body) => body.mediaStorage.join.body.clientId)).size).toBe(2);
  });

  it('tells the master of a channel that records no media to connect peer to peer', async () => {
    recording('DISABLED');

    const { status, body } = parse(await handler()(master()));

    expect(status).toBe(200);
    expect(body.mediaStorage).toEqual({ enabled: false });
  });

  it('refuses the answer, with no URL, when KVS cannot say whether the channel records media', async () => {
    kvs.on(DescribeMediaStorageConfigurationCommand).rejects(
      Object.assign(new Error('unavailable'), {
        name: 'ServiceUnavailableException',
        $metadata: { httpStatusCode: 503 },
      }),
    );

    const { status, body } = parse(await handler()(viewer()));

    expect(status).toBe(503);
    expect(body.error.code).toBe('Unavailable');
    expect(JSON.stringify(body)).not.toContain('X-Amz-Signature');
  });

  it('reads the storage status with a session whose policy allows only DescribeMediaStorageConfiguration on that channel', async () => {
    recording('ENABLED');

    await handler()(viewer());

    const describing = sts
      .commandCalls(AssumeRoleCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.RoleSessionName === 'storage-demo');
    expect(JSON.parse(describing?.Policy ?? 'null')).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['kinesisvideo:DescribeMediaStorageConfiguration'], Resource: DEMO_ARN },
      ],
    });
  });

  it('says nothing of media storage without storageSessions, and never asks KVS', async () => {
    const { body } = parse(await buildHandler({ signalingRoles: ['viewer'], authMode: 'iam' })(viewer()));

    expect(body).not.toHaveProperty('mediaStorage');
    expect(kvs.commandCalls(DescribeMediaStorageConfigurationCommand)).toHaveLength(0);
  });
});

describe('the storage-session route', () => {
  beforeEach(() => healthyUpstream());

  it('is refused with 403 where the deployment does not serve storage sessions', async () => {
    const { status, body } = parse(
      await buildHandler({ signalingRoles: ['viewer'], authMode: 'iam' })(
        join('viewer', { clientId: 'x.v0' }),
      ),
    );

    expect(status).toBe(403);
    expect(body.error).toEqual({
      code: 'ChannelNotAllowed',
      message: 'this API does not serve storage sessions',
    });
  });

  it.each([
    ['a viewer join without its clientId', 'viewer', {}],
    ['a master join with a clientId', 'master', { clientId: 'x.v0' }],
    ['a role in the body (the path names it)', 'master', { role: 'MASTER' }],
    ['another field', 'viewer', { clientId: 'x.v0', transports: ['udp'] }],
    ['a clientId KVS would refuse', 'viewer', { clientId: 'x v0' }],
  ] as const)('refuses %s with 400 InvalidRequest, before any call to AWS', async (_, role, body) => {
    const handler = buildHandler({
      signalingRoles: ['viewer', 'master'],
      authMode: 'iam',
      storageSessions: true,
    });

    const { status, body: answer } = parse(await handler(join(role, body)));

    expect(status).toBe(400);
    expect(answer.error.code).toBe('InvalidRequest');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('refuses a ClientId the viewer route did not issue to the caller with 403, before any call to AWS', async () => {
    const handler = buildHandler({ signalingRoles: ['viewer'], authMode: 'iam', storageSessions: true });

    const { status, body } = parse(await handler(join('viewer', { clientId: 'someone-else.v0' })));

    expect(status).toBe(403);
    expect(body.error).toEqual({
      code: 'ChannelNotAllowed',
      message:
        'clientId is not a viewer ClientId this API issued to you: use the clientId of your viewer answer',
    });
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('refuses a join on a channel that records no media with 400, without joining', async () => {
    recording('DISABLED');
    const handler = buildHandler({
      signalingRoles: ['viewer', 'master'],
      authMode: 'iam',
      storageSessions: true,
    });

    const { status, body } = parse(await handler(join('master', {})));

    expect(status).toBe(400);
    expect(body.error).toEqual({
      code: 'InvalidRequest',
      message:
        'channel "demo" does not record media: connect through its master route without a storage session',
    });
  });

  it("logs the refused join with the upstream calls it made: the storage status session's AssumeRole and DescribeMediaStorageConfiguration", async () => {
    recording('DISABLED');

    const { logs } = await captureLogs(() =>
      buildHandler({
        signalingRoles: ['viewer', 'master'],
        authMode: 'iam',
        storageSessions: true,
        logLevel: 'INFO',
      })(join('master', {})),
    );
    const refused = logs
      .split('\n')
      .filter((line) => line.includes('"request refused"'))
      .map((line) => JSON.parse(line));

    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ status: 400, upstreamCalls: 2 });
  });
});
