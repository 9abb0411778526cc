import { describe, expect, it } from 'vitest';
import { CallBudget } from '../../lambda/core/budget';
import { VendingError } from '../../lambda/core/errors';

/** A budget on a clock that only moves when a waiter sleeps. */
function budgetOnFakeTime(perSecond = 5, maxWaitMs = 1500) {
  const time = { now: 0 };
  const budget = new CallBudget({
    perSecond,
    maxWaitMs,
    clock: () => time.now,
    sleep: async (ms) => {
      time.now += ms;
    },
  });
  return { budget, time };
}

describe('upstream call budget', () => {
  it('lets perSecond calls start at once', async () => {
    const { budget, time } = budgetOnFakeTime();

    for (let i = 0; i < 5; i++) await budget.acquire('channel');

    expect(time.now).toBe(0);
  });

  it('holds a slot for one second after its call ends, not after it starts', async () => {
    const { budget, time } = budgetOnFakeTime(1);
    const release = await budget.acquire('channel');
    time.now = 400; // the call took 400 ms to come back
    release();

    await budget.acquire('channel');

    expect(time.now).toBe(1400);
  });

  it('answers Throttled with Retry-After when no slot frees up within the wait bound', async () => {
    const { budget } = budgetOnFakeTime(1, 200);
    (await budget.acquire('channel'))();

    const error = await budget.acquire('channel').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VendingError);
    expect((error as VendingError).code).toBe('Throttled');
    expect((error as VendingError).retryAfterSeconds).toBe(1);
  });

  it('keeps channels apart', async () => {
    const { budget, time } = budgetOnFakeTime(1);
    await budget.acquire('a');

    await budget.acquire('b');

    expect(time.now).toBe(0);
  });

  it('never lets more than perSecond calls end within any second', async () => {
    const { budget, time } = budgetOnFakeTime(5, 60_000);
    const ends: number[] = [];

    for (let i = 0; i < 40; i++) {
      const release = await budget.acquire('channel');
      time.now += 37; // each call takes a while to come back
      ends.push(time.now);
      release();
    }

    for (let i = 5; i < ends.length; i++) expect((ends[i] ?? 0) - (ends[i - 5] ?? 0)).toBeGreaterThan(1000);
  });
});
