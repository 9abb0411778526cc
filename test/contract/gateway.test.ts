import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MintRequest } from '../../local/identity-provider/token-minter';
import type { LocalStack } from '../../local/runner';
import { bearer, mintToken, postIceServers, startAuthStack } from '../local/gateway/support/stack';
import { type Answer, answerOf, contractViolations } from './support/answers';

let stack: LocalStack;

const token = (claims: Partial<MintRequest>) =>
  mintToken(stack, { sub: 'alice', channels: ['demo'], scope: 'ice:vend', ...claims });

const call = async (channel: string, headers?: Record<string, string>): Promise<Answer> =>
  answerOf(await postIceServers(stack, channel, headers));

beforeAll(async () => {
  stack = await startAuthStack({
    channels: ['demo', 'lobby'],
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
    const answer = await call('demo', bearer(await token({ scope: 'profile' })));

    expect(answer.status).toBe(403);
    expect(answer.body).toHaveProperty('message');
    expect(contractViolations(answer, 'apiGateway')).toEqual([]);
  });

  it('answers a channel missing from the token with the documented 403 ChannelNotAllowed', async () => {
    const answer = await call('lobby', bearer(await token({ channels: ['demo'] })));

    expect(answer.status).toBe(403);
    expect(answer.body).toHaveProperty('error.code', 'ChannelNotAllowed');
    expect(contractViolations(answer)).toEqual([]);
  });

  it('answers a token that grants the channel with the documented 200', async () => {
    const answer = await call('demo', bearer(await token({ channels: ['demo'] })));

    expect(answer.status).toBe(200);
    expect(contractViolations(answer)).toEqual([]);
  });
});
