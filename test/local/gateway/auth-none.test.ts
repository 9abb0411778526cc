import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/runner';
import { postIceServers, startAuthStack } from './support/stack';

describe('auth=none (the local default)', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startAuthStack({});
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('runs without authentication when no auth mode is given', () => {
    expect(stack.auth).toEqual({ mode: 'none' });
  });

  it('serves a plain POST without token or signature', async () => {
    const response = await postIceServers(stack, 'demo');

    expect(response.status).toBe(200);
    expect((await response.json()).iceServers.length).toBeGreaterThan(1);
  });
});
