import { IceServerClient } from '@kvs-ice-broker/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { startAuthStack } from '../local/gateway/support/stack';

describe('IceServerClient against the local runner (auth=iam, SigV4)', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startAuthStack({ channels: ['demo'], auth: { mode: 'iam' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const devCredentials = () => {
    const credentials = stack.auth.credentials;
    if (!credentials) throw new Error('iam mode should have dev credentials');
    return credentials;
  };

  it('signs with the credentials from its provider and gets the ICE servers', async () => {
    const { accessKeyId, secretAccessKey, region } = devCredentials();
    const client = new IceServerClient({
      baseUrl: stack.api.url,
      channel: 'demo',
      aws: { credentials: async () => ({ accessKeyId, secretAccessKey }), region },
    });

    const servers = await client.getIceServers();

    expect(servers.iceServers.length).toBeGreaterThan(1);
  });

  it('rejects with Forbidden (403) when the signature is made with the wrong secret', async () => {
    const { accessKeyId, region } = devCredentials();
    const client = new IceServerClient({
      baseUrl: stack.api.url,
      channel: 'demo',
      aws: {
        credentials: { accessKeyId, secretAccessKey: 'not-the-dev-secret-000000000000000000000' },
        region,
      },
    });

    await expect(client.getIceServers()).rejects.toMatchObject({ code: 'Forbidden', status: 403 });
  });

  it('rejects with Forbidden (403) when signed for another Region', async () => {
    const { accessKeyId, secretAccessKey } = devCredentials();
    const client = new IceServerClient({
      baseUrl: stack.api.url,
      channel: 'demo',
      aws: { credentials: { accessKeyId, secretAccessKey }, region: 'eu-central-1' },
    });

    await expect(client.getIceServers()).rejects.toMatchObject({ code: 'Forbidden', status: 403 });
  });
});
