import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallRecord, EmulatorStats } from '../local/emulator';
import { type ServerChild, startBroker, withServer } from './lib/child';
import { emulatorStats, resetStats } from './lib/emulator';
import { iceServersUrl, send, type Timed } from './lib/http';
import { runIfMain } from './lib/main';
import { type Benchmark, type Check, compare } from './lib/report';
import { serverBundle } from './lib/server-bundle';
import { countBy, peakInWindow, percentile, round } from './lib/stats';

const INSTANCES = 4;
const CHANNELS = 50;
const CALLERS_PER_CHANNEL = 3;
const HOT_CHANNEL = 'hot';
const HOT_CALLERS = 20;
const STORM_MS = 5000;
/** A reconnect storm is front-loaded: callers come back after a blip at exponential delays of this mean. */
const MEAN_DELAY_MS = 1000;
/** KVS: 5 GetIceServerConfig calls per second per channel (hard), 100 per account (soft). */
const KVS_PER_CHANNEL = 5;
const KVS_PER_ACCOUNT = 100;
const BODY = JSON.stringify({ role: 'VIEWER' });
/**
 * The issue's targets for the shared budget (item 4): at most this many DynamoDB requests per
 * upstream GetIceServerConfig call in the storm, and a storm p50 at most this many times the
 * per-instance budgets'. Reported as targets: a miss depends on the machine, not on a promise.
 */
const TARGET_DYNAMODB_PER_CALL = 1.5;
const TARGET_P50_RATIO = 1.5;

/** The machine's load averages (1, 5, 15 min), rounded: every figure here depends on them. */
const load = () => loadavg().map((value) => round(value, 2));

interface Caller {
  readonly channel: string;
  readonly subject: string;
  /** Milliseconds after the storm's start. */
  readonly at: number;
}

/** A small seeded generator (mulberry32), so that every run sends the same storm. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const channelNames = Array.from({ length: CHANNELS }, (_, i) => `ch-${String(i + 1).padStart(2, '0')}`);

/** Every caller of the storm, each with its own JWT subject and its start, within STORM_MS. */
function stormCallers(): Caller[] {
  const random = seeded(13);
  const delay = () => Math.min(STORM_MS - 1, -Math.log(1 - random()) * MEAN_DELAY_MS);
  const callers = [
    ...channelNames.flatMap((channel) =>
      Array.from({ length: CALLERS_PER_CHANNEL }, (_, i) => ({ channel, subject: `${channel}-camera-${i}` })),
    ),
    ...Array.from({ length: HOT_CALLERS }, (_, i) => ({ channel: HOT_CHANNEL, subject: `hot-viewer-${i}` })),
  ];
  return callers.map((caller) => ({ ...caller, at: delay() })).sort((a, b) => a.at - b.at);
}

/** Sends every caller's request at its time; nobody waits for answers or honours Retry-After. */
async function fire(
  server: ServerChild,
  callers: readonly Caller[],
  tokens: readonly string[],
): Promise<Timed[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const answers: Promise<Timed>[] = [];
  const started = performance.now();
  try {
    for (const [i, caller] of callers.entries()) {
      const due = started + caller.at - performance.now();
      if (due > 0) await sleep(due);
      const headers = { authorization: `Bearer ${tokens[i] ?? ''}` };
      answers.push(send('POST', iceServersUrl(server.url, caller.channel), { body: BODY, agent, headers }));
    }
    return await Promise.all(answers);
  } finally {
    agent.destroy();
  }
}

interface Wave {
  readonly answers: readonly Timed[];
  readonly stats: EmulatorStats;
  /** By operation. */
  readonly dynamodbRequests: Record<string, number>;
}

interface Run {
  readonly storm: Wave;
  /** Every caller once more, right after the storm (a page reload): served by whichever instance. */
  readonly again: Wave;
}

async function wave(server: ServerChild, send: () => Promise<Timed[]>): Promise<Wave> {
  const emulatorUrl = server.emulatorUrl ?? '';
  await resetStats(emulatorUrl);
  await server.dynamodbRequests(true);
  const answers = await send();
  const stats = await emulatorStats(emulatorUrl);
  if (stats.recentCalls.length >= stats.recentCallsCapacity)
    throw new Error('the recent-calls ring overflowed');
  return { answers, stats, dynamodbRequests: await server.dynamodbRequests(true) };
}

async function runFleet(sharedTable: boolean, sharedCache: boolean): Promise<Run> {
  const instanceScript = await serverBundle('instance');
  const callers = stormCallers();
  return withServer(
    startBroker({
      channels: [HOT_CHANNEL, ...channelNames],
      auth: 'jwt',
      instances: INSTANCES,
      instanceScript,
      sharedTable,
      sharedCache,
    }),
    async (server) => {
      const tokens = await server.mintTokens(callers.map((caller) => caller.subject));
      const storm = await wave(server, () => fire(server, callers, tokens));
      // Let the storm's budget windows pass, then every caller comes back once, all within a second.
      await sleep(2000);
      const again = await wave(server, () =>
        fire(
          server,
          callers.map((caller, i) => ({ ...caller, at: (i * 1000) / callers.length })),
          tokens,
        ),
      );
      return { storm, again };
    },
  );
}

const iceCalls = (stats: EmulatorStats, channel?: string): CallRecord[] =>
  stats.recentCalls.filter(
    (call) => call.op === 'GetIceServerConfig' && (channel === undefined || call.channel === channel),
  );

/** Every DynamoDB request a wave made, all operations together. */
const dynamodbTotal = (wave: Wave) => Object.values(wave.dynamodbRequests).reduce((sum, n) => sum + n, 0);

/** What a wave cost upstream and what its callers got. */
function figures(wave: Wave) {
  const admitted = iceCalls(wave.stats).filter((call) => !call.throttled);
  const peakPerChannel = Math.max(
    ...[HOT_CHANNEL, ...channelNames].map((channel) =>
      peakInWindow(
        iceCalls(wave.stats, channel).map((c) => c.at),
        1000,
      ),
    ),
  );
  const ms = wave.answers.map((answer) => answer.ms);
  const statuses = countBy(wave.answers, (answer) => String(answer.status));
  return {
    requests: wave.answers.length,
    statuses,
    throttledAtKvs: wave.stats.throttled.GetIceServerConfig,
    upstreamCalls: admitted.length,
    distinctPairs: new Set(admitted.map((call) => `${call.channel}|${call.clientId}`)).size,
    peakPerChannelPerSecond: peakPerChannel,
    peakAccountPerSecond: peakInWindow(
      iceCalls(wave.stats).map((call) => call.at),
      1000,
    ),
    p50Ms: round(percentile(ms, 50)),
    p99Ms: round(percentile(ms, 99)),
    throttled429: statuses['429'] ?? 0,
    dynamodbPerRequest: round(dynamodbTotal(wave) / wave.answers.length, 2),
    dynamodbPerUpstreamCall: admitted.length === 0 ? 0 : round(dynamodbTotal(wave) / admitted.length, 2),
    dynamodbRequests: wave.dynamodbRequests,
  };
}

export const fleetStorm: Benchmark = {
  name: 'fleet-storm',
  title: `Fleet storm: ${INSTANCES} instances, ${CHANNELS} channels x ${CALLERS_PER_CHANNEL} callers + ${HOT_CALLERS} on one hot channel within ${STORM_MS / 1000} s`,
  async run(log) {
    const pairs = CHANNELS * CALLERS_PER_CHANNEL + HOT_CALLERS;
    const loadAtStart = load();
    log(`load average (1, 5, 15 min) at the start: ${loadAtStart.join(', ')}`);
    const perInstance = await runFleet(false, false);
    log(`per-instance budgets: ${JSON.stringify(figures(perInstance.storm))}`);
    const shared = await runFleet(true, false);
    log(`shared budget: ${JSON.stringify(figures(shared.storm))}`);
    const cached = await runFleet(true, true);
    log(`shared budget + sharedCache: ${JSON.stringify(figures(cached.storm))}`);
    const loadAtEnd = load();
    log(`load average (1, 5, 15 min) at the end: ${loadAtEnd.join(', ')}`);
    const [s, p, c] = [figures(shared.storm), figures(perInstance.storm), figures(cached.storm)];
    const [sAgain, cAgain] = [figures(shared.again), figures(cached.again)];
    const sharedUpstreamPerRequest = round(s.upstreamCalls / s.requests, 2);
    const answered = (f: ReturnType<typeof figures>) => (f.statuses['200'] ?? 0) + (f.statuses['429'] ?? 0);
    const checks: Check[] = [
      {
        // Without it, "0 throttles with the shared budget" shows nothing: the storm was too slow to need it.
        kind: 'invariant',
        statement: `baseline: the same storm with per-instance budgets is throttled by KVS (${p.throttledAtKvs} calls)`,
        passed: p.throttledAtKvs > 0,
      },
      {
        kind: 'invariant',
        statement: `shared budget: KVS throttles no GetIceServerConfig call (${s.throttledAtKvs})`,
        passed: s.throttledAtKvs === 0,
      },
      {
        kind: 'invariant',
        statement: `shared budget: at most ${KVS_PER_CHANNEL} calls in any second on any channel (peak ${s.peakPerChannelPerSecond}) and ${KVS_PER_ACCOUNT} across the account (peak ${s.peakAccountPerSecond})`,
        passed: s.peakPerChannelPerSecond <= KVS_PER_CHANNEL && s.peakAccountPerSecond <= KVS_PER_ACCOUNT,
      },
      {
        kind: 'invariant',
        statement: `every request is answered 200 or 429 (${answered(s)} of ${s.requests})`,
        passed: answered(s) === s.requests,
      },
      {
        kind: 'invariant',
        statement: `shared budget: no (channel, caller) pair called twice (${s.upstreamCalls} calls for ${s.distinctPairs} pairs; the other ${pairs - s.distinctPairs} of ${pairs} callers caused none: ${s.throttled429} answered 429)`,
        passed: s.upstreamCalls === s.distinctPairs,
      },
      {
        kind: 'target',
        statement: `shared budget: at most ${TARGET_DYNAMODB_PER_CALL} DynamoDB requests per upstream call (${s.dynamodbPerUpstreamCall}: ${Object.entries(
          s.dynamodbRequests,
        )
          .map(([operation, n]) => `${n} ${operation}`)
          .join(', ')} for ${s.upstreamCalls} calls)`,
        passed: s.dynamodbPerUpstreamCall <= TARGET_DYNAMODB_PER_CALL,
      },
      {
        kind: 'target',
        statement: `shared budget: storm p50 at most ${TARGET_P50_RATIO}x the per-instance budgets' (${round(s.p50Ms / p.p50Ms, 2)}x: ${s.p50Ms} vs ${p.p50Ms} ms)`,
        passed: s.p50Ms <= TARGET_P50_RATIO * p.p50Ms,
      },
    ];
    return {
      comparisons: [
        compare(
          'KVS throttles at the emulator, shared budget',
          s.throttledAtKvs,
          p.throttledAtKvs,
          'calls',
          'per-instance budgets',
        ),
        compare(
          'upstream GetIceServerConfig calls, shared budget',
          s.upstreamCalls,
          pairs,
          'calls',
          'every (channel, caller) pair of the storm',
        ),
        compare(
          'upstream GetIceServerConfig calls, per-instance budgets',
          p.upstreamCalls,
          pairs,
          'calls',
          'every (channel, caller) pair of the storm',
        ),
        compare(
          'peak calls in one second on one channel, shared budget',
          s.peakPerChannelPerSecond,
          p.peakPerChannelPerSecond,
          'calls',
          'per-instance budgets',
        ),
        compare(
          'DynamoDB requests per upstream call, shared budget',
          s.dynamodbPerUpstreamCall,
          1,
          'requests',
          'one request per upstream call',
        ),
        compare('latency p50, shared budget', s.p50Ms, p.p50Ms, 'ms', 'per-instance budgets'),
        compare('latency p99, shared budget', s.p99Ms, p.p99Ms, 'ms', 'per-instance budgets'),
        compare(
          '429 answers, shared budget',
          s.throttled429,
          p.throttled429,
          'answers',
          'per-instance budgets',
        ),
        compare('latency p50, shared budget + sharedCache', c.p50Ms, s.p50Ms, 'ms', 'shared budget alone'),
        compare(
          'upstream calls when every caller comes back (another instance), sharedCache',
          cAgain.upstreamCalls,
          sAgain.upstreamCalls,
          'calls',
          'without sharedCache',
        ),
        compare(
          'latency p50 when every caller comes back, sharedCache',
          cAgain.p50Ms,
          sAgain.p50Ms,
          'ms',
          'without sharedCache',
        ),
        compare(
          'DynamoDB requests per request when every caller comes back, sharedCache',
          cAgain.dynamodbPerRequest,
          sAgain.dynamodbPerRequest,
          'requests',
          'without sharedCache',
        ),
      ],
      // The machine's load, which every figure above depends on (two cores shared with other
      // jobs), and what the shared budget costs per request, with nothing of the same kind to
      // compare it with: the storm's upstream calls per request are KVS calls, not DynamoDB requests.
      context: [
        { label: 'load average (1 min) at the start', value: loadAtStart[0] ?? 0, unit: 'runnable' },
        { label: 'load average (1 min) at the end', value: loadAtEnd[0] ?? 0, unit: 'runnable' },
        {
          label: 'DynamoDB requests per request, shared budget',
          value: s.dynamodbPerRequest,
          unit: 'requests',
        },
        {
          label: 'upstream calls per request, shared budget',
          value: sharedUpstreamPerRequest,
          unit: 'calls',
        },
      ],
      checks,
      details: {
        instances: INSTANCES,
        channels: CHANNELS,
        callersPerChannel: CALLERS_PER_CHANNEL,
        hotCallers: HOT_CALLERS,
        stormMs: STORM_MS,
        meanDelayMs: MEAN_DELAY_MS,
        loadAverage: { start: loadAtStart, end: loadAtEnd },
        perInstance: { storm: p, again: figures(perInstance.again) },
        shared: { storm: s, again: sAgain },
        sharedCache: { storm: c, again: cAgain },
        sharedBudgetCost: {
          upstreamCalls: s.upstreamCalls,
          distinctPairsAmongThem: s.distinctPairs,
          dynamodbRequestsPerRequest: s.dynamodbPerRequest,
          dynamodbRequestsPerUpstreamCall: s.dynamodbPerUpstreamCall,
          dynamodbRequestsByOperation: s.dynamodbRequests,
          upstreamCallsPerRequest: sharedUpstreamPerRequest,
        },
      },
    };
  },
};

runIfMain(module, fleetStorm);
