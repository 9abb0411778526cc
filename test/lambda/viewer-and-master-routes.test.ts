import { GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
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
  kvsServer,
  NOW,
  parse,
  SESSION,
  signaling,
  sts,
  withToken,
} from './support/handler';

const WSS_ENDPOINT = 'wss://m-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com';
const ISSUER = 'https://issuer.example.com';

const viewer = (body?: unknown) => event('demo', body, {}, 'viewer');
const master = (body?: unknown) => event('demo', body, {}, 'master');
const withClaims = (base: ReturnType<typeof event>, claims: Record<string, unknown>) =>
  withToken(base, { iss: ISSUER, sub: 'alice', ...claims });

/** The session policies AssumeRole was asked for, by role session name. */
function sessionPolicies(): Record<string, unknown> {
  return Object.fromEntries(
    sts.commandCalls(AssumeRoleCommand).map((call) => {
      const { RoleSessionName, Policy } = call.args[0].input;
      return [RoleSessionName, JSON.parse(Policy ?? 'null')];
    }),
  );
}

describe('the viewer route', () => {
  beforeEach(() => healthyUpstream());

  it('returns the ICE servers and the WSS endpoint presigned for ConnectAsViewer, in one answer', async () => {
    const handler = buildHandler({ signalingRoles: ['viewer'] });

    const { status, body } = parse(await handler(viewer()));

    expect(status).toBe(200);
    expect(body).toMatchObject({ role: 'VIEWER', channelArn: DEMO_ARN, region: 'us-west-2', ttl: 300 });
    expect(body.iceServers).toHaveLength(3);
    const url = new URL(body.signaling.url);
    expect(`${url.protocol}//${url.host}`).toBe(WSS_ENDPOINT);
    expect(url.searchParams.get('X-Amz-ChannelARN')).toBe(DEMO_ARN);
    expect(url.searchParams.get('X-Amz-ClientId')).toBe(body.clientId);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(SESSION.SessionToken);
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^ASIASCOPEDSESSION0001\/\d{8}\/us-west-2\/kinesisvideo\/aws4_request$/,
    );
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs URLs for at most 300 seconds and says when they expire', async () => {
    const { body } = parse(await buildHandler({ signalingRoles: ['viewer'] })(viewer()));

    expect(new URL(body.signaling.url).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(body.signaling.expiresAt).toBe(new Date(NOW + 300_000).toISOString());
  });

  it('never signs a URL that outlives the scoped session', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: { ...SESSION, Expiration: new Date(NOW + 200_000) } });

    const { body } = parse(await buildHandler({ signalingRoles: ['viewer'] })(viewer()));

    expect(new URL(body.signaling.url).searchParams.get('X-Amz-Expires')).toBe('200');
    expect(body.signaling.expiresAt).toBe(new Date(NOW + 200_000).toISOString());
  });

  it('presigns with a session whose policy allows only ConnectAsViewer on that one channel', async () => {
    await buildHandler({ signalingRoles: ['viewer'] })(viewer());

    expect(sessionPolicies()['viewer-demo']).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['kinesisvideo:ConnectAsViewer'], Resource: DEMO_ARN }],
    });
  });

  it('hands one caller at most viewerSlotsPerCaller ClientIds on a channel, in turn, so its next connection replaces its oldest', async () => {
    const handler = buildHandler({ authMode: 'jwt', signalingRoles: ['viewer'], viewerSlotsPerCaller: 3 });

    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(parse(await handler(withClaims(viewer(), {}))).body);

    const ids = answers.map((body) => body.clientId);
    const [stable] = ids[0].split('.');
    expect(stable).toMatch(/^u-[\w-]{32}$/);
    expect(ids).toEqual([`${stable}.v0`, `${stable}.v1`, `${stable}.v2`, `${stable}.v0`, `${stable}.v1`]);
    expect(answers.map((body) => body.viewerSlot)).toEqual([0, 1, 2, 0, 1].map((slot) => ({ slot, of: 3 })));
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9_.-]{1,256}$/);
  });

  it("takes no viewer ClientId for a request that fails: the caller's next answer gets the slot", async () => {
    const handler = buildHandler({ authMode: 'jwt', signalingRoles: ['viewer'], viewerSlotsPerCaller: 3 });
    signaling
      .on(GetIceServerConfigCommand)
      .rejectsOnce(
        Object.assign(new Error('internal'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }),
      )
      .resolves({ IceServerList: [kvsServer(1), kvsServer(2)] });

    const failed = parse(await handler(withClaims(viewer(), {})));
    const next = parse(await handler(withClaims(viewer(), {})));

    expect(failed.status).toBe(502);
    expect(next.status).toBe(200);
    expect(next.body.viewerSlot).toEqual({ slot: 0, of: 3 });
  });

  it('gives two callers ClientIds of their own, so neither replaces the other', async () => {
    const handler = buildHandler({ authMode: 'jwt', signalingRoles: ['viewer'], viewerSlotsPerCaller: 1 });

    const alice = parse(await handler(withClaims(viewer(), { sub: 'alice' }))).body;
    const bob = parse(await handler(withClaims(viewer(), { sub: 'bob' }))).body;

    expect(alice.clientId).not.toBe(bob.clientId);
  });

  it('bounds anonymous viewers (auth none) by source IP, the only trace such a caller leaves', async () => {
    const handler = buildHandler({ signalingRoles: ['viewer'], viewerSlotsPerCaller: 2 });
    const from = (sourceIp: string) => {
      const base = viewer();
      return {
        ...base,
        requestContext: { ...base.requestContext, http: { ...base.requestContext.http, sourceIp } },
      };
    };

    const ids = [];
    for (const ip of ['198.51.100.7', '198.51.100.7', '198.51.100.7', '203.0.113.9'])
      ids.push(parse(await handler(from(ip))).body.clientId);

    expect(ids[0]).toMatch(/^anonymous-[\w-]{32}\.v0$/);
    expect(ids[1]).toBe(ids[0].replace(/v0$/, 'v1'));
    expect(ids[2]).toBe(ids[0]);
    expect(ids[3]).not.toContain(ids[0].split('.')[0]);
  });

  it('refuses an anonymous viewer with 403 CallerNotIdentified when the event has no source IP', async () => {
    const base = viewer();
    const request = {
      ...base,
      requestContext: { ...base.requestContext, http: { ...base.requestContext.http, sourceIp: '' } },
    };

    const { status, body } = parse(await buildHandler({ signalingRoles: ['viewer'] })(request));

    expect(status).toBe(403);
    expect(body.error.code).toBe('CallerNotIdentified');
  });

  it('finds the WSS and HTTPS endpoints with one GetSignalingChannelEndpoint call for ICE and signaling', async () => {
    const handler = buildHandler({ signalingRoles: ['viewer'] });

    await handler(viewer());
    await handler(viewer());

    expect(kvs.commandCalls(GetSignalingChannelEndpointCommand)).toHaveLength(1);
  });

  it('applies the channels claim as the ICE route does', async () => {
    const handler = buildHandler({ authMode: 'jwt', channelsClaim: 'channels', signalingRoles: ['viewer'] });

    const { status, body } = parse(await handler(withClaims(viewer(), { channels: ['lobby'] })));

    expect(status).toBe(403);
    expect(body.error.code).toBe('ChannelNotAllowed');
  });

  it('refuses a role field in the body with 400: the path names the role', async () => {
    const { status, body } = parse(
      await buildHandler({ signalingRoles: ['viewer'] })(viewer({ role: 'MASTER' })),
    );

    expect(status).toBe(400);
    expect(body.error.code).toBe('InvalidRequest');
  });

  it('keeps only the requested transports, as the ICE route does', async () => {
    const { body } = parse(
      await buildHandler({ signalingRoles: ['viewer'] })(viewer({ transports: ['tls'] })),
    );

    expect(body.iceServers[1].urls).toEqual([expect.stringMatching(/^turns:.*transport=tcp$/)]);
  });

  it('never logs the presigned URL, its signature or the session token', async () => {
    const handler = buildHandler({ signalingRoles: ['viewer'], logLevel: 'INFO' });

    const { result, logs } = await captureLogs(() => handler(viewer()));

    const url = new URL(parse(result).body.signaling.url);
    expect(logs).toContain('vended signaling connection');
    expect(logs).not.toContain(url.searchParams.get('X-Amz-Signature'));
    expect(logs).not.toContain(SESSION.SessionToken);
    expect(logs).not.toContain('X-Amz-');
  });
});

describe('the master role is granted apart from viewing', () => {
  beforeEach(() => healthyUpstream());
  const jwtMaster = () =>
    buildHandler({
      authMode: 'jwt',
      channelsClaim: 'channels',
      masterChannelsClaim: 'master_channels',
      signalingRoles: ['viewer', 'master'],
    });

  it('serves the master route to a token whose master channels claim lists the channel', async () => {
    const { status, body } = parse(
      await jwtMaster()(withClaims(master(), { channels: ['demo'], master_channels: ['demo'] })),
    );

    expect(status).toBe(200);
    expect(body.role).toBe('MASTER');
    expect(body).not.toHaveProperty('clientId');
    const url = new URL(body.signaling.url);
    expect(url.searchParams.has('X-Amz-ClientId')).toBe(false);
    expect(sessionPolicies()['master-demo']).toMatchObject({
      Statement: [{ Action: ['kinesisvideo:ConnectAsMaster'], Resource: DEMO_ARN }],
    });
  });

  it('refuses the master route with 403 to a token that may only view the channel', async () => {
    const { status, body } = parse(await jwtMaster()(withClaims(master(), { channels: ['demo'] })));

    expect(status).toBe(403);
    expect(body.error).toEqual({
      code: 'ChannelNotAllowed',
      message: 'you may not take the master role on channel "demo"',
    });
  });

  it('refuses the master route with 403 when the master claim lists other channels', async () => {
    const claims = { channels: ['demo'], master_channels: ['lobby-camera-01'] };

    const { status } = parse(await jwtMaster()(withClaims(master(), claims)));

    expect(status).toBe(403);
  });

  it('serves the master route to IAM callers: IAM grants the route per channel', async () => {
    const handler = buildHandler({ authMode: 'iam', signalingRoles: ['viewer', 'master'] });
    const signed = authorized(master(), { iam: { userArn: 'arn:aws:iam::123456789012:user/camera' } });

    const { status, body } = parse(await handler(signed));

    expect(status).toBe(200);
    expect(body.role).toBe('MASTER');
  });

  it('refuses the master route with 403 where only the viewer role is served', async () => {
    const handler = buildHandler({ authMode: 'iam', signalingRoles: ['viewer'] });
    const signed = authorized(master(), { iam: { userArn: 'arn:aws:iam::123456789012:user/camera' } });

    const { status, body } = parse(await handler(signed));

    expect(status).toBe(403);
    expect(body.error.message).toBe('this API does not serve the master role');
  });

  it('refuses the signaling routes with 403 where no role is served', async () => {
    const { status } = parse(await buildHandler()(viewer()));

    expect(status).toBe(403);
  });
});
