import autocannon from 'autocannon';
import { type ServerChild, startBroker, startConstantApi, withServer } from './lib/child';
import { iceServersUrl, send } from './lib/http';
import { runIfMain } from './lib/main';
import { readMemory, sampleMemory } from './lib/memory';
import { type Benchmark, type Comparison, compare } from './lib/report';
import { round } from './lib/stats';

const CHANNEL = 'demo';
const CONNECTIONS = 50;
const WARMUP_SECONDS = 3;
const DURATION_SECONDS = 10;
const BODY = JSON.stringify({ role: 'VIEWER' });
/**
 * The baseline: the same local API server (the API Gateway stand-in) in front of a handler that
 * answers a constant body of the broker's size. A bare `node:http` server used to be the baseline,
 * with a target of 0.8x; it is retired: API Gateway, not this process, carries production
 * throughput, and the handler's own cost on a cache hit has its benchmark (handler-cost).
 */
const BASELINE = 'local API with a constant handler, same body size';

interface Run {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  /** RSS of the started server process before the load (VmRSS), KB. */
  readonly idleRssKb: number;
  /** Peak RSS of the server process over its whole life (VmHWM), KB. */
  readonly peakRssKb: number;
  /** Largest RSS sampled during the measured run (VmRSS), KB. */
  readonly maxSampledRssKb: number;
}

/** A warm-up, then the measured run, sampling the server's memory throughout. */
async function load(server: ServerChild, url: string): Promise<Run> {
  const options = {
    url,
    method: 'POST' as const,
    body: BODY,
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
  };
  const idle = readMemory(server.pid);
  await autocannon({ ...options, duration: WARMUP_SECONDS });
  const memory = sampleMemory(server.pid);
  const result = await autocannon({ ...options, duration: DURATION_SECONDS });
  const peak = memory.stop();
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    idleRssKb: idle.rssKb,
    peakRssKb: peak.peakKb,
    maxSampledRssKb: peak.maxRssKb,
  };
}

/** The size of the broker's answer (a cache miss that fills the cache), which sets the constant handler's body. */
async function bodyBytesOf(url: string): Promise<number> {
  const answer = await send('POST', url, { body: BODY });
  if (answer.status !== 200) throw new Error(`the first request was answered ${answer.status}`);
  return answer.body.length;
}

/** A comparison against the constant handler's local API. */
const vsConstant = (label: string, figure: number, baseline: number, unit: string): Comparison =>
  compare(label, figure, baseline, unit, BASELINE);
const mb = (kb: number) => round(kb / 1024);

export const throughput: Benchmark = {
  name: 'throughput',
  title: 'Throughput on cache hits (autocannon, anonymous POST, one channel)',
  async run(log) {
    const { bodyBytes, broker } = await withServer(startBroker({ channels: [CHANNEL] }), async (server) => {
      const url = iceServersUrl(server.url, CHANNEL);
      const bytes = await bodyBytesOf(url);
      log(
        `broker answers ${bytes} bytes; per server: ${WARMUP_SECONDS} s warm-up, ${DURATION_SECONDS} s measured, ${CONNECTIONS} connections`,
      );
      return { bodyBytes: bytes, broker: await load(server, url) };
    });
    log(
      `broker: ${broker.requestsPerSecond.toFixed(0)} req/s, p50 ${broker.p50Ms} ms, p99 ${broker.p99Ms} ms`,
    );
    const constant = await withServer(startConstantApi({ bodyBytes }), (server) =>
      load(server, iceServersUrl(server.url, CHANNEL)),
    );
    log(
      `local API with a constant handler: ${constant.requestsPerSecond.toFixed(0)} req/s, p50 ${constant.p50Ms} ms, p99 ${constant.p99Ms} ms`,
    );
    const allOk = [broker, constant].every((run) => run.non2xx === 0 && run.errors === 0);
    return {
      comparisons: [
        vsConstant(
          "requests per second (the handler's own work on a cache hit)",
          Math.round(broker.requestsPerSecond),
          Math.round(constant.requestsPerSecond),
          'req/s',
        ),
        vsConstant('latency p50', broker.p50Ms, constant.p50Ms, 'ms'),
        vsConstant('latency p99', broker.p99Ms, constant.p99Ms, 'ms'),
        vsConstant(
          'RSS of the server process before the load',
          mb(broker.idleRssKb),
          mb(constant.idleRssKb),
          'MB',
        ),
        vsConstant(
          'peak RSS of the server process (VmHWM)',
          mb(broker.peakRssKb),
          mb(constant.peakRssKb),
          'MB',
        ),
      ],
      checks: [
        {
          kind: 'invariant',
          statement: `every request was answered 200 (broker ${broker.non2xx} non-2xx + ${broker.errors} errors, constant ${constant.non2xx} + ${constant.errors})`,
          passed: allOk,
        },
      ],
      details: {
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_SECONDS,
        durationSeconds: DURATION_SECONDS,
        bodyBytes,
        broker,
        constant,
      },
    };
  },
};

runIfMain(module, throughput);
