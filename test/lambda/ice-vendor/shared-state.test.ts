import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ARRIVAL_GUARD_MS, SharedCallBudget } from '../../../lambda/aws/shared-budget';
import { DynamoDbIceCache } from '../../../lambda/aws/shared-cache';
import { isConditionFailure, SharedTable, type Update } from '../../../lambda/aws/shared-table';
import { DynamoDbViewerSlots } from '../../../lambda/aws/shared-viewer-slots';
import { budgetLimits, DEFAULT_TUNING } from '../../../lambda/config';
import { parseChannelArn } from '../../../lambda/contract';
import {
  type BudgetLimits,
  type BudgetRequest,
  FallbackCallBudget,
  InstanceCallBudget,
  type Release,
  SharedStateUnavailable,
} from '../../../lambda/core/budget';
import type { MetricName } from '../../../lambda/core/metrics';
import { JOIN_QUOTAS } from '../../../lambda/core/storage';
import { FallbackViewerSlots, InstanceViewerSlots } from '../../../lambda/core/viewer-slots';
import { RequestSummary } from '../../../lambda/http/request-summary';
import {
  connectDynamoDb,
  LOCAL_SHARED_TABLE,
  type LocalDynamoDb,
  startLocalDynamoDb,
} from '../../../local/dynamodb';
import { startMoto } from '../../support/moto';
import { requirements, TOOLS } from '../../support/requirements';
import { request, startVendor, type VendorUnderTest } from './support/vendor';

const LIMITS: BudgetLimits = budgetLimits(DEFAULT_TUNING);
const DEMO_CHANNEL_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/viewer-turns/1700000000000';

/**
 * The DynamoDB implementations the shared state runs on: dynalite (in process, what `npm start`
 * uses by default) and moto's server (another implementation, which, as AWS does, returns the item
 * of a failed condition: the budget's AWS path). moto runs where python3 has it (CI makes sure:
 * .ci/run); elsewhere its half is skipped, saying what to install.
 *
 * Only dynalite applies each conditional write atomically. moto's server answers on several
 * threads at once (`run_simple(..., threaded=True)` in moto/server.py) and its DynamoDB backend
 * checks a condition and then writes with no lock between (`update_item` in
 * moto/dynamodb/models/__init__.py; moto's locks guard only the creation of backends), so two
 * concurrent writes to one slot can both pass their condition there: a busy machine then sees more
 * calls admitted than the limit. That is moto, not the budget; the tests that admit concurrent
 * calls against a limit run on the atomic backends only (`atomicConditions`), and moto keeps what
 * it alone checks (the item returned with a failed condition, the request shapes).
 */
const BACKENDS = [
  {
    name: 'dynalite',
    needed: requirements(),
    start: () => startLocalDynamoDb(),
    returnsFailedItem: false,
    atomicConditions: true,
  },
  {
    name: "moto's server",
    needed: requirements(TOOLS.moto),
    start: async (): Promise<LocalDynamoDb> => {
      const moto = await startMoto();
      const table = await connectDynamoDb(moto.url).catch(async (error: unknown) => {
        await moto.close();
        throw error;
      });
      return { ...table, close: () => table.close().then(() => moto.close()) };
    },
    returnsFailedItem: true,
    atomicConditions: false,
  },
] as const;

/** The store of the backend whose tests run now (the backends' describe blocks run one after the other). */
let dynamodb: LocalDynamoDb;

/**
 * The shared table as one function instance reaches it: its own client, like every instance. The
 * timeout is wide (a busy machine slows dynalite to hundreds of milliseconds, and a timed-out
 * write is a fallback, not what these tests are about) except where a test wants DynamoDB slow.
 */
function tableAt(endpoint: string, timeoutMs = 10_000): SharedTable {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'TEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
  return new SharedTable({ client, tableName: LOCAL_SHARED_TABLE, timeoutMs });
}

/**
 * The shared table as one instance reaches it, recording what its budget asks: the writes and
 * reads of each kind of item (the key's prefix: `caller`, `channel`, `account`), how many writes found their
 * condition false (a lost race), and the most on their way at once. While `paused`, writes wait
 * (counted in `waiting`) until `resume()`.
 */
class RecordingTable extends SharedTable {
  readonly writes: Record<string, number> = {};
  readonly reads: Record<string, number> = {};
  conditionFailures = 0;
  mostAtOnce = 0;
  waiting = 0;
  private atOnce = 0;
  private gate: Promise<void> | undefined;
  private open = () => {};

  /** `saysTimeoutMs`: the timeout the table tells the budget (it waits 10 s, so that a busy machine fails nothing). */
  constructor(
    endpoint: string,
    private readonly saysTimeoutMs = 10_000,
  ) {
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'TEST', secretAccessKey: 'test-secret' },
      maxAttempts: 1,
    });
    super({ client, tableName: LOCAL_SHARED_TABLE, timeoutMs: 10_000 });
  }

  override get timeoutMs(): number {
    return this.saysTimeoutMs;
  }

  pause(): void {
    this.gate ??= new Promise((resolve) => {
      this.open = resolve;
    });
  }

  resume(): void {
    this.gate = undefined;
    this.open();
  }

  override get(key: string, signal?: AbortSignal) {
    const kind = key.slice(0, key.indexOf('|'));
    this.reads[kind] = (this.reads[kind] ?? 0) + 1;
    return super.get(key, signal);
  }

  override async update(key: string, update: Update, signal?: AbortSignal) {
    const kind = key.slice(0, key.indexOf('|'));
    this.writes[kind] = (this.writes[kind] ?? 0) + 1;
    if (this.gate) {
      this.waiting++;
      await this.gate;
      this.waiting--;
    }
    this.mostAtOnce = Math.max(this.mostAtOnce, ++this.atOnce);
    try {
      return await super.update(key, update, signal);
    } catch (error) {
      if (isConditionFailure(error)) this.conditionFailures++;
      throw error;
    } finally {
      this.atOnce--;
    }
  }
}

/**
 * Ends of the calls a test left in flight, ended after it: a call in flight past its guard keeps
 * extending its slots (a write a second), which would land in a later test's request counts.
 */
const inFlight: Release[] = [];
afterEach(async () => {
  await Promise.all(inFlight.splice(0).map((release) => release()));
});

/** `budget`, with every call it admits ended after the test if the test did not end it (once). */
function endedAfterTest(budget: SharedCallBudget): SharedCallBudget {
  const acquire = budget.acquire.bind(budget);
  budget.acquire = async (request, signal) => {
    let ended: Promise<void> | undefined;
    const release = await acquire(request, signal);
    const once = () => (ended ??= Promise.resolve(release()));
    inFlight.push(once);
    return once;
  };
  return budget;
}

/** A budget of one instance sharing the table; each test uses channels of its own. */
const instance = (limits: Partial<BudgetLimits> = {}, arrivalGuardMs?: number) =>
  endedAfterTest(
    new SharedCallBudget({ table: tableAt(dynamodb.url), limits: { ...LIMITS, ...limits }, arrivalGuardMs }),
  );

let account = 100_000_000_000;
/** A call on a channel of a fresh account (so that tests do not share account windows). */
function callOn(name: string, clientId?: string, accountId = String(account++)): BudgetRequest {
  const channel = parseChannelArn(
    `arn:aws:kinesisvideo:us-west-2:${accountId}:channel/${name}/1700000000000`,
  );
  if (!channel) throw new Error('bad test channel');
  return { channel, clientId };
}

const outcomes = (results: PromiseSettledResult<unknown>[]) => ({
  admitted: results.filter((r) => r.status === 'fulfilled').length,
  refused: results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => r.reason as { code?: string; retryAfterSeconds?: number }),
});

describe.each(BACKENDS)('shared state on $name', (backend) => {
  const { missing, options } = backend.needed;
  describe(missing ? `(${missing})` : 'in DynamoDB', options, () => {
    beforeAll(async () => {
      dynamodb = await backend.start();
    }, 180_000);
    afterAll(() => dynamodb?.close());

    describe('the call budget every instance shares (DynamoDB)', () => {
      it.skipIf(!backend.atomicConditions)(
        'admits at most 5 GetIceServerConfig calls per second per channel across instances',
        async () => {
          // Wide guards: on a busy machine the ten takes may span more than a 250 ms guard's second,
          // and a slot whose extension write is late frees for a sixth call (the guard's own limit,
          // docs/operations.md); this test counts slots across instances, not the guard's timing.
          const [a, b] = [instance({ maxWaitMs: 0 }, 60_000), instance({ maxWaitMs: 0 }, 60_000)];
          const call = callOn('hot');

          const results = await Promise.allSettled(
            Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).acquire(call)),
          );

          const { admitted, refused } = outcomes(results);
          expect(admitted).toBe(5);
          expect(refused.every((e) => e.code === 'Throttled' && (e.retryAfterSeconds ?? 0) >= 1)).toBe(true);
        },
      );

      it('lets a waiting call through once a slot of the channel frees, within the wait bound', async () => {
        const [a, b] = [instance({ perChannelPerSecond: 1 }), instance({ perChannelPerSecond: 1 })];
        const call = callOn('wait');
        const release = await a.acquire(call);
        const started = Date.now(); // the call ends now: its slot frees a second later, however slow DynamoDB is
        await release();

        await b.acquire(call);

        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      });

      it.skipIf(!backend.atomicConditions)(
        'admits at most the account limit per second across the channels of one account',
        async () => {
          const [a, b] = [
            instance({ perAccountPerSecond: 3, maxWaitMs: 0 }),
            instance({ perAccountPerSecond: 3, maxWaitMs: 0 }),
          ];
          const accountId = String(account++);

          const results = await Promise.allSettled(
            ['c1', 'c2', 'c3', 'c4', 'c5'].map((name, i) =>
              (i % 2 === 0 ? a : b).acquire(callOn(name, undefined, accountId)),
            ),
          );

          expect(outcomes(results).admitted).toBe(3);
        },
      );

      it.skipIf(!backend.atomicConditions)(
        "keeps another action's calls within its own quota across instances, and spends none of GetIceServerConfig's",
        async () => {
          const [a, b] = [instance({ maxWaitMs: 0 }, 60_000), instance({ maxWaitMs: 0 }, 60_000)];
          const call = callOn('joins');
          const join = { ...call, quota: JOIN_QUOTAS.VIEWER };

          const joins = await Promise.allSettled(
            Array.from({ length: 4 }, (_, i) => (i % 2 === 0 ? a : b).acquire(join)),
          );
          const iceCalls = await Promise.allSettled(
            Array.from({ length: 5 }, (_, i) => (i % 2 === 0 ? a : b).acquire(call)),
          );

          expect(outcomes(joins).admitted).toBe(JOIN_QUOTAS.VIEWER.perChannelPerSecond);
          expect(outcomes(iceCalls).admitted).toBe(5);
        },
      );

      it('refuses a caller past its issuances per minute on any instance, with Retry-After', async () => {
        const [a, b] = [instance({ perCallerPerMinute: 2 }), instance({ perCallerPerMinute: 2 })];
        await a.acquire(callOn('x1', 'u-leaked'));
        await b.acquire(callOn('x2', 'u-leaked'));

        const error = await a.acquire(callOn('x3', 'u-leaked')).catch((e: unknown) => e);

        expect(error).toMatchObject({ code: 'Throttled' });
        expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(50);
      });

      it("gives back a refused call's caller slot", async () => {
        const budget = instance({ perCallerPerMinute: 1, perChannelPerSecond: 1, maxWaitMs: 0 });
        const full = callOn('full', 'u-other');
        await budget.acquire(full);
        await budget.acquire({ ...full, clientId: 'u-bob' }).catch(() => undefined); // the channel is full

        await expect(budget.acquire(callOn('free', 'u-bob'))).resolves.toBeTypeOf('function');
      });

      it('keeps the slot of a call still in flight past its guard, so that it frees a second after the answer', async () => {
        const [a, b] = [
          instance({ perChannelPerSecond: 1, maxWaitMs: 0 }),
          instance({ perChannelPerSecond: 1, maxWaitMs: 5000 }),
        ];
        const call = callOn('slow-kvs');
        const release = await a.acquire(call);
        await new Promise((resolve) => setTimeout(resolve, 1600)); // the call is still in flight
        const waiting = b.acquire(call).then(() => Date.now());

        const answeredAt = Date.now();
        await release();

        expect(await waiting).toBeGreaterThanOrEqual(answeredAt + 900);
      });

      it('counts a call that waited for its channel against its account, though the account slot it took before the wait went to another call', async () => {
        const limits = { perChannelPerSecond: 1, perAccountPerSecond: 3 };
        const accountId = String(account++);
        const on = (name: string) => callOn(name, undefined, accountId);
        const [a, b, c, d] = [
          instance({ ...limits, maxWaitMs: 0 }),
          instance({ ...limits, maxWaitMs: 10_000 }),
          instance({ ...limits, maxWaitMs: 0 }),
          instance({ ...limits, maxWaitMs: 0 }),
        ];
        const endA = await a.acquire(on('x')); // in flight: channel x and one account slot
        const waiting = b.acquire(on('x')); // takes an account slot, waits for channel x
        await new Promise((resolve) => setTimeout(resolve, 1000 + ARRIVAL_GUARD_MS + 500)); // b's account slot has ended
        const [endY, endZ] = await Promise.all([c.acquire(on('y')), c.acquire(on('z'))]); // the two free account slots, b's among them
        await endA();
        const endB = await waiting;
        try {
          // b, y and z are in flight: the account's three slots are theirs.
          const fourth = await d.acquire(on('w')).catch((error: unknown) => error);

          expect(fourth).toMatchObject({
            code: 'Throttled',
            message: expect.stringContaining('across all channels'),
          });
        } finally {
          await Promise.all([endB(), endY(), endZ()]);
        }
      });

      it("sends a cold call's caller, channel and account writes out together: one round trip, not three", async () => {
        const table = new RecordingTable(dynamodb.url);
        const budget = endedAfterTest(new SharedCallBudget({ table, limits: LIMITS }));

        await budget.acquire(callOn('together', 'u-together'));

        expect(table.writes).toEqual({ caller: 1, channel: 1, account: 1 });
        expect(table.mostAtOnce).toBe(3);
      });

      it('lets the calls of one instance take different slots, so that none loses a race to another of its own', async () => {
        const table = new RecordingTable(dynamodb.url);
        const budget = endedAfterTest(new SharedCallBudget({ table, limits: { ...LIMITS, maxWaitMs: 0 } }));
        const call = callOn('crowded');

        const results = await Promise.allSettled(Array.from({ length: 5 }, () => budget.acquire(call)));

        expect(outcomes(results).admitted).toBe(5);
        expect(table.conditionFailures).toBe(0);
      });

      it("takes the account slots of an instance's calls that come together with one write, not one each", async () => {
        const table = new RecordingTable(dynamodb.url);
        // A wide guard: on a busy machine no slot is extended (a write more) before the count.
        const budget = endedAfterTest(
          new SharedCallBudget({ table, limits: LIMITS, arrivalGuardMs: 60_000 }),
        );
        const accountId = String(account++);

        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => budget.acquire(callOn(`together-${i}`, undefined, accountId))),
        );

        expect(outcomes(results).admitted).toBe(6);
        // The first call's write, then at most one for the five that came while it was on its way.
        expect(table.writes.account).toBeLessThanOrEqual(2);
        expect(table.writes.channel).toBe(6);
      });

      it('writes one extension, not two, for a call that answers while its extension is on its way', async () => {
        const table = new RecordingTable(dynamodb.url);
        // No guard: the call is in flight past it as soon as it is admitted, so its slot is extended.
        const budget = endedAfterTest(new SharedCallBudget({ table, limits: LIMITS, arrivalGuardMs: 0 }));
        const release = await budget.acquire(callOn('answers-meanwhile'));
        table.pause();
        await vi.waitFor(() => expect(table.waiting).toBeGreaterThan(0), { timeout: 10_000 });

        const ended = release(); // the call answers while the extension waits
        table.resume();
        await ended;

        expect(table.writes.channel).toBe(2); // its slot taken, then extended once
      });

      it('frees the slot of a call that answers after its guard a second after the answer, with one write and no extension', async () => {
        // A table that answers within 100 ms: an extension is due only 100 ms before a slot's end.
        const table = new RecordingTable(dynamodb.url, 100);
        const time = { now: Date.now() };
        const limits = { ...LIMITS, perChannelPerSecond: 1, maxWaitMs: 0 };
        const options = { limits, clock: () => time.now, arrivalGuardMs: 0 };
        const [a, b] = [
          endedAfterTest(new SharedCallBudget({ ...options, table })),
          endedAfterTest(new SharedCallBudget({ ...options, table: tableAt(dynamodb.url) })),
        ];
        const call = callOn('answers-after-guard');
        const release = await a.acquire(call);
        await new Promise((resolve) => setTimeout(resolve, 20)); // in flight, past its guard (none)
        time.now += 100;
        await release();
        time.now += 1000; // a second after the answer

        await expect(b.acquire(call)).resolves.toBeTypeOf('function');
        expect(table.writes.channel).toBe(2); // the slot taken, then its end moved to a second after the answer
      });

      it('writes nothing more for a call that answered within its guard', async () => {
        // The guard is wide so that the test does not depend on how fast a busy machine gets here.
        const budget = instance({}, 60_000);
        const release = await budget.acquire(callOn('quick', 'u-quick'));
        await dynamodb.resetRequests();
        await new Promise((resolve) => setTimeout(resolve, ARRIVAL_GUARD_MS + 50)); // a slow machine

        await release();

        expect(await dynamodb.requests()).toEqual({});
      });
      it(
        backend.returnsFailedItem
          ? 'takes the item of a failed condition from the answer, with no second read (ReturnValuesOnConditionCheckFailure)'
          : 'reads the item of a failed condition once more, where the store does not return it',
        async () => {
          const limits = { ...LIMITS, perChannelPerSecond: 1, maxWaitMs: 0 };
          // Only b's requests are counted: a's extension on a busy machine is not.
          const table = new RecordingTable(dynamodb.url);
          const [a, b] = [instance(limits), endedAfterTest(new SharedCallBudget({ table, limits }))];
          const call = callOn('raced');
          await a.acquire(call);

          // b has seen nothing of the window: it tries slot 0, which a holds.
          const refused = await b.acquire(call).catch((error: unknown) => error);

          expect(refused).toMatchObject({ code: 'Throttled' });
          expect([table.writes.channel, table.reads.channel]).toEqual(
            backend.returnsFailedItem ? [1, undefined] : [1, 1],
          );
        },
      );
    });

    describe("the viewer route's turn of ClientIds every instance shares", () => {
      it('hands a caller its slots in turn, whichever instance serves it', async () => {
        const instances = [
          new DynamoDbViewerSlots(tableAt(dynamodb.url)),
          new DynamoDbViewerSlots(tableAt(dynamodb.url)),
        ];

        const taken = [];
        for (let i = 0; i < 7; i++) taken.push(await instances[i % 2]?.next(DEMO_CHANNEL_ARN, 'u-turns', 3));

        expect(taken).toEqual([0, 1, 2, 0, 1, 2, 0]);
      });

      it('says which slots were handed out to a caller on a channel, whichever instance handed them out', async () => {
        const [a, b] = [
          new DynamoDbViewerSlots(tableAt(dynamodb.url)),
          new DynamoDbViewerSlots(tableAt(dynamodb.url)),
        ];
        await a.next(DEMO_CHANNEL_ARN, 'u-issued', 3);
        await a.next(DEMO_CHANNEL_ARN, 'u-issued', 3);

        const issued = await Promise.all(
          [0, 1, 2].map((slot) => b.issued(DEMO_CHANNEL_ARN, 'u-issued', slot)),
        );
        const elsewhere = await b.issued(`${DEMO_CHANNEL_ARN}9`, 'u-issued', 0);

        expect(issued).toEqual([true, true, false]);
        expect(elsewhere).toBe(false);
      });

      it('keeps a count per caller and per channel', async () => {
        const slots = new DynamoDbViewerSlots(tableAt(dynamodb.url));

        const alice = await slots.next(DEMO_CHANNEL_ARN, 'u-alice-own', 3);
        const bob = await slots.next(DEMO_CHANNEL_ARN, 'u-bob-own', 3);
        const aliceElsewhere = await slots.next(`${DEMO_CHANNEL_ARN}9`, 'u-alice-own', 3);

        expect([alice, bob, aliceElsewhere]).toEqual([0, 0, 0]);
      });
    });

    describe('the shared ICE cache (sharedCache)', () => {
      const config = (fetchedAt: number) => ({
        sets: [
          {
            uris: ['turn:127.0.0.1:3478?transport=udp'],
            username: `${fetchedAt}:u`,
            password: 'p',
            expiresAt: fetchedAt + 300_000,
          },
        ],
        fetchedAt,
      });

      it('returns what another instance stored', async () => {
        await new DynamoDbIceCache(tableAt(dynamodb.url)).put('k1', config(1000));

        expect(await new DynamoDbIceCache(tableAt(dynamodb.url)).get('k1')).toEqual(config(1000));
      });

      it('never replaces a newer answer with an older one', async () => {
        const cache = new DynamoDbIceCache(tableAt(dynamodb.url));
        await cache.put('k2', config(2000));

        await cache.put('k2', config(1000));

        expect((await cache.get('k2'))?.fetchedAt).toBe(2000);
      });

      describe('between two vendors (two function instances)', () => {
        let first: VendorUnderTest;
        let second: VendorUnderTest;
        afterEach(() => Promise.all([first?.close(), second?.close()]));

        it('makes no second GetIceServerConfig call when the caller comes back on another instance', async () => {
          first = await startVendor({ sharedCache: new DynamoDbIceCache(tableAt(dynamodb.url)) });
          second = await startVendor({
            sharedCache: new DynamoDbIceCache(tableAt(dynamodb.url)),
            emulator: first.emulator,
          });
          const asked = await first.vendor.vend(request({ clientId: 'u-roaming' }));

          const again = await second.vendor.vend(request({ clientId: 'u-roaming' }));

          expect(first.iceCalls()).toBe(1);
          expect(again.iceServers).toEqual(asked.iceServers);
        });

        it('logs the answers served from the shared table as cache "shared", each counted SharedCacheHit', async () => {
          first = await startVendor({ sharedCache: new DynamoDbIceCache(tableAt(dynamodb.url)) });
          second = await startVendor({
            sharedCache: new DynamoDbIceCache(tableAt(dynamodb.url)),
            emulator: first.emulator,
          });
          await first.vendor.vend(request({ clientId: 'u-returning' }));
          const vend = async () => {
            const summary = new RequestSummary();
            await second.vendor.vend(request({ clientId: 'u-returning', observer: summary }));
            return summary.fields();
          };

          // Two requests at once: the second joins the first one's read of the table.
          const logged = await Promise.all([vend(), vend()]);

          expect(logged).toEqual([
            { cache: 'shared', upstreamCalls: 0 },
            { cache: 'shared', upstreamCalls: 0 },
          ]);
          expect(second.metricCount('SharedCacheHit')).toBe(2);
          expect(first.iceCalls()).toBe(1);
        });
      });
    });

    describe('the local DynamoDB', () => {
      it('refuses a web page (a request with an Origin), so no page can read the shared cache', async () => {
        const response = await fetch(dynamodb.url, {
          method: 'POST',
          headers: {
            origin: 'https://evil.example',
            // dynalite checks that a request is signed, not by whom.
            authorization:
              'AWS4-HMAC-SHA256 Credential=ANY/20261130/us-west-2/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
            'x-amz-date': '20261130T000000Z',
            'x-amz-target': 'DynamoDB_20120810.Scan',
            'content-type': 'application/x-amz-json-1.0',
          },
          body: JSON.stringify({ TableName: dynamodb.tableName }),
        });

        expect(response.status).toBe(403);
        expect(await response.text()).not.toContain('password');
      });
    });
  });
});

describe('when DynamoDB fails', () => {
  let silent: Server;
  let silentUrl: string;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never answers: DynamoDB slower than the timeout.
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  function fallbackAt(endpoint: string, timeoutMs: number) {
    const counts: MetricName[] = [];
    const budget = new FallbackCallBudget({
      shared: new SharedCallBudget({ table: tableAt(endpoint, timeoutMs), limits: LIMITS }),
      fallback: new InstanceCallBudget(LIMITS, Date.now),
      metrics: { add: (name) => counts.push(name) },
      clock: Date.now,
    });
    return { budget, counts };
  }

  it('rejects a slow request with SharedStateUnavailable after its timeout', async () => {
    const started = Date.now();

    const error = await instanceAt(silentUrl, 100)
      .acquire(callOn('slow'))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SharedStateUnavailable);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('serves the call from the per-instance budget when DynamoDB is slow, and counts SharedBudgetFallback', async () => {
    const { budget, counts } = fallbackAt(silentUrl, 100);

    await budget.acquire(callOn('degraded'));

    expect(counts).toEqual(['SharedBudgetFallback']);
  });

  it('does not wait for DynamoDB again right after it failed', async () => {
    const { budget, counts } = fallbackAt(silentUrl, 100);
    await budget.acquire(callOn('first'));
    const connectionsAfterFailure = sockets.size;

    await budget.acquire(callOn('second'));

    expect(sockets.size).toBe(connectionsAfterFailure);
    expect(counts).toEqual(['SharedBudgetFallback', 'SharedBudgetFallback']);
  });

  function instanceAt(endpoint: string, timeoutMs: number) {
    return new SharedCallBudget({ table: tableAt(endpoint, timeoutMs), limits: LIMITS });
  }

  it("still hands a caller no more viewer ClientIds than its slots, counting on the instance's own", async () => {
    const warnings: string[] = [];
    const slots = new FallbackViewerSlots(
      new DynamoDbViewerSlots(tableAt(silentUrl, 100)),
      new InstanceViewerSlots(),
      { add: () => undefined, warn: (message) => warnings.push(message) },
    );

    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(await slots.next(DEMO_CHANNEL_ARN, 'u-alice', 3));

    expect(taken).toEqual([0, 1, 2, 0, 1]);
    expect(warnings).toEqual(['shared viewer turn unavailable, this instance counts it alone']);
  });

  it('accepts the ClientIds this instance handed out, and answers 503 for the others rather than guess', async () => {
    const slots = new FallbackViewerSlots(
      new DynamoDbViewerSlots(tableAt(silentUrl, 100)),
      new InstanceViewerSlots(),
      { add: () => undefined },
    );
    await slots.next(DEMO_CHANNEL_ARN, 'u-alice', 3);

    const own = await slots.issued(DEMO_CHANNEL_ARN, 'u-alice', 0);
    const unknown = await slots.issued(DEMO_CHANNEL_ARN, 'u-alice', 1).catch((e: unknown) => e);

    expect(own).toBe(true);
    expect(unknown).toMatchObject({ code: 'Unavailable', retryAfterSeconds: 3 });
  });
});
