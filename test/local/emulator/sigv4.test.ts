import { createHash } from 'node:crypto';
import { GetSignalingChannelEndpointCommand, type KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import {
  assumeScopedRole,
  type Credentials,
  channelArn,
  kvsClient,
  type RawCall,
  rejectionOf,
  signalingClient,
  signedFetch,
  startTestEmulator,
  stsClient,
  withClient,
} from './support/emulator';

/**
 * Runs `mutate` on the request after the SDK signed it (the deserialize step runs after
 * signing), as a man in the middle would.
 */
function tamperAfterSigning(
  client: KinesisVideoClient,
  mutate: (request: { body: string; headers: Record<string, string> }) => void,
) {
  client.middlewareStack.add(
    (next) => async (args) => {
      mutate(args.request as { body: string; headers: Record<string, string> });
      return next(args);
    },
    { step: 'deserialize', name: 'tamperAfterSigning' },
  );
}

describe('SigV4 verification', () => {
  let emulator: Emulator;
  let session: Required<Credentials>;
  let demoArn: string;
  const iceBody = () => JSON.stringify({ ChannelARN: demoArn });

  beforeAll(async () => {
    emulator = await startTestEmulator();
    session = await assumeScopedRole(emulator);
    demoArn = channelArn(emulator, 'demo');
  });
  afterAll(() => emulator.close());

  const endpointCall = (client: KinesisVideoClient) =>
    withClient(client, (c) => c.send(new GetSignalingChannelEndpointCommand({ ChannelARN: demoArn })));
  /** A GetIceServerConfig call for the demo channel, hand-signed with the session credentials. */
  const signedIce = (call: Partial<RawCall> = {}) =>
    signedFetch(emulator, {
      path: '/v1/get-ice-server-config',
      body: iceBody(),
      credentials: session,
      ...call,
    });

  it('accepts a request the SDK signed with the session credentials', async () => {
    const out = await endpointCall(kvsClient(emulator, session));

    expect(out.ResourceEndpointList).toBeDefined();
  });

  it('accepts an SDK request that passed the tampering hook unchanged', async () => {
    const client = kvsClient(emulator, session);
    tamperAfterSigning(client, () => {});

    const out = await endpointCall(client);

    expect(out.ResourceEndpointList).toBeDefined();
  });

  it('rejects a body changed after signing with InvalidSignatureException', async () => {
    const client = kvsClient(emulator, session);
    tamperAfterSigning(client, (request) => {
      request.body = request.body.replace('/demo/', '/dem0/');
    });

    const error = await rejectionOf(endpointCall(client));

    expect(error.name).toBe('InvalidSignatureException');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 403 });
  });

  it('rejects a changed body even when its x-amz-content-sha256 was recomputed', async () => {
    const client = kvsClient(emulator, session);
    tamperAfterSigning(client, (request) => {
      request.body = request.body.replace('/demo/', '/dem0/');
      request.headers['x-amz-content-sha256'] = createHash('sha256').update(request.body).digest('hex');
    });

    const error = await rejectionOf(endpointCall(client));

    expect(error.name).toBe('InvalidSignatureException');
  });

  it('rejects a corrupted signature in the Authorization header', async () => {
    const response = await signedIce({
      tamper: (headers) => {
        headers.authorization = (headers.authorization ?? '').replace(
          /Signature=(.)/,
          (_m, c) => `Signature=${c === '0' ? '1' : '0'}`,
        );
      },
    });

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('rejects a signed header whose value changed after signing', async () => {
    const response = await signedIce({
      tamper: (headers) => {
        headers['content-type'] = 'application/x-amz-json-1.1';
      },
    });

    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('accepts the same hand-signed request when nothing was tampered with', async () => {
    const response = await signedIce();

    expect(response.status).toBe(200);
  });

  it('rejects a request without an Authorization header with MissingAuthenticationTokenException', async () => {
    const response = await fetch(`${emulator.signalingEndpoints.https}/v1/get-ice-server-config`, {
      method: 'POST',
      body: iceBody(),
    });

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('rejects an Authorization header that is not AWS4-HMAC-SHA256 with IncompleteSignatureException', async () => {
    const response = await signedIce({
      tamper: (headers) => {
        headers.authorization = 'Bearer abc';
      },
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('IncompleteSignatureException');
  });

  it('rejects an X-Amz-Date more than five minutes old with InvalidSignatureException', async () => {
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);

    const response = await signedIce({ signingDate: sixMinutesAgo });

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(await response.json()).toMatchObject({ message: expect.stringContaining('Signature expired') });
  });

  it('rejects a stale STS request with SignatureDoesNotMatch', async () => {
    const sts = stsClient(emulator);
    sts.config.systemClockOffset = -6 * 60_000;

    const error = await rejectionOf(
      sts.send(new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'stale' })),
    );
    sts.destroy();

    expect(error.name).toBe('SignatureDoesNotMatch');
  });

  it('accepts an X-Amz-Date four minutes old', async () => {
    const response = await signedIce({ signingDate: new Date(Date.now() - 4 * 60_000) });

    expect(response.status).toBe(200);
  });

  it('rejects credentials scoped to another region', async () => {
    const response = await signedIce({ region: 'eu-west-1' });

    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('rejects credentials scoped to the sts service on a KVS API', async () => {
    const response = await signedIce({ service: 'sts' });

    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('rejects session credentials sent without their session token with UnrecognizedClientException', async () => {
    const { sessionToken: _token, ...withoutToken } = session;
    const client = signalingClient(emulator, withoutToken);

    const error = await rejectionOf(client.send(new GetIceServerConfigCommand({ ChannelARN: demoArn })));
    client.destroy();

    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 403 });
  });

  it('rejects a session token that belongs to another session', async () => {
    const other = await assumeScopedRole(emulator);
    const client = signalingClient(emulator, { ...session, sessionToken: other.sessionToken });

    const error = await rejectionOf(client.send(new GetIceServerConfigCommand({ ChannelARN: demoArn })));
    client.destroy();

    expect(error.name).toBe('UnrecognizedClientException');
  });

  it('rejects the long-term execution key when a session token is attached', async () => {
    const client = signalingClient(emulator, {
      ...emulator.executionCredentials,
      sessionToken: session.sessionToken,
    });

    const error = await rejectionOf(client.send(new GetIceServerConfigCommand({ ChannelARN: demoArn })));
    client.destroy();

    expect(error.name).toBe('UnrecognizedClientException');
  });
});
