import { Sha256 } from '@aws-crypto/sha256-js';
import {
  AccessDeniedException,
  DescribeSignalingChannelCommand,
  GetSignalingChannelEndpointCommand,
} from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, KeyPair } from '../../../local/emulator';
import {
  channelArn,
  kvsClient,
  rejectionOf,
  signalingClient,
  startTestEmulator,
  stsClient,
  withClient,
} from './support/emulator';
import { HandshakeRefused, openSocket } from './support/signaling';

// The status quo the broker replaces, for the first-frame benchmark's baseline: a page holding an
// IAM user's keys, allowed the viewer's own KVS calls (as the KVS WebRTC samples set it up), and
// KVS answering the CORS requests such a page makes.

/** A `ConnectAsViewer` URL signed with long-term keys, as the KVS WebRTC SDK signs it for a page holding them. */
async function viewerUrl(emulator: Emulator, keys: KeyPair, channel = 'demo'): Promise<string> {
  const endpoint = new URL(emulator.signalingEndpoints.viewer.replace(/^wss:/, 'ws:'));
  const signer = new SignatureV4({
    credentials: keys,
    region: emulator.region,
    service: 'kinesisvideo',
    sha256: Sha256,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'ws:',
      hostname: endpoint.hostname,
      port: Number(endpoint.port),
      path: '/',
      query: { 'X-Amz-ChannelARN': channelArn(emulator, channel), 'X-Amz-ClientId': 'sample-viewer-1' },
      headers: { host: endpoint.host },
    },
    { expiresIn: 299 },
  );
  return `ws://${endpoint.host}/?${new URLSearchParams(signed.query as Record<string, string>)}`;
}

describe('an emulator without the sample viewer user (the default)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  it('has no such keys', () => {
    expect(emulator.sampleViewerCredentials).toBeUndefined();
  });
});

describe('the sample viewer user (sampleViewerUser: true)', () => {
  let emulator: Emulator;
  let keys: KeyPair;
  beforeAll(async () => {
    emulator = await startTestEmulator({ sampleViewerUser: true });
    if (!emulator.sampleViewerCredentials) throw new Error('no sample viewer keys');
    keys = emulator.sampleViewerCredentials;
  });
  afterAll(() => emulator.close());

  it('finds the channel endpoint and gets its ICE servers with its own keys', async () => {
    const endpoints = await withClient(kvsClient(emulator, keys), (c) =>
      c.send(
        new GetSignalingChannelEndpointCommand({
          ChannelARN: channelArn(emulator, 'demo'),
          SingleMasterChannelEndpointConfiguration: { Protocols: ['WSS', 'HTTPS'], Role: 'VIEWER' },
        }),
      ),
    );
    const ice = await withClient(signalingClient(emulator, keys), (c) =>
      c.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') })),
    );

    expect(endpoints.ResourceEndpointList).toHaveLength(2);
    expect(ice.IceServerList?.length).toBeGreaterThan(0);
  });

  it('connects as a viewer with a URL it signed itself', async () => {
    const socket = await openSocket(await viewerUrl(emulator, keys));
    socket.close();

    expect(emulator.signaling.stats().connects.ConnectAsViewer).toBe(1);
  });

  it('may not connect as the master', async () => {
    const url = (await viewerUrl(emulator, keys)).replace(
      `:${new URL(emulator.signalingEndpoints.viewer).port}/`,
      `:${new URL(emulator.signalingEndpoints.master).port}/`,
    );

    const error = await rejectionOf(openSocket(url));

    expect(error).toBeInstanceOf(HandshakeRefused);
    expect((error as unknown as HandshakeRefused).status).toBe(403);
  });

  it('may not call anything else: not even describe the channel, nor assume the scoped role', async () => {
    const describe = await rejectionOf(
      withClient(kvsClient(emulator, keys), (c) =>
        c.send(new DescribeSignalingChannelCommand({ ChannelARN: channelArn(emulator, 'demo') })),
      ),
    );
    const assume = await rejectionOf(
      withClient(stsClient(emulator, keys), (c) =>
        c.send(new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'page' })),
      ),
    );

    expect(describe).toBeInstanceOf(AccessDeniedException);
    expect(describe.message).toMatch(
      /^User: arn:aws:iam::123456789012:user\/kvs-sample-viewer is not authorized/,
    );
    expect(assume.name).toBe('AccessDenied');
  });
});

describe("the KVS endpoints' answers to a web page (CORS)", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  const preflight = (url: string) =>
    fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:8080',
        'access-control-request-method': 'POST',
        'access-control-request-headers':
          'authorization,content-type,x-amz-date,x-amz-user-agent,amz-sdk-invocation-id',
      },
    });

  it.each([
    ['the control plane', (e: Emulator) => `${e.url}/getSignalingChannelEndpoint`],
    ['the signaling API', (e: Emulator) => `${e.signalingEndpoints.https}/v1/get-ice-server-config`],
  ])('answers the preflight of %s, allowing POST with the headers the SDK sends', async (_, url) => {
    const response = await preflight(url(emulator));

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toBe('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization,content-type,x-amz-date,x-amz-user-agent,amz-sdk-invocation-id',
    );
  });

  it('lets the page read the answer, and still refuses an unsigned call', async () => {
    const response = await fetch(`${emulator.url}/getSignalingChannelEndpoint`, {
      method: 'POST',
      headers: { origin: 'http://127.0.0.1:8080', 'content-type': 'application/json' },
      body: '{}',
    });

    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-expose-headers')).toContain('x-amzn-errortype');
    expect(response.status).toBeGreaterThanOrEqual(400);
  });

  it('answers no CORS for STS, SSM and the control API', async () => {
    const sts = await preflight(`${emulator.url}/`);
    const control = await preflight(`${emulator.url}/_emulator/stats`);

    expect(sts.headers.get('access-control-allow-origin')).toBeNull();
    expect(control.headers.get('access-control-allow-origin')).toBeNull();
  });
});
