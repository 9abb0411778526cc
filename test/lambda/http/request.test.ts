import { beforeEach, describe, expect, it } from 'vitest';
import { buildHandler, event, healthyUpstream, parse, sts } from '../support/handler';

describe('request validation', () => {
  beforeEach(() => healthyUpstream());

  it.each([
    ['the body is not JSON', '{"role": VIEWER}', 'not valid JSON'],
    ['the body is a JSON array', '[]', 'JSON object'],
    ['the body is JSON null', 'null', 'JSON object'],
    ['role is not VIEWER or MASTER', { role: 'ADMIN' }, 'role'],
    ['role has the wrong type', { role: 1 }, 'role'],
    ['transports is not an array', { transports: 'udp' }, 'transports'],
    ['transports names an unknown kind', { transports: ['udp', 'quic'] }, 'transports.1'],
    ['transports is empty', { transports: [] }, 'transports'],
    ['maxServerSets is zero', { maxServerSets: 0 }, 'maxServerSets'],
    ['maxServerSets is not an integer', { maxServerSets: 1.5 }, 'maxServerSets'],
    ['maxServerSets is a string', { maxServerSets: '1' }, 'maxServerSets'],
    ['the body has an unknown field', { role: 'VIEWER', ttl: 3600 }, 'ttl'],
  ])('answers 400 InvalidRequest when %s', async (_, body, mentions) => {
    const { status, body: response } = parse(await buildHandler()(event('demo', body)));

    expect(status).toBe(400);
    expect(response.error.code).toBe('InvalidRequest');
    expect(response.error.message).toContain(mentions);
  });

  it('answers 400 InvalidRequest when the body is larger than 4 KiB', async () => {
    const { status, body } = parse(
      await buildHandler()(event('demo', { role: 'VIEWER', pad: 'x'.repeat(5000) })),
    );

    expect(status).toBe(400);
    expect(body.error.message).toContain('4096 bytes');
  });

  it('counts the 4 KiB limit in UTF-8 bytes, not characters', async () => {
    // 1,400 characters of 3 bytes each: 4,200 bytes.
    const { status, body } = parse(await buildHandler()(event('demo', { pad: '€'.repeat(1400) })));

    expect(status).toBe(400);
    expect(body.error.message).toContain('4096 bytes');
  });

  it('answers 400 InvalidRequest for a name that cannot be a KVS channel', async () => {
    const { status, body } = parse(await buildHandler()(event('bad%20name')));

    expect(status).toBe(400);
    expect(body.error.code).toBe('InvalidRequest');
  });

  it('answers 403 ChannelNotAllowed for a channel this API does not serve, without calling AWS', async () => {
    const { status, body } = parse(await buildHandler()(event('someone-elses-channel')));

    expect(status).toBe(403);
    expect(body.error.code).toBe('ChannelNotAllowed');
    expect(sts.calls()).toHaveLength(0);
  });

  it('accepts an empty body and uses the defaults', async () => {
    const { status } = parse(await buildHandler()(event('demo', '')));

    expect(status).toBe(200);
  });

  it('accepts a base64-encoded body', async () => {
    const body = Buffer.from(JSON.stringify({ maxServerSets: 1 })).toString('base64');

    const response = parse(await buildHandler()(event('demo', body, { isBase64Encoded: true })));

    expect(response.status).toBe(200);
    expect(response.body.iceServers).toHaveLength(2);
  });

  it('takes the channel name as API Gateway decoded it, without decoding it a second time', async () => {
    const { status, body } = parse(await buildHandler()(event('%64emo')));

    expect(status).toBe(400);
    expect(body.error.code).toBe('InvalidRequest');
  });
});
