import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MintRequest } from '../../local/auth/types';
import { type LocalStack, startLocalStack } from '../../local/runner';
import { type Answer, answerOf, contractViolations } from './support/answers';

let stack: LocalStack;

async function token(claims: Partial<MintRequest>): Promise<string> {
  const mint = stack.auth.mintToken;
  if (!mint) throw new Error('the local issuer should mint tokens in jwt mode');
  return mint({ sub: 'alice', channels: ['demo'], scope: 'ice:vend', ...claims });
}

async function call(channel: string, authorization?: string): Promise<Answer> {
  const response = await fetch(`${stack.api.url}/v1/channels/${channel}/ice-servers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: '{}',
  });
  return answerOf(response);
}

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    channels: ['demo', 'lobby'],
    relay: false,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    auth: { mode: 'jwt', scopes: ['ice:vend'], channelsClaim: 'channels' },
  });
});
afterAll(() => stack?.close());

describe('with auth=jwt, the answers in front of and behind the authorizer are documented', () => {
  it('answers a request without a token with the documented 401 of API Gateway', async () => {
    const answer = await call('demo');

    expect(answer.status).toBe(401);
    expect(contractViolations(answer, 'apiGateway')).toEqual([]);
  });

  it('answers a token without the required scope with the documented 403 of API Gateway', async () => {
    const answer = await call('demo', `Bearer ${await token({ scope: 'profile' })}`);

    expect(answer.status).toBe(403);
    expect(answer.body).toHaveProperty('message');
    expect(contractViolations(answer, 'apiGateway')).toEqual([]);
  });

  it('answers a channel missing from the token with the documented 403 ChannelNotAllowed', async () => {
    const answer = await call('lobby', `Bearer ${await token({ channels: ['demo'] })}`);

    expect(answer.status).toBe(403);
    expect(answer.body).toHaveProperty('error.code', 'ChannelNotAllowed');
    expect(contractViolations(answer)).toEqual([]);
  });

  it('answers a token that grants the channel with the documented 200', async () => {
    const answer = await call('demo', `Bearer ${await token({ channels: ['demo'] })}`);

    expect(answer.status).toBe(200);
    expect(contractViolations(answer)).toEqual([]);
  });
});
