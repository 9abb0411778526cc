import { beforeEach, describe, expect, it } from 'vitest';
import { type Channel, parseChannelArn } from '../../../lambda/contract';
import { type BudgetRequest, type CallBudget, InstanceCallBudget } from '../../../lambda/core/budget';
import { ChannelAccess } from '../../../lambda/core/channel-access';
import { ChannelDirectory } from '../../../lambda/core/channels';
import { VendingError } from '../../../lambda/core/errors';
import type {
  JoinStorageSessionRequest,
  ScopedSession,
  SessionProvider,
  SessionPurpose,
} from '../../../lambda/core/ports';
import {
  mediaStorageOf,
  STORAGE_STATUS_FRESH_MS,
  STORAGE_STATUS_RECHECK_MS,
  STORAGE_STATUS_USABLE_MS,
  type StorageSessionRequest,
  StorageSessions,
} from '../../../lambda/core/storage';
import { InstanceViewerSlots } from '../../../lambda/core/viewer-slots';
import { rejectionOf } from '../support/rejection';

// The storage-session use case (lambda/core/storage.ts) with the real ChannelAccess and a scripted
// KVS behind the session port: which joins it sends, which it refuses without a call, what it
// retries (a join that reached KVS made it send an offer), and what it caches. The AWS adapter's
// side (which wire failures are retryable) is tested against the emulator in
// test/lambda/storage/storage-api.test.ts.

const DEMO = channel('arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000');
const LOBBY = channel('arn:aws:kinesisvideo:us-west-2:123456789012:channel/lobby/1700000000001');
const STORAGE_ENDPOINT = 'https://w-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com';
const STREAM_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/demo-storage/1700000000002';
const NOT_ISSUED =
  'clientId is not a viewer ClientId this API issued to you: use the clientId of your viewer answer';

function channel(arn: string): Channel {
  const parsed = parseChannelArn(arn);
  if (!parsed) throw new Error(`bad test ARN ${arn}`);
  return parsed;
}

/** A VendingError as the AWS adapter raises them (lambda/aws/storage-api.ts, lambda/aws/errors.ts). */
const kvsError = {
  throttled: () =>
    new VendingError('Throttled', 'KVS JoinStorageSession was throttled', {
      retryable: true,
      retryAfterSeconds: 1,
    }),
  refusedConnection: () =>
    new VendingError('Unavailable', 'KVS JoinStorageSession is unavailable', {
      retryable: true,
      retryAfterSeconds: 5,
    }),
  timedOut: () => new VendingError('UpstreamTimeout', 'KVS JoinStorageSession did not answer in time'),
  reset: () => new VendingError('UpstreamError', 'KVS JoinStorageSession failed and may have reached KVS'),
  serverError: () => new VendingError('UpstreamError', 'KVS JoinStorageSession failed'),
  maxViewers: () =>
    new VendingError('Throttled', 'the storage session has its maximum of viewers (KVS allows 3)', {
      retryAfterSeconds: 60,
    }),
  invalid: () => new VendingError('InvalidRequest', 'KVS JoinStorageSession was refused as invalid'),
  credentialsRefused: () =>
    new VendingError('Unavailable', "KVS refused the scoped session's credentials", {
      retryAfterSeconds: 5,
      credentialsRefusedBy: 'KVS',
    }),
  unavailable: () =>
    new VendingError('Unavailable', 'KVS DescribeMediaStorageConfiguration is unavailable', {
      retryAfterSeconds: 5,
    }),
};

/** KVS as the session port sees it: which channels record media, and the failures to answer with next. */
class ScriptedKvs implements SessionProvider {
  readonly recording = new Set(['demo']);
  readonly opened: SessionPurpose[] = [];
  readonly joins: { purpose: SessionPurpose; request: JoinStorageSessionRequest }[] = [];
  describeCalls = 0;
  /** The failure of every DescribeMediaStorageConfiguration from now on, if any. */
  describeFailure: VendingError | undefined;
  /** The failures of the next joins, in order; then joins succeed. */
  readonly joinFailures: VendingError[] = [];

  constructor(private readonly now: () => number) {}

  async openSession(
    { name }: { name: string },
    _signal?: AbortSignal,
    purpose: SessionPurpose = 'ice',
  ): Promise<ScopedSession> {
    this.opened.push(purpose);
    return {
      expiresAt: this.now() + 3600_000,
      getSignalingEndpoints: async () => ({ https: 'https://r-1.example', wss: 'wss://v-1.example' }),
      getIceServerConfig: async () => [],
      presignConnect: async () => 'wss://v-1.example/?X-Amz-Signature=x',
      describeMediaStorage: async () => {
        this.describeCalls++;
        if (this.describeFailure) throw this.describeFailure;
        return this.recording.has(name) ? { enabled: true, streamArn: STREAM_ARN } : { enabled: false };
      },
      getStorageEndpoint: async () => STORAGE_ENDPOINT,
      joinStorageSession: async (request) => {
        this.joins.push({ purpose, request });
        const failure = this.joinFailures.shift();
        if (failure) throw failure;
      },
    };
  }

  /** The sessions opened for `purpose`. */
  sessionsOf(purpose: SessionPurpose): number {
    return this.opened.filter((opened) => opened === purpose).length;
  }
}

/**
 * The call budget as the function has it (its GetIceServerConfig limits), recording what it is
 * asked for; by default a call waits for no slot, else up to `maxWaitMs` on the test's clock.
 */
class RecordingBudget implements CallBudget {
  readonly requests: BudgetRequest[] = [];
  private readonly budget: InstanceCallBudget;

  constructor(clock: () => number, maxWaitMs = 0, sleep?: (ms: number) => Promise<void>) {
    const limits = { perChannelPerSecond: 5, perAccountPerSecond: 100, perCallerPerMinute: 30, maxWaitMs };
    this.budget = new InstanceCallBudget(limits, clock, sleep);
  }

  acquire(request: BudgetRequest, signal?: AbortSignal) {
    this.requests.push(request);
    return this.budget.acquire(request, signal);
  }

  /** The KVS actions of the slots asked for, in order. */
  actions(): (string | undefined)[] {
    return this.requests.map((request) => request.quota?.action);
  }
}

describe('StorageSessions', () => {
  let now: number;
  let kvs: ScriptedKvs;
  let budget: RecordingBudget;
  let viewerSlots: InstanceViewerSlots;
  let storage: StorageSessions;

  /** The viewer route's answers to caller `pool` on `channel`: the ClientIds it hands out (slots 0, 1, … in turn). */
  async function viewerAnswers(pool: string, channel: Channel, answers: number): Promise<void> {
    for (let i = 0; i < answers; i++) await viewerSlots.next(channel.arn, pool, 2);
  }

  function storageSessions(roles: readonly ('VIEWER' | 'MASTER')[] = ['VIEWER', 'MASTER']): StorageSessions {
    const clock = () => now;
    // Retries at once: the tests count attempts, not time.
    const policy = { deadlineMs: 5000, retry: { attempts: 3, baseMs: 0, capMs: 0, sleep: async () => {} } };
    return new StorageSessions({
      channels: new ChannelDirectory([DEMO, LOBBY]),
      access: new ChannelAccess({ sessions: kvs, policy, clock }),
      roles,
      policy,
      viewerSlotsPerCaller: 3,
      viewerSlots,
      budget,
      clock,
    });
  }
  beforeEach(async () => {
    now = Date.parse('2026-12-01T10:00:00.000Z');
    kvs = new ScriptedKvs(() => now);
    budget = new RecordingBudget(() => now);
    viewerSlots = new InstanceViewerSlots();
    storage = storageSessions();
    // Alice has had her two viewer ClientIds on both channels, Bob his first on demo.
    await viewerAnswers('u-alice', DEMO, 2);
    await viewerAnswers('u-alice', LOBBY, 2);
    await viewerAnswers('u-bob', DEMO, 1);
  });

  /** Who asks, on which channel (the request's fields but its role's). */
  type Caller = Partial<Omit<StorageSessionRequest, 'role' | 'clientId'>>;
  const viewer = (clientId: string, overrides: Caller = {}): StorageSessionRequest => ({
    channel: 'demo',
    role: 'VIEWER',
    clientId,
    grantedChannels: 'all',
    masterChannels: [],
    viewerPool: 'u-alice',
    ...overrides,
  });
  const master = (overrides: Caller = {}): StorageSessionRequest => ({
    channel: 'demo',
    role: 'MASTER',
    grantedChannels: 'all',
    masterChannels: ['demo'],
    ...overrides,
  });
  /** Past the join budget's window (2 per second per channel). */
  const nextSecond = () => {
    now += 1001;
  };

  describe('joins', () => {
    it("joins a master with JoinStorageSession at the channel's WEBRTC endpoint, by a session allowed only that action", async () => {
      const answer = await storage.join(master());

      expect(answer).toEqual({ role: 'MASTER', channelArn: DEMO.arn, streamArn: STREAM_ARN });
      expect(kvs.joins).toEqual([
        { purpose: 'JoinStorageSession', request: { endpoint: STORAGE_ENDPOINT, channelArn: DEMO.arn } },
      ]);
    });

    it('joins a viewer with JoinStorageSessionAsViewer and a ClientId the viewer route issued it', async () => {
      const answer = await storage.join(viewer('u-alice.v1'));

      expect(answer).toEqual({
        role: 'VIEWER',
        clientId: 'u-alice.v1',
        channelArn: DEMO.arn,
        streamArn: STREAM_ARN,
      });
      expect(kvs.joins).toEqual([
        {
          purpose: 'JoinStorageSessionAsViewer',
          request: { endpoint: STORAGE_ENDPOINT, channelArn: DEMO.arn, clientId: 'u-alice.v1' },
        },
      ]);
    });

    it.each([
      ["another caller's", 'u-bob.v0'],
      ['a slot beyond viewerSlotsPerCaller', 'u-alice.v3'],
      ["a slot beyond one caller's 2 places of a storage session's 3 viewers", 'u-alice.v2'],
      ['a slot with a leading zero', 'u-alice.v01'],
      ['no slot', 'u-alice.v'],
      ['the bare pool', 'u-alice'],
      ['a suffix after the slot', 'u-alice.v0.x'],
      ['a pool that only begins with the caller', 'u-alice2.v0'],
    ])('refuses %s ClientId (%s) with 403, before any call to AWS', async (_, clientId) => {
      const error = await rejectionOf(storage.join(viewer(clientId)));

      expect(error).toMatchObject({ code: 'ChannelNotAllowed', message: NOT_ISSUED });
      expect(kvs.opened).toEqual([]);
    });

    it("refuses the caller's own ClientId that the viewer route has not handed out on this channel with 403, before any call to AWS", async () => {
      await viewerAnswers('u-carol', LOBBY, 2);
      await viewerAnswers('u-carol', DEMO, 1);

      const error = await rejectionOf(storage.join(viewer('u-carol.v1', { viewerPool: 'u-carol' })));

      expect(error).toMatchObject({ code: 'ChannelNotAllowed', message: NOT_ISSUED });
      expect(kvs.opened).toEqual([]);
    });

    it('refuses a viewer whose request names no caller with 403 CallerNotIdentified', async () => {
      const error = await rejectionOf(storage.join(viewer('u-alice.v0', { viewerPool: undefined })));

      expect(error).toMatchObject({
        code: 'CallerNotIdentified',
        message:
          'the request carries nothing to tell this viewer apart from others (no caller id, no source IP)',
      });
      expect(kvs.opened).toEqual([]);
    });

    it('refuses the master role on a channel the caller may not master, with 403', async () => {
      const error = await rejectionOf(storage.join(master({ masterChannels: ['lobby'] })));

      expect(error).toMatchObject({
        code: 'ChannelNotAllowed',
        message: 'you may not take the master role on channel "demo"',
      });
      expect(kvs.opened).toEqual([]);
    });

    it('refuses a role the deployment does not serve, with 403', async () => {
      const viewersOnly = storageSessions(['VIEWER']);

      const error = await rejectionOf(viewersOnly.join(master()));

      expect(error).toMatchObject({
        code: 'ChannelNotAllowed',
        message: 'this API does not serve the master role',
      });
      expect(kvs.opened).toEqual([]);
    });

    it('refuses a channel that records no media with 400, and sends no join', async () => {
      const error = await rejectionOf(storage.join(viewer('u-alice.v0', { channel: 'lobby' })));

      expect(error).toMatchObject({
        code: 'InvalidRequest',
        message:
          'channel "lobby" does not record media: connect through its viewer route without a storage session',
      });
      expect(kvs.joins).toEqual([]);
    });

    it('refuses, and sends no join, when KVS cannot say whether the channel records media', async () => {
      kvs.describeFailure = kvsError.unavailable();

      const error = await rejectionOf(storage.join(master()));

      expect(error.code).toBe('Unavailable');
      expect(kvs.joins).toEqual([]);
    });
  });

  describe('retries', () => {
    it.each([
      ['KVS throttled it (no offer was sent)', kvsError.throttled],
      ['its connection was refused before it was sent', kvsError.refusedConnection],
    ])('sends a join again when %s, and answers once it passes', async (_, failure) => {
      // As deployed, the retry waits for the channel's next join slot (budgetWaitMs, default 1.5 s).
      budget = new RecordingBudget(
        () => now,
        1500,
        async (ms) => {
          now += ms;
        },
      );
      storage = storageSessions();
      kvs.joinFailures.push(failure());

      const answer = await storage.join(master());

      expect(answer.role).toBe('MASTER');
      expect(kvs.joins).toHaveLength(2);
    });

    it.each([
      ['timed out', kvsError.timedOut, 'UpstreamTimeout'],
      ['had its connection reset', kvsError.reset, 'UpstreamError'],
      ['got a 5xx', kvsError.serverError, 'UpstreamError'],
    ])(
      'sends a join that %s once: it may have reached KVS, which sent an offer',
      async (_, failure, code) => {
        kvs.joinFailures.push(failure());

        const error = await rejectionOf(storage.join(master()));

        expect(error.code).toBe(code);
        expect(kvs.joins).toHaveLength(1);
      },
    );

    it('answers a storage session that has its 3 viewers with 429 Retry-After 60, and does not retry', async () => {
      kvs.joinFailures.push(kvsError.maxViewers());

      const error = await rejectionOf(storage.join(viewer('u-alice.v0')));

      expect(error).toMatchObject({ code: 'Throttled', retryAfterSeconds: 60 });
      expect(kvs.joins).toHaveLength(1);
    });

    it("keeps to one master join and one viewer join per second on a channel (together within KVS's 2, hard), then joins again a second later", async () => {
      await storage.join(master());
      await storage.join(viewer('u-alice.v0'));

      const third = await rejectionOf(storage.join(viewer('u-alice.v1')));
      nextSecond();
      const fourth = await storage.join(viewer('u-alice.v1'));

      expect(third).toMatchObject({
        code: 'Throttled',
        retryAfterSeconds: 1,
        message: 'too many requests for this channel, retry shortly',
      });
      expect(fourth.clientId).toBe('u-alice.v1');
      expect(kvs.joins).toHaveLength(3);
    });

    it("takes a slot of the channel's join budget for every attempt, so that retried throttles stay within KVS's quota", async () => {
      kvs.joinFailures.push(kvsError.throttled(), kvsError.throttled());

      const error = await rejectionOf(storage.join(master()));

      // The first attempt took the channel's master join of this second; the retry found no slot and was not sent.
      expect(error).toMatchObject({
        code: 'Throttled',
        message: 'too many requests for this channel, retry shortly',
      });
      expect(kvs.joins).toHaveLength(1);
      expect(budget.actions()).toEqual([
        'DescribeMediaStorageConfiguration',
        'JoinStorageSession',
        'JoinStorageSession',
      ]);
    });

    it("keeps the master's join when a viewer loops joins on the channel", async () => {
      const looping = await Promise.all(
        Array.from({ length: 20 }, () => storage.join(viewer('u-alice.v0')).catch((error: unknown) => error)),
      );

      const answer = await storage.join(master());

      expect(answer.role).toBe('MASTER');
      expect(looping.filter((outcome) => outcome instanceof VendingError)).toHaveLength(19);
    });

    it("refuses a caller's 11th join within a minute with 429 and Retry-After, leaving other callers their joins", async () => {
      const joins: unknown[] = [];
      for (let i = 0; i < 10; i++) {
        joins.push(await storage.join(viewer('u-alice.v0')));
        nextSecond();
      }

      const eleventh = await rejectionOf(storage.join(viewer('u-alice.v0')));
      const bob = await storage.join(viewer('u-bob.v0', { viewerPool: 'u-bob' }));

      expect(joins).toHaveLength(10);
      expect(eleventh).toMatchObject({
        code: 'Throttled',
        retryAfterSeconds: 50,
        message:
          'this caller joined storage sessions as a viewer too often (at most 10 per minute); retry after the Retry-After seconds',
      });
      expect(bob.clientId).toBe('u-bob.v0');
    });

    it("tells the request's summary of each join attempt and DescribeMediaStorageConfiguration call it made", async () => {
      const told: string[] = [];

      await storage.join(master({ observer: { add: (name) => told.push(name) } }));

      expect(told.filter((name) => name === 'MediaStorageCalls')).toHaveLength(1);
      expect(told.filter((name) => name === 'StorageJoinCalls')).toHaveLength(1);
    });

    it("opens a new join session after KVS refused the last one's credentials", async () => {
      kvs.joinFailures.push(kvsError.credentialsRefused());
      await rejectionOf(storage.join(viewer('u-alice.v0')));
      nextSecond();

      await storage.join(viewer('u-alice.v0'));

      expect(kvs.sessionsOf('JoinStorageSessionAsViewer')).toBe(2);
    });

    it('keeps the join session after a failure that says nothing of its credentials', async () => {
      kvs.joinFailures.push(kvsError.serverError());
      await rejectionOf(storage.join(viewer('u-alice.v0')));
      nextSecond();

      await storage.join(viewer('u-alice.v0'));

      expect(kvs.sessionsOf('JoinStorageSessionAsViewer')).toBe(1);
    });
  });

  describe('whether a channel records media (DescribeMediaStorageConfiguration)', () => {
    it('asks KVS once a minute per channel', async () => {
      await storage.join(master());
      nextSecond();
      await storage.join(master());
      expect(kvs.describeCalls).toBe(1);

      now += STORAGE_STATUS_FRESH_MS;
      await storage.join(master());
      await new Promise((resolve) => setImmediate(resolve));

      expect(kvs.describeCalls).toBe(2);
    });

    it('keeps using the last answer for 10 minutes while KVS does not answer, then refuses', async () => {
      await storage.join(master());
      kvs.describeFailure = kvsError.unavailable();

      now += STORAGE_STATUS_USABLE_MS - 1;
      const stillServed = await storage.join(master());
      now += 1;
      const refused = await rejectionOf(storage.join(master()));

      expect(stillServed.role).toBe('MASTER');
      expect(refused.code).toBe('Unavailable');
      expect(kvs.joins).toHaveLength(2);
    });

    it('answers many joins on a channel that records no media from one DescribeMediaStorageConfiguration', async () => {
      const concurrent = await Promise.all(
        Array.from({ length: 10 }, () =>
          rejectionOf(storage.join(viewer('u-alice.v0', { channel: 'lobby' }))),
        ),
      );
      const sequential: VendingError[] = [];
      for (let i = 0; i < 10; i++) {
        nextSecond();
        sequential.push(
          await rejectionOf(storage.join(master({ channel: 'lobby', masterChannels: ['lobby'] }))),
        );
      }

      expect([...concurrent, ...sequential].map((error) => error.code)).toEqual(
        Array(20).fill('InvalidRequest'),
      );
      expect(kvs.describeCalls).toBe(1);
      expect(kvs.joins).toEqual([]);
    });

    it('asks KVS again when it refused a join as invalid (the channel may no longer record media), once its last answer is 5 seconds old', async () => {
      await storage.join(master());
      kvs.joinFailures.push(kvsError.invalid());
      now += STORAGE_STATUS_RECHECK_MS;
      await rejectionOf(storage.join(master()));
      kvs.recording.delete('demo');
      nextSecond();

      const error = await rejectionOf(storage.join(master()));

      expect(error.message).toBe(
        'channel "demo" does not record media: connect through its master route without a storage session',
      );
      expect(kvs.describeCalls).toBe(2);
      expect(kvs.joins).toHaveLength(2);
    });

    it('asks KVS at most once per 5 seconds per channel while KVS keeps refusing the joins as invalid', async () => {
      await storage.join(master());
      const refusals: VendingError[] = [];
      for (let second = 1; second <= 12; second++) {
        kvs.joinFailures.push(kvsError.invalid());
        nextSecond();
        refusals.push(await rejectionOf(storage.join(master())));
      }

      expect(refusals.map((error) => error.code)).toEqual(Array(12).fill('InvalidRequest'));
      // The first answer (0 s); the refusal at 5 s drops it, reloaded at 6 s; the one at 11 s, reloaded at 12 s.
      expect(kvs.describeCalls).toBe(3);
    });

    it('keeps DescribeMediaStorageConfiguration within 5 calls per second per channel while KVS fails it', async () => {
      kvs.describeFailure = kvsError.unavailable();

      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await rejectionOf(storage.recordsMedia(DEMO)));

      expect(kvs.describeCalls).toBe(5);
      expect(answers.map((error) => error.code)).toEqual([
        ...Array(5).fill('Unavailable'),
        ...Array(3).fill('Throttled'),
      ]);
    });

    it('opens a new DescribeMediaStorageConfiguration session after KVS refused its credentials', async () => {
      kvs.describeFailure = kvsError.credentialsRefused();
      await rejectionOf(storage.recordsMedia(DEMO));
      kvs.describeFailure = undefined;

      const recording = await storage.recordsMedia(DEMO);

      expect(recording).toBe(true);
      expect(kvs.sessionsOf('DescribeMediaStorageConfiguration')).toBe(2);
    });

    it('tells the signaling answers whether the channel records media, and which join to make', async () => {
      const [demo, lobby] = await Promise.all([storage.recordsMedia(DEMO), storage.recordsMedia(LOBBY)]);

      expect(mediaStorageOf(DEMO, demo, 'VIEWER', 'u-alice.v0')).toEqual({
        enabled: true,
        join: { path: '/v1/channels/demo/storage-session/viewer', body: { clientId: 'u-alice.v0' } },
      });
      expect(mediaStorageOf(DEMO, demo, 'MASTER')).toEqual({
        enabled: true,
        join: { path: '/v1/channels/demo/storage-session/master', body: {} },
      });
      expect(mediaStorageOf(LOBBY, lobby, 'MASTER')).toEqual({ enabled: false });
    });
  });
});
