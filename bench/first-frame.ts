import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import type { PeerOptions } from '../local/demo/signaling';
import { PHASES, type Phase } from '../local/demo/video-viewer';
import type { EmulatorStats } from '../local/emulator';
import { findTurnserver } from '../local/relay/coturn';
import { CERTUTIL_PATH, CHROMIUM_PATH, shownPhases, withChromium } from '../test/browser/support/chromium';
import { type ServerChild, startBroker, withServer } from './lib/child';
import { emulatorStats } from './lib/emulator';
import { MissingRequirement, runIfMain } from './lib/main';
import { type PageServer, startPageServer } from './lib/pages';
import { type Benchmark, type Check, compare } from './lib/report';
import { countBy, median, round } from './lib/stats';
import type { KeysViewerOptions } from './pages/keys-viewer';
import type { BrokerConfig } from './servers/protocol';

/** Joins measured per path on plain loopback (the issue asks for at least 10). */
const SAMPLES = 20;
/** Joins measured per path with emulated latency (context: how the gap grows with round trips). */
const LATENCY_SAMPLES = 10;
/** Added by Chromium's network emulation to each HTTP response and WebSocket handshake of the page. */
const LATENCY_MS = 50;
/** Joins per path before measuring: Chromium's, the pages' and the broker's first-use costs. */
const WARMUPS = 1;
const CHANNEL = 'demo';
const JOIN_TIMEOUT_MS = 45_000;
/** After a viewer leaves, time for the master and the relay to drop it before the next join. */
const SETTLE_MS = 500;
/** The issue's target: the broker's path at most this fraction of the baseline's. */
const TARGET_RATIO = 0.8;

/** The two ways a viewer joins: through the broker, or holding AWS keys (the status quo). */
type Path = 'broker' | 'keys';
const PATH_LABELS: Record<Path, string> = {
  broker: "the broker's viewer (/demo/signaling: one POST …/viewer, the URL presigned by the broker)",
  keys: 'the same viewer holding AWS keys (GetSignalingChannelEndpoint, GetIceServerConfig, the SDK signs its URL)',
};
const BASELINE = 'keys in the page';

/** An API request of the page, from Resource Timing, in ms from the first API call. */
interface ApiRequest {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/** One measured join. */
interface JoinSample {
  readonly path: Path;
  /** Milliseconds Chromium added to each HTTP response and WebSocket handshake (0: plain loopback). */
  readonly latencyMs: number;
  /** The phases as the page shows them (`data-ms-*`), in ms from the first API call. */
  readonly phases: Partial<Record<Phase, number>>;
  readonly relayProtocol: string;
  readonly localCandidateType: string;
  /** Requests the page sent after loading, by method and origin (Playwright does not see CORS preflights). */
  readonly requests: readonly string[];
  /** The API requests' timing (Resource Timing), on the clock of the phases. */
  readonly apiRequests: readonly ApiRequest[];
  /** The broker's upstream KVS calls during the join, by operation (the emulator's counters). */
  readonly upstreamCalls: Record<string, number>;
}

/** Where a join's time goes: the phases' differences, in ms. */
const SEGMENTS = {
  api: ['API calls', undefined, 'apiAnswered'],
  signing: ['peer connection made, URL signed', 'apiAnswered', 'urlSigned'],
  webSocket: ['WebSocket handshake', 'urlSigned', 'signalingOpen'],
  ice: ['offer, answer, candidates, ICE checks through the relay', 'signalingOpen', 'iceConnected'],
  media: ['DTLS, first key frame encoded, sent, decoded, shown', 'iceConnected', 'firstFrame'],
} as const satisfies Record<string, readonly [string, Phase | undefined, Phase]>;
type Segment = keyof typeof SEGMENTS;

/** Why this machine cannot run the benchmark (one line, with what to install), or undefined. */
function missingRequirements(): string | undefined {
  const missing = [
    ...(existsSync(CHROMIUM_PATH) ? [] : [`Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`]),
    ...(findTurnserver() ? [] : ["coturn's turnserver (apt-get install coturn)"]),
    ...(existsSync(CERTUTIL_PATH)
      ? []
      : [`NSS's certutil at ${CERTUTIL_PATH} (apt-get install libnss3-tools)`]),
  ];
  return missing.length > 0 ? `needs ${missing.join(' and ')}, not found` : undefined;
}

/** Calls per operation between two snapshots of the emulator's counters. */
function callsBetween(before: EmulatorStats, after: EmulatorStats): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const [operation, count] of Object.entries(after.operations)) {
    const made = count - (before.operations[operation as keyof EmulatorStats['operations']] ?? 0);
    if (made > 0) calls[operation] = made;
  }
  return calls;
}

/** What a join needs: the browser, the pages, the broker, and the credentials of each path. */
interface Rig {
  readonly chromium: Browser;
  readonly pages: PageServer;
  readonly server: ServerChild;
  readonly keys: Omit<KeysViewerOptions, 'timeoutMs'>;
  /** A fresh bearer token, of a caller that never joined before. */
  nextToken(): string;
}

/** The page's API requests since the clock started (Resource Timing), on the clock of the phases. */
function apiRequests(page: Page): Promise<ApiRequest[]> {
  // No named functions in here: tsx would wrap them in a helper the page does not have.
  return page.evaluate(() => {
    const clockStart = Number(document.body.dataset.clockStart);
    return (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((entry) => entry.startTime >= clockStart)
      .map((entry) => ({
        path: new URL(entry.name).pathname,
        start: Math.round((entry.startTime - clockStart) * 10) / 10,
        end: Math.round((entry.responseEnd - clockStart) * 10) / 10,
      }));
  });
}

/**
 * One viewer joining the running master, in a browser context of its own (no connection, cache
 * or CORS preflight shared with an earlier join, as a new visitor's browser): the page loads (not
 * timed), then the viewer starts and the page shows its phases; the context closes afterwards.
 * With `latencyMs`, Chromium's network emulation (DevTools protocol) delays each of the page's
 * HTTP responses and its WebSocket handshake; the relay's UDP is not delayed.
 */
async function join(rig: Rig, path: Path, latencyMs: number): Promise<JoinSample> {
  const context = await rig.chromium.newContext();
  try {
    const page = await context.newPage();
    if (path === 'broker') {
      await page.goto(`${rig.pages.url}/demo/signaling`);
      await page.waitForFunction(
        () => window.kvsSignalingDemo !== undefined && window.KVSWebRTC !== undefined,
      );
    } else {
      await page.goto(`${rig.pages.url}/bench/keys-viewer`);
      await page.waitForFunction(() => window.keysViewer !== undefined && window.KVSWebRTC !== undefined);
    }
    if (latencyMs > 0) {
      const devtools = await context.newCDPSession(page);
      await devtools.send('Network.enable');
      await devtools.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: latencyMs,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
    }
    const requests: string[] = [];
    page.on('request', (request) => requests.push(`${request.method()} ${new URL(request.url()).origin}`));
    const before = await emulatorStats(rig.server.emulatorUrl ?? '');
    const outcome =
      path === 'broker'
        ? await page.evaluate((o) => window.kvsSignalingDemo.videoViewer(o), {
            baseUrl: rig.server.url,
            channel: CHANNEL,
            token: rig.nextToken(),
            timeoutMs: JOIN_TIMEOUT_MS,
          } satisfies PeerOptions & { timeoutMs: number })
        : await page.evaluate((o) => window.keysViewer.watch(o), { ...rig.keys, timeoutMs: JOIN_TIMEOUT_MS });
    const after = await emulatorStats(rig.server.emulatorUrl ?? '');
    const phases = await shownPhases(page);
    const timing = await apiRequests(page);
    await page.evaluate(() => (window.kvsSignalingDemo ?? window.keysViewer).stopWatching());
    return {
      path,
      latencyMs,
      phases,
      relayProtocol: outcome.relayProtocol ?? '',
      localCandidateType: outcome.localCandidateType ?? '',
      requests,
      apiRequests: timing,
      upstreamCalls: callsBetween(before, after),
    };
  } finally {
    await context.close();
    await sleep(SETTLE_MS);
  }
}

/** The master: the /demo/signaling page sending its test pattern, in a context of its own. */
async function startMaster(rig: Rig): Promise<void> {
  const [token = ''] = await rig.server.mintTokens(['camera'], [CHANNEL]);
  const page = await (await rig.chromium.newContext()).newPage();
  await page.goto(`${rig.pages.url}/demo/signaling`);
  await page.waitForFunction(() => window.kvsSignalingDemo !== undefined && window.KVSWebRTC !== undefined);
  const options: PeerOptions = { baseUrl: rig.server.url, channel: CHANNEL, token };
  await page.evaluate((o) => window.kvsSignalingDemo.videoMaster(o), options);
}

/** The median of the values present (1 decimal); NaN without any. */
function medianOf(values: readonly (number | undefined)[]): number {
  const present = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
  return present.length === 0 ? Number.NaN : round(median(present), 1);
}

/** Each phase's median over the samples that reached it. */
function phaseMedians(samples: readonly JoinSample[]): Partial<Record<Phase, number>> {
  return Object.fromEntries(
    (Object.keys(PHASES) as Phase[]).map((phase) => [phase, medianOf(samples.map((s) => s.phases[phase]))]),
  );
}

/** Each segment's median over the samples (a segment is the difference of two phases of one join). */
function segmentMedians(samples: readonly JoinSample[]): Record<Segment, number> {
  const of = (sample: JoinSample, [, from, to]: (typeof SEGMENTS)[Segment]) => {
    const end = sample.phases[to];
    const start = from === undefined ? 0 : sample.phases[from];
    return end === undefined || start === undefined ? undefined : end - start;
  };
  return Object.fromEntries(
    (Object.keys(SEGMENTS) as Segment[]).map((segment) => [
      segment,
      medianOf(samples.map((sample) => of(sample, SEGMENTS[segment]))),
    ]),
  ) as Record<Segment, number>;
}

/** How often each request (method and origin) was sent per join, over the samples. */
function requestsPerJoin(samples: readonly JoinSample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sample of samples)
    for (const request of sample.requests) counts[request] = (counts[request] ?? 0) + 1;
  return Object.fromEntries(
    Object.entries(counts).map(([request, n]) => [request, round(n / samples.length, 2)]),
  );
}

const loads = () => loadavg().map((value) => round(value, 2));

/** Where the time went, per path: the phases' and the segments' medians, and when the first request left. */
function profileOf(samples: readonly JoinSample[]) {
  return {
    phases: phaseMedians(samples),
    segments: segmentMedians(samples),
    /** The page's own work before its first API request left (client construction, signing). */
    firstRequestSentAt: medianOf(samples.map((s) => s.apiRequests[0]?.start)),
  };
}

/**
 * The broker the benchmark joins through: coturn, both signaling routes (the master's needs JWT
 * auth), CORS for the pages' origin, and the emulator's sample viewer user for the baseline.
 */
export const firstFrameBroker = (pagesOrigin: string): BrokerConfig => ({
  channels: [CHANNEL],
  relay: true,
  auth: 'jwt',
  signalingRoles: ['viewer', 'master'],
  corsAllowOrigins: [pagesOrigin],
  sampleViewerUser: true,
});

const CACHES =
  'each join is a new browser context (no connection, HTTP cache or CORS preflight cache shared with ' +
  'earlier joins, as a new visitor) and, through the broker, a caller it has not seen (its per-caller ICE ' +
  "cache cold: one GetIceServerConfig upstream per join); the broker's scoped sessions and the channel's " +
  'endpoints are warm (cached per channel since its init and the warm-up), as for every viewer after the ' +
  'first; the keys page has nothing to cache (it calls KVS on every join, as the samples do); the master ' +
  'runs throughout, its next peer connection gathered ahead for both paths alike.';

export const firstFrame: Benchmark = {
  name: 'first-frame',
  title:
    "Time to the first video frame in Chromium over the relay: the broker's viewer vs the same viewer holding AWS keys",
  async run(log) {
    const missing = missingRequirements();
    if (missing) throw new MissingRequirement(missing);
    const loadBefore = loads();
    const pages = await startPageServer({ channels: [CHANNEL], authMode: 'jwt' });
    const samples: JoinSample[] = [];
    let apiOrigin = '';
    try {
      await withServer(startBroker(firstFrameBroker(pages.url)), async (server) => {
        const { relay, emulator } = server;
        apiOrigin = new URL(server.url).origin;
        const channelArn = emulator.channelArns?.[CHANNEL];
        const keys = emulator.sampleViewerCredentials;
        if (!relay || !channelArn || !keys || !emulator.region || !server.emulatorUrl) {
          throw new Error('the broker child did not report its relay, channel, region or sample viewer keys');
        }
        const callers = Array.from(
          { length: SAMPLES + LATENCY_SAMPLES + WARMUPS },
          (_, i) => `viewer-${i + 1}`,
        );
        const tokens = await server.mintTokens(callers);
        await withChromium(async (chromium) => {
          const rig: Rig = {
            chromium,
            pages,
            server,
            keys: { region: emulator.region ?? '', endpoint: server.emulatorUrl ?? '', channelArn, ...keys },
            nextToken: () => {
              const token = tokens.shift();
              if (token === undefined) throw new Error('out of tokens');
              return token;
            },
          };
          await startMaster(rig);
          log(
            'master: the /demo/signaling page sending its test pattern (640x360, 30 fps), running throughout',
          );
          log(`caches: ${CACHES}`);
          for (let i = 0; i < WARMUPS; i++)
            for (const path of ['broker', 'keys'] as const) await join(rig, path, 0);
          const rounds: [number, number][] = [
            [0, SAMPLES],
            [LATENCY_MS, LATENCY_SAMPLES],
          ];
          for (const [latencyMs, count] of rounds) {
            // Alternating, and which path goes first alternates too, so drift hits both alike.
            for (let i = 0; i < count; i++) {
              const order: Path[] = i % 2 === 0 ? ['broker', 'keys'] : ['keys', 'broker'];
              for (const path of order) {
                const sample = await join(rig, path, latencyMs);
                samples.push(sample);
                const { apiAnswered, signalingOpen, iceConnected, firstFrame: frame } = sample.phases;
                log(
                  `${latencyMs > 0 ? `+${latencyMs} ms ` : ''}${i + 1}/${count} ${path}: first frame ${frame} ms ` +
                    `(API ${apiAnswered}, signaling open ${signalingOpen}, ICE connected ${iceConnected})`,
                );
              }
            }
          }
        }, relay.caFile);
      });
    } finally {
      await pages.close();
    }
    const loadAfter = loads();
    const of = (path: Path, latencyMs = 0) =>
      samples.filter((s) => s.path === path && s.latencyMs === latencyMs);
    const firstFrames = (path: Path, latencyMs = 0) => of(path, latencyMs).map((s) => s.phases.firstFrame);
    const broker = medianOf(firstFrames('broker'));
    const keys = medianOf(firstFrames('keys'));
    const profile = { broker: profileOf(of('broker')), keys: profileOf(of('keys')) };
    const latencyProfile = {
      broker: profileOf(of('broker', LATENCY_MS)),
      keys: profileOf(of('keys', LATENCY_MS)),
    };
    log(`load average (1, 5, 15 min) before ${loadBefore.join(', ')}, after ${loadAfter.join(', ')}`);
    for (const segment of Object.keys(SEGMENTS) as Segment[]) {
      log(
        `median ${SEGMENTS[segment][0]}: broker ${profile.broker.segments[segment]} ms, keys ${profile.keys.segments[segment]} ms` +
          ` (+${LATENCY_MS} ms: broker ${latencyProfile.broker.segments[segment]} ms, keys ${latencyProfile.keys.segments[segment]} ms)`,
      );
    }
    log(
      `median first API request sent at: broker ${profile.broker.firstRequestSentAt} ms, keys ${profile.keys.firstRequestSentAt} ms`,
    );
    const phase = (which: Phase, label: string) =>
      compare(
        label,
        profile.broker.phases[which] ?? Number.NaN,
        profile.keys.phases[which] ?? Number.NaN,
        'ms',
        BASELINE,
      );
    const brokerPosts = of('broker').map((s) => s.requests.filter((r) => r === `POST ${apiOrigin}`).length);
    const protocols = countBy(samples, (s) => `${s.localCandidateType} ${s.relayProtocol}`);
    const checks: Check[] = [
      {
        kind: 'invariant',
        statement: `every one of ${samples.length} joins showed a video frame through the relay (relay candidates only)`,
        passed:
          samples.length === 2 * (SAMPLES + LATENCY_SAMPLES) &&
          samples.every((s) => s.phases.firstFrame !== undefined && s.localCandidateType === 'relay'),
      },
      {
        kind: 'invariant',
        statement:
          "the broker's viewer sent one request, to the broker's API, per join (no AWS endpoint called, no AWS key in the page)",
        passed:
          brokerPosts.every((posts) => posts === 1) &&
          of('broker').every((s) =>
            s.requests.every((request) =>
              [apiOrigin, pages.url].some((origin) => request.endsWith(` ${origin}`)),
            ),
          ),
      },
      {
        kind: 'target',
        statement: `median time to first frame through the broker at most ${TARGET_RATIO}x the keys-in-the-page baseline's, on loopback`,
        passed: broker <= TARGET_RATIO * keys,
      },
    ];
    return {
      comparisons: [
        compare('time to first video frame, median', broker, keys, 'ms', PATH_LABELS.keys),
        phase('apiAnswered', 'phase: API answered, median'),
        phase('signalingOpen', 'phase: signaling WebSocket open, median'),
        phase('iceConnected', 'phase: ICE connected, median'),
        compare(
          `time to first video frame, median, +${LATENCY_MS} ms per HTTP response and WebSocket handshake`,
          medianOf(firstFrames('broker', LATENCY_MS)),
          medianOf(firstFrames('keys', LATENCY_MS)),
          'ms',
          `${BASELINE}, same latency`,
        ),
        compare(
          `phase: API answered, median, +${LATENCY_MS} ms per HTTP response`,
          latencyProfile.broker.phases.apiAnswered ?? Number.NaN,
          latencyProfile.keys.phases.apiAnswered ?? Number.NaN,
          'ms',
          `${BASELINE}, same latency`,
        ),
      ],
      checks,
      details: {
        samples: SAMPLES,
        latencySamples: LATENCY_SAMPLES,
        latencyMs: LATENCY_MS,
        warmups: WARMUPS,
        paths: PATH_LABELS,
        phases: PHASES,
        segments: Object.fromEntries(Object.entries(SEGMENTS).map(([name, [label]]) => [name, label])),
        profile,
        latencyProfile,
        relay: protocols,
        requestsPerJoin: { broker: requestsPerJoin(of('broker')), keys: requestsPerJoin(of('keys')) },
        brokerUpstreamCallsPerJoin: countBy(of('broker'), (s) => JSON.stringify(s.upstreamCalls)),
        caches: CACHES,
        loadAverage: { before: loadBefore, after: loadAfter },
        joins: samples,
      },
    };
  },
};

runIfMain(module, firstFrame);
