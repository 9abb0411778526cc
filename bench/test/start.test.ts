import { describe, expect, it } from 'vitest';
import { requirements, TOOLS } from '../../test/support/requirements';
import { bundleBenchmark } from '../bundle';
import { firstFrameBroker } from '../first-frame';
import { handlerCostBenchmark } from '../handler-cost';
import { startBroker, startConstantApi, startDemoBroker, withServer } from '../lib/child';
import { iceServersUrl, send } from '../lib/http';
import { startPageServer } from '../lib/pages';
import { serverBundle } from '../lib/server-bundle';

// Every benchmark gets as far as measuring: its servers start with the function configured as
// the product configures it, and answer. A benchmark that cannot start fails here, not only
// under `npm run bench`. The benchmarks that measure in process run in full with few samples.

const BODY = JSON.stringify({ role: 'VIEWER' });
const quiet = () => undefined;

describe('every benchmark starts', () => {
  it('bundle: builds both bundles and loads each with the environment the function is given', async () => {
    const result = await bundleBenchmark(1).run(quiet);

    expect(result.comparisons.map((comparison) => comparison.label)).toEqual([
      'bundle size (minified)',
      'module init, require() median',
    ]);
  });

  it('handler-cost: times the handler module on cache hits next to the constant handler', async () => {
    const result = await handlerCostBenchmark({ rounds: 1, perRound: 5, warmup: 1 }).run(quiet);

    expect(result.comparisons.map((comparison) => comparison.label)).toEqual([
      'median per invocation',
      'p99 per invocation',
    ]);
  });

  it('throughput and first-request: the broker answers an anonymous caller', async () => {
    const status = await withServer(startBroker({ channels: ['demo'] }), async (server) => {
      return (await send('POST', iceServersUrl(server.url, 'demo'), { body: BODY })).status;
    });

    expect(status).toBe(200);
  });

  it('throughput: the local API with a constant handler answers', async () => {
    const status = await withServer(startConstantApi({ bodyBytes: 600 }), async (server) => {
      return (await send('POST', iceServersUrl(server.url, 'demo'), { body: BODY })).status;
    });

    expect(status).toBe(200);
  });

  it('burst and fleet-storm: a fleet of bundled instances sharing the table answers a JWT caller', async () => {
    const instanceScript = await serverBundle('instance');
    const config = {
      channels: ['hot'],
      auth: 'jwt',
      instances: 2,
      instanceScript,
      sharedTable: true,
      sharedCache: true,
    } as const;

    const answer = await withServer(startBroker(config), async (server) => {
      const [token] = await server.mintTokens(['bench-start']);
      const { status } = await send('POST', iceServersUrl(server.url, 'hot'), {
        body: BODY,
        headers: { authorization: `Bearer ${token ?? ''}` },
      });
      return { status, tableRequests: await server.dynamodbRequests(true) };
    });

    expect(answer.status).toBe(200);
    expect(Object.keys(answer.tableRequests).length).toBeGreaterThan(0);
  });

  const relay = requirements(TOOLS.turnserver);
  it(
    `browser: the broker with coturn starts from source, as the /demo page needs it${relay.missing ? ` (${relay.missing})` : ''}`,
    relay.options,
    async () => {
      const answer = await withServer(
        startDemoBroker({ channels: ['demo'], relay: true }),
        async (server) => ({
          status: (await send('POST', iceServersUrl(server.url, 'demo'), { body: BODY })).status,
          relay: server.relay,
        }),
      );

      expect(answer.status).toBe(200);
      expect(answer.relay?.port).toBeGreaterThan(0);
    },
  );

  it(
    `first-frame: the broker with both signaling routes answers the pages' origin, and the baseline page builds${relay.missing ? ` (${relay.missing})` : ''}`,
    relay.options,
    async () => {
      const pages = await startPageServer({ channels: ['demo'], authMode: 'jwt' });
      try {
        const answer = await withServer(startBroker(firstFrameBroker(pages.url)), async (server) => {
          const [token] = await server.mintTokens(['bench-start']);
          const viewer = await fetch(`${server.url}/v1/channels/demo/viewer`, {
            method: 'POST',
            body: '{}',
            headers: {
              authorization: `Bearer ${token ?? ''}`,
              origin: pages.url,
              'content-type': 'application/json',
            },
          });
          return {
            status: viewer.status,
            allowOrigin: viewer.headers.get('access-control-allow-origin'),
            keys: server.emulator.sampleViewerCredentials,
          };
        });
        const script = await fetch(`${pages.url}/bench/keys-viewer.js`);

        expect(answer.status).toBe(200);
        expect(answer.allowOrigin).toBe(pages.url);
        expect(answer.keys?.accessKeyId).toMatch(/^AKIA/);
        expect(script.status).toBe(200);
        expect((await script.text()).length).toBeGreaterThan(10_000);
      } finally {
        await pages.close();
      }
    },
  );
});
