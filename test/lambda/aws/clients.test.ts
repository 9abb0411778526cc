import { STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientDefaults } from '../../../lambda/aws/clients';

const settings = { connectionTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 1 };

describe("the function's SDK client settings", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('retry in standard mode whatever AWS_RETRY_MODE says, so no client looks the mode up', async () => {
    vi.stubEnv('AWS_RETRY_MODE', 'adaptive');

    const client = new STSClient({ region: 'us-west-2', ...clientDefaults(settings) });
    const { retryMode } = client.config;
    client.destroy();

    expect(retryMode).toBe('standard');
  });
});
