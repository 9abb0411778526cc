import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { upstreamFigures } from './lib/burst-analysis';
import { type ServerChild, startBroker, withServer } from './lib/child';
import { emulatorStats, resetStats } from './lib/emulator';
import { iceServersUrl, send, type Timed } from './lib/http';
import { runIfMain } from './lib/main';
import { type Benchmark, compare } from './lib/report';
import { countBy, percentile, round } from './lib/stats';

const CHANNEL = 'demo';
const REQUESTS = 1000;
const IDENTITIES = 50;
const REQUESTS_PER_SECOND = 100;
/** KVS allows 5 GetIceServerConfig calls per second per channel, a hard limit. */
const KVS_LIMIT_PER_SECOND = 5;
const BODY = JSON.stringify({ role: 'VIEWER' });

/** Request i goes out at i / rate seconds, as identity i mod IDENTITIES; nobody waits for answers or honours Retry-After. */
async function fire(server: ServerChild): Promise<Timed[]> {
  const subjects = Array.from({ length: IDENTITIES }, (_, i) => `user-${i + 1}`);
  const tokens = await server.mintTokens(subjects);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const url = iceServersUrl(server.url, CHANNEL);
  const answers: Promise<Timed>[] = [];
  const started = performance.now();
  try {
    for (let i = 0; i < REQUESTS; i++) {
      const due = started + (i * 1000) / REQUESTS_PER_SECOND - performance.now();
      if (due > 0) await sleep(due);
      const authorization = `Bearer ${tokens[i % IDENTITIES] ?? ''}`;
      answers.push(send('POST', url, { body: BODY, agent, headers: { authorization } }));
    }
    return await Promise.all(answers);
  } finally {
    agent.destroy();
  }
}

async function burstAgainst(server: ServerChild) {
  const emulatorUrl = server.emulatorUrl ?? '';
  await resetStats(emulatorUrl);
  const started = performance.now();
  const answers = await fire(server);
  const seconds = (performance.now() - started) / 1000;
  const stats = await emulatorStats(emulatorUrl);
  if (stats.recentCalls.length >= stats.recentCallsCapacity)
    throw new Error('the recent-calls ring overflowed');
  return {
    answers,
    seconds,
    upstream: upstreamFigures(stats.recentCalls, CHANNEL, IDENTITIES, KVS_LIMIT_PER_SECOND),
  };
}

const latencies = (answers: readonly Timed[], status: number) => {
  const ms = answers.filter((a) => a.status === status).map((a) => a.ms);
  return ms.length === 0
    ? undefined
    : { p50Ms: Math.round(percentile(ms, 50)), p99Ms: Math.round(percentile(ms, 99)) };
};

export const burst: Benchmark = {
  name: 'burst',
  title: `Burst: ${REQUESTS} requests from ${IDENTITIES} JWT identities on one channel at ${REQUESTS_PER_SECOND} req/s`,
  async run(log) {
    const { answers, seconds, upstream } = await withServer(
      startBroker({ channels: [CHANNEL], auth: 'jwt' }),
      burstAgainst,
    );
    const statuses = countBy(answers, (answer) => String(answer.status));
    log(`sent and answered in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(statuses)}`);
    log(
      `upstream GetIceServerConfig: ${upstream.calls} calls, ${upstream.identitiesSeen} identities, max ${upstream.maxPerIdentity} per identity, peak ${upstream.peakPerSecond} in one second`,
    );
    const handled = (statuses['200'] ?? 0) + (statuses['429'] ?? 0);
    return {
      comparisons: [
        compare(
          'upstream GetIceServerConfig calls',
          upstream.calls,
          REQUESTS,
          'calls',
          'no cache: one per request',
        ),
      ],
      checks: [
        {
          kind: 'invariant',
          statement: `at most ${KVS_LIMIT_PER_SECOND} calls in any one-second window (peak ${upstream.peakPerSecond}; tightest ${KVS_LIMIT_PER_SECOND + 1} consecutive calls span ${upstream.tightestSpanMs ?? '-'} ms)`,
          passed: upstream.peakPerSecond <= KVS_LIMIT_PER_SECOND,
        },
        {
          kind: 'invariant',
          statement: `at most 1 call per identity within one refresh window (max ${upstream.maxPerIdentity}, mean ${upstream.meanPerIdentity})`,
          passed: upstream.maxPerIdentity <= 1,
        },
        {
          kind: 'invariant',
          statement: `every request is answered 200 or 429 (${handled} of ${REQUESTS})`,
          passed: handled === REQUESTS,
        },
      ],
      details: {
        requests: REQUESTS,
        identities: IDENTITIES,
        requestsPerSecond: REQUESTS_PER_SECOND,
        seconds: round(seconds),
        statuses,
        latency: { ok: latencies(answers, 200), throttled: latencies(answers, 429) },
        upstream,
      },
    };
  },
};

runIfMain(module, burst);
