import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  buildHandler,
  captureLogs,
  DEMO_ARN,
  event,
  healthyUpstream,
  kvs,
  kvsServer,
  LOBBY_ARN,
  NOW,
  parse,
  ROLE_ARN,
  SESSION,
  SIGNALING_ENDPOINT,
  signaling,
  sts,
} from './support/handler';

const fixture = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/get-ice-server-config.cn-north-1.json'), 'utf8'),
);

describe('vending ICE servers', () => {
  beforeEach(() => healthyUpstream());

  it('returns the STUN server first and one TURN entry per KVS server set', async () => {
    const handler = buildHandler();

    const { status, body } = parse(await handler(event('demo')));

    expect(status).toBe(200);
    expect(body.iceServers).toEqual([
      { urls: ['stun:stun.kinesisvideo.us-west-2.amazonaws.com:443'] },
      { urls: kvsServer(1).Uris, username: kvsServer(1).Username, credential: kvsServer(1).Password },
      { urls: kvsServer(2).Uris, username: kvsServer(2).Username, credential: kvsServer(2).Password },
    ]);
    expect(body.channelArn).toBe(DEMO_ARN);
  });

  it('returns a single TURN entry when KVS returns one server set', async () => {
    healthyUpstream([kvsServer(7)]);
    const handler = buildHandler();

    const { body } = parse(await handler(event('demo')));

    expect(body.iceServers).toHaveLength(2);
    expect(body.iceServers[1].credential).toBe(kvsServer(7).Password);
  });

  it('maps the China-region KVS response to the amazonaws.com.cn STUN URL and RTCIceServer fields', async () => {
    const expiry = Number(fixture.IceServerList[0].Username.split(':')[0]) * 1000;
    healthyUpstream(fixture.IceServerList);
    const handler = buildHandler({ channelArns: [LOBBY_ARN], now: expiry - 300_000 });

    const { status, body } = parse(await handler(event('lobby-camera-01')));

    expect(status).toBe(200);
    expect(body.iceServers[0]).toEqual({ urls: ['stun:stun.kinesisvideo.cn-north-1.amazonaws.com.cn:443'] });
    expect(body.iceServers.slice(1)).toEqual(
      fixture.IceServerList.map((s: { Uris: string[]; Username: string; Password: string }) => ({
        urls: s.Uris,
        username: s.Username,
        credential: s.Password,
      })),
    );
    expect(body.channelArn).toBe(LOBBY_ARN);
    expect(body.expiresAt).toBe(new Date(expiry).toISOString());
    expect(body.ttl).toBe(300);
  });

  it('answers with JSON that clients and proxies must not cache', async () => {
    const { headers } = parse(await buildHandler()(event('demo')));

    expect(headers['content-type']).toBe('application/json');
    expect(headers['cache-control']).toBe('no-store');
  });

  it('reports ttl and expiresAt of the earliest-expiring returned set', async () => {
    healthyUpstream([kvsServer(1, 300), kvsServer(2, 250)]);

    const { body } = parse(await buildHandler()(event('demo')));

    expect(body.ttl).toBe(250);
    expect(body.expiresAt).toBe(new Date(NOW + 250_000).toISOString());
  });

  it.each([
    [['udp'], ['turn:', 'transport=udp']],
    [['dtls'], ['turns:', 'transport=udp']],
    [['tls'], ['turns:', 'transport=tcp']],
  ])('keeps only %j TURN URIs when asked', async (transports, [scheme, transport]) => {
    const { body } = parse(await buildHandler()(event('demo', { transports })));

    const turn = body.iceServers.slice(1);
    expect(turn).toHaveLength(2);
    for (const server of turn) {
      expect(server.urls).toHaveLength(1);
      expect(server.urls[0].startsWith(scheme)).toBe(true);
      expect(server.urls[0].endsWith(transport)).toBe(true);
    }
  });

  it('answers 400 naming the offered transports when no TURN server offers the requested one', async () => {
    const { status, body } = parse(await buildHandler()(event('demo', { transports: ['tcp'] })));

    expect(status).toBe(400);
    expect(body.error).toEqual({
      code: 'InvalidRequest',
      message: 'no TURN server offers transport tcp; offered: udp, tls, dtls',
    });
  });

  it('keeps the TURN entries that offer one of several requested transports', async () => {
    const { status, body } = parse(await buildHandler()(event('demo', { transports: ['tcp', 'tls'] })));

    expect(status).toBe(200);
    expect(body.iceServers.slice(1).map((s: { urls: string[] }) => s.urls)).toEqual([
      [kvsServer(1).Uris[2]],
      [kvsServer(2).Uris[2]],
    ]);
  });

  it.each([
    ['behind', -210],
    ['ahead', 210],
  ])('measures validity from KVS Ttl when the AWS clock is %s by 3.5 minutes', async (_, skewSeconds) => {
    const skewed = { ...kvsServer(1), Username: `${NOW / 1000 + skewSeconds + 300}:djE6YXJu` };
    healthyUpstream([skewed]);

    const { status, body } = parse(await buildHandler()(event('demo')));

    expect(status).toBe(200);
    expect(body.ttl).toBe(300);
    expect(body.expiresAt).toBe(new Date(NOW + 300_000).toISOString());
  });

  it('returns at most maxServerSets TURN entries', async () => {
    const { body } = parse(await buildHandler()(event('demo', { maxServerSets: 1 })));

    expect(body.iceServers).toHaveLength(2);
    expect(body.iceServers[1].username).toBe(kvsServer(1).Username);
  });

  it('never returns credentials with less than minRemainingTtl seconds left', async () => {
    healthyUpstream([kvsServer(1, 100), kvsServer(2, 300)]);

    const { body } = parse(await buildHandler({ minRemainingTtlSeconds: 120 })(event('demo')));

    expect(body.iceServers).toHaveLength(2);
    expect(body.iceServers[1].username).toBe(kvsServer(2).Username);
    expect(body.ttl).toBe(300);
  });

  it('assumes the scoped role with a one-hour session policy naming only the requested channel', async () => {
    await buildHandler()(event('demo'));

    const input = sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(input?.RoleArn).toBe(ROLE_ARN);
    expect(input?.RoleSessionName).toBe('ice-demo');
    expect(input?.DurationSeconds).toBeLessThanOrEqual(3600);
    const policy = JSON.parse(input?.Policy ?? '{}');
    expect(policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['kinesisvideo:GetSignalingChannelEndpoint', 'kinesisvideo:GetIceServerConfig'],
        Resource: DEMO_ARN,
      },
    ]);
  });

  it('asks KVS for the WSS and HTTPS endpoints of the requested role in one call, VIEWER by default', async () => {
    await buildHandler()(event('demo'));
    await buildHandler()(event('demo', { role: 'MASTER' }));

    const roles = kvs
      .commandCalls(GetSignalingChannelEndpointCommand)
      .map((call) => call.args[0].input.SingleMasterChannelEndpointConfiguration);
    expect(roles).toEqual([
      { Protocols: ['WSS', 'HTTPS'], Role: 'VIEWER' },
      { Protocols: ['WSS', 'HTTPS'], Role: 'MASTER' },
    ]);
  });

  it('signs both KVS calls with the assumed-role credentials, not the function role', async () => {
    await buildHandler()(event('demo'));

    const calls = [
      kvs.commandCalls(GetSignalingChannelEndpointCommand)[0],
      signaling.commandCalls(GetIceServerConfigCommand)[0],
    ];
    for (const call of calls) {
      const client = call?.thisValue as { config: { credentials: () => Promise<Record<string, string>> } };
      const credentials = await client.config.credentials();
      expect(credentials).toMatchObject({
        accessKeyId: SESSION.AccessKeyId,
        secretAccessKey: SESSION.SecretAccessKey,
        sessionToken: SESSION.SessionToken,
      });
    }
  });

  it('sends GetIceServerConfig to the endpoint GetSignalingChannelEndpoint returned, for the channel ARN', async () => {
    await buildHandler()(event('demo'));

    const call = signaling.commandCalls(GetIceServerConfigCommand)[0];
    const client = call?.thisValue as {
      config: { endpoint?: () => Promise<{ hostname: string; protocol: string }> };
    };
    const endpoint = await client.config.endpoint?.();
    expect(`${endpoint?.protocol}//${endpoint?.hostname}`).toBe(SIGNALING_ENDPOINT);
    expect(call?.args[0].input).toMatchObject({ ChannelARN: DEMO_ARN, Service: 'TURN' });
  });

  it('never writes credentials, session tokens or TURN passwords to the logs', async () => {
    const { logs } = await captureLogs(async () => {
      await buildHandler({ logLevel: 'INFO' })(event('demo'));
      signaling
        .on(GetIceServerConfigCommand)
        .rejects(
          Object.assign(new Error(`denied ${SESSION.SessionToken}`), { name: 'NotAuthorizedException' }),
        );
      await buildHandler({ logLevel: 'INFO' })(event('demo'));
    });

    expect(logs).toContain('"outcome":"ok"');
    expect(logs).toContain('"outcome":"error"');
    for (const secret of [
      SESSION.SecretAccessKey,
      SESSION.SessionToken,
      kvsServer(1).Password,
      kvsServer(2).Password,
    ]) {
      expect(logs).not.toContain(secret);
    }
  });

  it('logs the service, request id, channel, outcome and latency of each request', async () => {
    const { logs } = await captureLogs(() => buildHandler({ logLevel: 'INFO' })(event('demo')));

    const line = JSON.parse(logs.trim().split('\n').at(-1) ?? '{}');
    expect(line).toMatchObject({
      service: 'kvs-ice-broker',
      apiRequestId: 'req-0001',
      channel: 'demo',
      outcome: 'ok',
      status: 200,
    });
    expect(line.latencyMs).toBeTypeOf('number');
  });
});

describe('the composition root (createHandler)', () => {
  beforeEach(() => healthyUpstream());

  it('builds functions of different configurations side by side in one process', async () => {
    const demoOnly = buildHandler({ channelArns: [DEMO_ARN] });
    const lobbyOnly = buildHandler({ channelArns: [LOBBY_ARN] });

    const served = parse(await demoOnly(event('demo')));
    const refused = parse(await lobbyOnly(event('demo')));

    expect(served.status).toBe(200);
    expect(refused).toMatchObject({
      status: 403,
      body: { error: { code: 'ChannelNotAllowed', message: 'channel "demo" is not served by this API' } },
    });
  });

  it('calls nothing upstream until the first request when told not to prewarm', () => {
    buildHandler();

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});
