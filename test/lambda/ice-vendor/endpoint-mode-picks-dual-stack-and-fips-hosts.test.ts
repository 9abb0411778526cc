import { Readable } from 'node:stream';
import { STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AwsClientOptions, type ClientDefaults, clientLocation } from '../../../lambda/aws/clients';
import { AwsSessionProvider } from '../../../lambda/aws/sessions';
import { type Channel, parseChannelArn } from '../../../lambda/contract';
import type { EndpointMode } from '../../../lambda/core/ice-servers';
import type { ScopedSession } from '../../../lambda/core/ports';

const CREDENTIALS = { accessKeyId: 'AKIAEXAMPLEEXAMPLE00', secretAccessKey: 'x'.repeat(40) };
const EXPIRY = '2099-01-01T00:00:00Z';
const ASSUME_ROLE = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>
<AccessKeyId>ASIAEXAMPLEEXAMPLE00</AccessKeyId><SecretAccessKey>${'y'.repeat(40)}</SecretAccessKey>
<SessionToken>token</SessionToken><Expiration>${EXPIRY}</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`;

/** Where a dual-stack KVS would hand out its signaling endpoints (their exact names are KVS's to choose). */
const SIGNALING_HTTPS = 'https://r-1234abcd.kinesisvideo.us-west-2.api.aws';
/** Where it would hand out its storage API (WEBRTC), likewise KVS's to name. */
const STORAGE_WEBRTC = 'https://w-1234abcd.webrtc.kinesisvideo.us-west-2.api.aws';

/** A request handler that answers each call with a canned body and records the host each went to. */
function recordingHandler() {
  const hosts: string[] = [];
  const answer = (path: string): string => {
    if (path.startsWith('/getSignalingChannelEndpoint'))
      return JSON.stringify({
        ResourceEndpointList: [
          { Protocol: 'HTTPS', ResourceEndpoint: SIGNALING_HTTPS },
          { Protocol: 'WSS', ResourceEndpoint: 'wss://v-1234abcd.kinesisvideo.us-west-2.api.aws' },
          { Protocol: 'WEBRTC', ResourceEndpoint: STORAGE_WEBRTC },
        ],
      });
    if (path.startsWith('/describeMediaStorageConfiguration'))
      return JSON.stringify({ MediaStorageConfiguration: { Status: 'ENABLED' } });
    if (path.startsWith('/joinStorageSession')) return '';
    if (path.startsWith('/v1/get-ice-server-config'))
      return JSON.stringify({
        IceServerList: [
          { Uris: ['turn:[::1]:3478?transport=udp'], Username: '1:dQ==', Password: 'p', Ttl: 300 },
        ],
      });
    return ASSUME_ROLE;
  };
  const handler = {
    handle: async (request: { hostname: string; path: string }) => {
      hosts.push(request.hostname);
      const body = answer(request.path);
      return {
        response: {
          statusCode: 200,
          headers: { 'content-type': body.startsWith('<') ? 'text/xml' : 'application/json' },
          body: Readable.from([Buffer.from(body)]),
        },
      };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  return { hosts, handler };
}

const OREGON = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000';
const GOV_WEST = 'arn:aws-us-gov:kinesisvideo:us-gov-west-1:123456789012:channel/demo/1700000000000';

/** The ICE vendor's calls: the signaling endpoints, then GetIceServerConfig where KVS said. */
async function vendIce(session: ScopedSession, channel: Channel): Promise<void> {
  const { https } = await session.getSignalingEndpoints(channel.arn, 'VIEWER');
  await session.getIceServerConfig({ channelArn: channel.arn, endpoint: https, clientId: 'u-alice' });
}

/** A storage-session join's calls: the channel's media storage, its WEBRTC endpoint, the join there. */
async function joinStorage(session: ScopedSession, channel: Channel): Promise<void> {
  await session.describeMediaStorage(channel.arn);
  const endpoint = await session.getStorageEndpoint(channel.arn, 'MASTER');
  await session.joinStorageSession({ endpoint, channelArn: channel.arn });
}

/**
 * Opens a scoped session for the channel `arn` and makes the `calls` of a use case (the ICE
 * vendor's by default), with the function in the channel's Region, recording every host the calls
 * went to.
 */
async function hostsOf(
  mode: EndpointMode,
  {
    arn = OREGON,
    endpoints = {},
    calls = vendIce,
  }: {
    arn?: string;
    endpoints?: AwsClientOptions['endpoints'];
    calls?: (session: ScopedSession, channel: Channel) => Promise<void>;
  } = {},
): Promise<string[]> {
  const channel = parseChannelArn(arn);
  if (!channel) throw new Error(`unparsed channel ${arn}`);
  const { hosts, handler } = recordingHandler();
  const aws: AwsClientOptions = { region: channel.region, credentials: CREDENTIALS, endpoints, mode };
  const defaults = { maxAttempts: 1, requestHandler: handler } as unknown as ClientDefaults;
  const sessions = new AwsSessionProvider({
    sts: new STSClient({ ...defaults, ...clientLocation(aws, 'sts') }),
    scopedRoleArn: 'arn:aws:iam::123456789012:role/scoped',
    clientDefaults: defaults,
    ...(endpoints.kinesisVideo !== undefined ? { kinesisVideoEndpoint: endpoints.kinesisVideo } : {}),
    mode,
  });
  await calls(await sessions.openSession(channel), channel);
  return hosts;
}

describe("the function's SDK clients reach the endpoints of its mode", () => {
  afterEach(() => vi.unstubAllEnvs());

  it('IPv4-only by default', async () => {
    expect(await hostsOf({ dualStack: false, fips: false })).toEqual([
      'sts.us-west-2.amazonaws.com',
      'kinesisvideo.us-west-2.amazonaws.com',
      'r-1234abcd.kinesisvideo.us-west-2.api.aws',
    ]);
  });

  it('dual-stack: STS and the KVS control plane at api.aws, the signaling API where KVS says', async () => {
    expect(await hostsOf({ dualStack: true, fips: false })).toEqual([
      'sts.us-west-2.api.aws',
      'kinesisvideo.us-west-2.api.aws',
      'r-1234abcd.kinesisvideo.us-west-2.api.aws',
    ]);
  });

  it('FIPS in AWS GovCloud (US): the FIPS hosts of STS and KVS, the signaling API where KVS says', async () => {
    expect(await hostsOf({ dualStack: false, fips: true }, { arn: GOV_WEST })).toEqual([
      'sts.us-gov-west-1.amazonaws.com',
      'kinesisvideo-fips.us-gov-west-1.amazonaws.com',
      'r-1234abcd.kinesisvideo.us-west-2.api.aws',
    ]);
  });

  it('FIPS and dual-stack in AWS GovCloud (US): the FIPS dual-stack hosts of STS and KVS', async () => {
    expect(await hostsOf({ dualStack: true, fips: true }, { arn: GOV_WEST })).toEqual([
      'sts-fips.us-gov-west-1.api.aws',
      'kinesisvideo-fips.us-gov-west-1.api.aws',
      'r-1234abcd.kinesisvideo.us-west-2.api.aws',
    ]);
  });

  it('dual-stack storage sessions: the media storage and the WEBRTC endpoint at api.aws, the join where KVS says', async () => {
    expect(await hostsOf({ dualStack: true, fips: false }, { calls: joinStorage })).toEqual([
      'sts.us-west-2.api.aws',
      'kinesisvideo.us-west-2.api.aws',
      'kinesisvideo.us-west-2.api.aws',
      new URL(STORAGE_WEBRTC).hostname,
    ]);
  });

  it('FIPS storage sessions in AWS GovCloud (US): the FIPS control plane, the join where KVS says', async () => {
    expect(await hostsOf({ dualStack: false, fips: true }, { arn: GOV_WEST, calls: joinStorage })).toEqual([
      'sts.us-gov-west-1.amazonaws.com',
      'kinesisvideo-fips.us-gov-west-1.amazonaws.com',
      'kinesisvideo-fips.us-gov-west-1.amazonaws.com',
      new URL(STORAGE_WEBRTC).hostname,
    ]);
  });

  it('the SDK variables AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT change nothing: the settings decide', async () => {
    vi.stubEnv('AWS_USE_FIPS_ENDPOINT', 'true');
    vi.stubEnv('AWS_USE_DUALSTACK_ENDPOINT', 'true');

    expect(await hostsOf({ dualStack: false, fips: false })).toEqual([
      'sts.us-west-2.amazonaws.com',
      'kinesisvideo.us-west-2.amazonaws.com',
      'r-1234abcd.kinesisvideo.us-west-2.api.aws',
    ]);
  });

  it('endpoint URLs win over the mode (the local runner points the clients at its emulator)', async () => {
    const emulator = 'http://127.0.0.1:4566';

    expect(
      await hostsOf(
        { dualStack: true, fips: true },
        { endpoints: { sts: emulator, kinesisVideo: emulator } },
      ),
    ).toEqual(['127.0.0.1', '127.0.0.1', 'r-1234abcd.kinesisvideo.us-west-2.api.aws']);
  });

  it('clientLocation gives the SDK both switches, off where an endpoint URL is given', () => {
    const mode = { dualStack: true, fips: true };

    expect(clientLocation({ mode }, 'ssm')).toEqual({ useDualstackEndpoint: true, useFipsEndpoint: true });
    expect(clientLocation({ mode, endpoints: { ssm: 'http://127.0.0.1:1' } }, 'ssm')).toEqual({
      endpoint: 'http://127.0.0.1:1',
      useDualstackEndpoint: false,
      useFipsEndpoint: false,
    });
    expect(clientLocation({}, 'dynamodb')).toEqual({ useDualstackEndpoint: false, useFipsEndpoint: false });
  });
});
