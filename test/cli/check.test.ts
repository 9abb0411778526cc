import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/runner';
import { runCli } from '../../packages/cli/src/main';
import { requirements, TOOLS } from '../support/requirements';
import { tampered } from '../support/tamper';

// `kvs-ice-broker check` against the local runner with a real coturn: the API answer checked
// against docs/openapi.json, then a real TURN Allocate per URI with werift's TURN client.
const { missing, options } = requirements(TOOLS.turnserver);
const suiteName = missing
  ? `kvs-ice-broker check (${missing})`
  : 'kvs-ice-broker check against the local runner and coturn';

const TIMEOUT_MS = 2000;

interface Report {
  ok: boolean;
  url: string;
  channel: string;
  api: { status: number | null; latencyMs: number | null; contract: string; reason: string | null };
  ttl: number | null;
  uris: { uri: string; transport: string; result: string; rttMs: number | null; reason: string | null }[];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process, as `kvs-ice-broker <args>`. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
  });
  return { code, stdout, stderr };
}

/**
 * A stand-in for a broken deployment: forwards to the local API and rewrites the 200 answer's
 * TURN server sets with `rewrite`.
 */
async function rewritingApi(
  upstream: string,
  rewrite: (server: { urls: string[]; username: string; credential: string }) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const answer = await fetch(`${upstream}${req.url}`, {
        method: req.method,
        headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
        body: Buffer.concat(chunks),
      });
      const body = await answer.json();
      if (answer.ok) for (const turn of body.iceServers.slice(1)) rewrite(turn);
      res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe(suiteName, options, () => {
  let stack: LocalStack;
  let token: string;
  let args: (url?: string) => string[];

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      channels: ['demo'],
      auth: { mode: 'jwt' },
      env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });
    token = (await stack.auth.mintToken?.({ sub: 'ops-smoke-check' })) ?? '';
    const caFile = stack.coturn?.caFile ?? '';
    args = (url = stack.api.url) => [
      'check',
      '--url',
      url,
      '--channel',
      'demo',
      '--token',
      token,
      '--ca',
      caFile,
      '--timeout',
      String(TIMEOUT_MS),
      '--json',
    ];
  });
  afterAll(() => stack?.close());

  it('passes: the answer matches the OpenAPI document and every UDP and TLS URI allocates a relay (exit 0)', async () => {
    const run = await cli(args());
    const report: Report = JSON.parse(run.stdout);

    expect(run.code).toBe(0);
    expect(report).toMatchObject({
      ok: true,
      channel: 'demo',
      api: { status: 200, contract: 'valid', reason: null },
    });
    const results = report.uris.map(({ transport, result }) => `${transport} ${result}`);
    expect(results.filter((result) => result === 'udp ok').length).toBeGreaterThan(0);
    expect(results.filter((result) => result === 'tls ok').length).toBeGreaterThan(0);
    expect(results.every((result) => /^(udp|tls) ok$|^dtls not checked$/.test(result))).toBe(true);
    expect(run.stdout).not.toContain(token);
  });

  it('prints a table with transport, result and round trip per URI for a person', async () => {
    const run = await cli(args().filter((arg) => arg !== '--json'));

    expect(run.stdout).toContain('PASSED');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^TURN URI\s+transport\s+result\s+rtt$/m);
    expect(run.stdout).toMatch(/^turn:127\.0\.0\.1:\d+\?transport=udp\s+udp\s+ok\s+\d+ ms$/m);
    expect(run.stdout).toMatch(/^turns:127\.0\.0\.1:\d+\?transport=udp\s+dtls\s+not checked\s+-$/m);
    expect(run.stdout).toContain('PASSED');
  });

  it('fails with exit 1 and a reason per URI when the TURN credential was tampered with', async () => {
    const api = await rewritingApi(stack.api.url, (server) => {
      server.credential = tampered(server.credential);
    });
    try {
      const run = await cli(args(api.url));
      const report: Report = JSON.parse(run.stdout);

      const checked = report.uris.filter((check) => check.transport !== 'dtls');
      expect(run.code).toBe(1);
      expect(report.ok).toBe(false);
      expect(checked.length).toBeGreaterThan(0);
      for (const uri of checked) {
        expect(uri).toMatchObject({
          result: 'failed',
          reason: expect.stringContaining('refused the credentials'),
        });
      }
    } finally {
      await api.close();
    }
  });

  it('fails a URI whose relay does not answer within its timeout, and still checks the others', async () => {
    const blackHole: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => blackHole.bind(0, '127.0.0.1', resolve));
    const silentPort = blackHole.address().port;
    const api = await rewritingApi(stack.api.url, (server) => {
      server.urls = server.urls.map((uri) =>
        uri.replace(/:\d+\?transport=udp$/, `:${silentPort}?transport=udp`),
      );
    });
    try {
      const run = await cli(args(api.url));
      const report: Report = JSON.parse(run.stdout);
      const udp = report.uris.filter((check) => check.transport === 'udp');
      const tls = report.uris.filter((check) => check.transport === 'tls');

      expect(run.code).toBe(1);
      for (const check of udp) {
        expect(check.reason).toContain(`no answer within ${TIMEOUT_MS} ms`);
        expect(check.rttMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
        expect(check.rttMs).toBeLessThan(TIMEOUT_MS * 5);
      }
      expect(tls.every((check) => check.result === 'ok')).toBe(true);
    } finally {
      await api.close();
      blackHole.close();
    }
  });

  it('prints the same JSON shape on every run: same keys in the same order, only figures change', async () => {
    const shape = (stdout: string) =>
      JSON.stringify(JSON.parse(stdout), (key, value) =>
        ['rttMs', 'latencyMs', 'ttl'].includes(key) ? typeof value : value,
      );

    const first = await cli(args());
    const second = await cli(args());

    expect(shape(second.stdout)).toBe(shape(first.stdout));
    expect(Object.keys(JSON.parse(first.stdout))).toEqual(['ok', 'url', 'channel', 'api', 'ttl', 'uris']);
    expect(Object.keys(JSON.parse(first.stdout).uris[0])).toEqual([
      'uri',
      'transport',
      'result',
      'rttMs',
      'reason',
    ]);
  });

  it("fails with exit 1 and the API's reason without a token on an auth=jwt API", async () => {
    const run = await cli(
      args().filter((arg, index, all) => arg !== '--token' && all[index - 1] !== '--token'),
    );
    const report: Report = JSON.parse(run.stdout);

    expect(run.code).toBe(1);
    expect(report.api).toMatchObject({ status: 401, contract: 'valid' });
    expect(report.api.reason).toMatch(/^401 Unauthorized: .*pass a valid token with --token/);
    expect(report.uris).toEqual([]);
  });
});

describe('kvs-ice-broker usage errors', () => {
  it.each([
    ['no command', ['--url', 'http://127.0.0.1:1', '--channel', 'demo'], /expected the command "check"/],
    ['no --url', ['check', '--channel', 'demo'], /--url is required/],
    [
      'both --token and --iam',
      ['check', '--url', 'http://127.0.0.1:1', '--channel', 'd', '--token', 't', '--iam'],
      /not both/,
    ],
    [
      'a plain-http URL that is not loopback',
      ['check', '--url', 'http://example.com', '--channel', 'demo'],
      /--url must use https/,
    ],
    ['an unknown option', ['check', '--verbose'], /Unknown option '--verbose'/],
    [
      'a timeout no timer can hold',
      ['check', '--url', 'http://127.0.0.1:1', '--channel', 'demo', '--timeout', '1e12'],
      /--timeout must be whole milliseconds from 100 to 600000/,
    ],
  ])('exits 2 with a message on %s', async (_, argv, message) => {
    const run = await cli(argv);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('fails on a token no header can carry, saying so without printing it', async () => {
    const run = await cli([
      'check',
      '--url',
      'http://127.0.0.1:1',
      '--channel',
      'demo',
      '--token',
      'eyJSECRET\nPART',
    ]);

    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).toContain('cannot carry');
    expect(`${run.stdout}${run.stderr}`).not.toContain('SECRET');
  });
});
