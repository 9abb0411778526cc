import { describe, expect, it } from 'vitest';
import { parseChannelArn } from '../../../lambda/contract';
import {
  type BudgetLimits,
  type BudgetRequest,
  InstanceCallBudget,
  type Quota,
} from '../../../lambda/core/budget';
import { VendingError } from '../../../lambda/core/errors';

const LIMITS: BudgetLimits = {
  perChannelPerSecond: 5,
  perAccountPerSecond: 100,
  perCallerPerMinute: 30,
  maxWaitMs: 1500,
};

/** A budget on a clock that only moves when a waiter sleeps. */
function budgetOnFakeTime(perSecond = 5, maxWaitMs = 1500, limits: Partial<BudgetLimits> = {}) {
  const time = { now: 0 };
  const budget = new InstanceCallBudget(
    { ...LIMITS, perChannelPerSecond: perSecond, maxWaitMs, ...limits },
    () => time.now,
    async (ms) => {
      time.now += ms;
    },
  );
  return { budget, time };
}

/** A call on channel `name` (of account 123456789012), for caller `clientId` if given. */
function call(name: string, clientId?: string, account = '123456789012'): BudgetRequest {
  const channel = parseChannelArn(`arn:aws:kinesisvideo:us-west-2:${account}:channel/${name}/1700000000000`);
  if (!channel) throw new Error('bad test channel');
  return { channel, clientId };
}

describe('upstream call budget', () => {
  it('lets perSecond calls start at once', async () => {
    const { budget, time } = budgetOnFakeTime();

    for (let i = 0; i < 5; i++) await budget.acquire(call('channel'));

    expect(time.now).toBe(0);
  });

  it('holds a slot for one second after its call ends, not after it starts', async () => {
    const { budget, time } = budgetOnFakeTime(1);
    const release = await budget.acquire(call('channel'));
    time.now = 400; // the call took 400 ms to come back
    release();

    await budget.acquire(call('channel'));

    expect(time.now).toBe(1400);
  });

  it('answers Throttled with Retry-After when no slot frees up within the wait bound', async () => {
    const { budget } = budgetOnFakeTime(1, 200);
    (await budget.acquire(call('channel')))();

    const error = await budget.acquire(call('channel')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VendingError);
    expect((error as VendingError).code).toBe('Throttled');
    expect((error as VendingError).retryAfterSeconds).toBe(1);
  });

  it('keeps channels apart', async () => {
    const { budget, time } = budgetOnFakeTime(1);
    await budget.acquire(call('a'));

    await budget.acquire(call('b'));

    expect(time.now).toBe(0);
  });

  it('never lets more than perSecond calls end within any second', async () => {
    const { budget, time } = budgetOnFakeTime(5, 60_000);
    const ends: number[] = [];

    for (let i = 0; i < 40; i++) {
      const release = await budget.acquire(call('channel'));
      time.now += 37; // each call takes a while to come back
      ends.push(time.now);
      release();
    }

    for (let i = 5; i < ends.length; i++) expect((ends[i] ?? 0) - (ends[i - 5] ?? 0)).toBeGreaterThan(1000);
  });

  it('never lets more than perAccountPerSecond calls of one account start within a second, across channels', async () => {
    const { budget, time } = budgetOnFakeTime(5, 60_000, { perAccountPerSecond: 3 });
    for (const name of ['a', 'b', 'c']) (await budget.acquire(call(name)))();

    await budget.acquire(call('d'));

    expect(time.now).toBe(1000);
  });

  it('keeps accounts apart', async () => {
    const { budget, time } = budgetOnFakeTime(5, 60_000, { perAccountPerSecond: 1 });
    await budget.acquire(call('a', undefined, '111111111111'));

    await budget.acquire(call('a', undefined, '222222222222'));

    expect(time.now).toBe(0);
  });

  it('refuses a caller past its issuances per minute with Retry-After until its oldest one is a minute old', async () => {
    const { budget, time } = budgetOnFakeTime(5, 1500, { perCallerPerMinute: 2 });
    (await budget.acquire(call('a', 'u-alice')))();
    time.now = 10_000;
    (await budget.acquire(call('b', 'u-alice')))();

    const error = await budget.acquire(call('c', 'u-alice')).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'Throttled', retryAfterSeconds: 50 });
    expect((error as VendingError).message).toMatch(/at most 2 per minute/);
  });

  it("keeps the calls of an action with a quota of its own within that quota, apart from GetIceServerConfig's", async () => {
    const { budget } = budgetOnFakeTime(5, 0);
    const join: Quota = {
      action: 'JoinStorageSession',
      perChannelPerSecond: 1,
      perAccountPerSecond: 50,
      perCallerPerMinute: 1,
      callerDid: 'joined storage sessions',
    };
    await budget.acquire({ ...call('a'), quota: join });

    const secondJoin = await budget.acquire({ ...call('a'), quota: join }).catch((e: unknown) => e);
    const iceCalls = await Promise.all(Array.from({ length: 5 }, () => budget.acquire(call('a'))));
    const callerJoins = [
      await budget.acquire({ ...call('b', 'u-alice'), quota: join }),
      await budget.acquire({ ...call('c', 'u-alice'), quota: join }).catch((e: unknown) => e),
    ];

    expect(secondJoin).toMatchObject({
      code: 'Throttled',
      message: 'too many requests for this channel, retry shortly',
    });
    expect(iceCalls).toHaveLength(5);
    expect(callerJoins[0]).toBeTypeOf('function');
    expect(callerJoins[1]).toMatchObject({
      code: 'Throttled',
      message:
        'this caller joined storage sessions too often (at most 1 per minute); retry after the Retry-After seconds',
    });
  });

  it('counts each caller on its own', async () => {
    const { budget } = budgetOnFakeTime(5, 0, { perCallerPerMinute: 1 });
    await budget.acquire(call('a', 'u-alice'));

    await expect(budget.acquire(call('a', 'u-bob'))).resolves.toBeTypeOf('function');
  });
});
