import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../../local/gateway/server';
import { captureOutput } from '../../integration/support/output';

let api: ApiServer | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('a function that throws (the one instance in the runner process)', () => {
  it('gets API Gateway 500 Internal Server Error, and its error in the runner log', async () => {
    api = await startApiServer({
      port: 0,
      handler: async () => {
        throw new Error('handler bug: boom');
      },
    });
    const url = `${api.url}/v1/channels/demo/ice-servers`;

    const { result: response, lines } = await captureOutput(async () => {
      const answer = await fetch(url, { method: 'POST', body: '{}' });
      return { status: answer.status, body: await answer.text() };
    });

    expect(response).toEqual({ status: 500, body: '{"message":"Internal Server Error"}' });
    expect(lines[0]).toMatch(
      /^kvs-ice-broker: invocation [0-9a-f-]{36} \(POST \/v1\/channels\/demo\/ice-servers\) failed, answered 500 Internal Server Error: Error: handler bug: boom$/,
    );
    expect(lines.join('\n')).toContain('failed-invocation.test.ts');
  });
});
