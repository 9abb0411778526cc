import { describe, expect, it } from 'vitest';
import { loadedModules } from '../support/loaded-modules';

// Module init counts at cold start (bench/bundle.ts measures it): the storage API's module
// (lambda/aws/storage-api.ts) is imported on the storage-session route's first join only, never
// at init, even in a deployment with storage sessions.

describe('the storage API module at cold start', () => {
  it('is not loaded when the function is built, even with storageSessions', async () => {
    const loaded = await loadedModules(`
      const { loadConfig } = require('./lambda/config');
      const { createHandler } = require('./lambda/create-handler');
      createHandler(
        loadConfig({
          SCOPED_ROLE_ARN: 'arn:aws:iam::123456789012:role/kvs-ice-broker-scoped',
          CHANNELS: JSON.stringify({ demo: 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000' }),
          AUTH_MODE: 'iam',
          BLOCKED_CALLERS_PARAMETER: '/kvs-ice-broker-test/blocked-callers',
          SIGNALING_ROLES: 'viewer,master',
          STORAGE_SESSIONS: 'true',
          POWERTOOLS_METRICS_DISABLED: 'true',
        }),
        { aws: { region: 'us-west-2' }, prewarm: false, blockedCallers: async () => '{"callerIds":[],"subjects":[]}' },
      );`);

    expect(loaded.filter((file) => file.endsWith('/lambda/create-handler.ts'))).toHaveLength(1);
    expect(loaded.filter((file) => file.endsWith('/lambda/aws/storage-api.ts'))).toEqual([]);
  });
});
