import { describe, expect, it } from 'vitest';
import { LruMap } from '../../../lambda/core/lru-map';
import { RefreshingCache } from '../../../lambda/core/refreshing-cache';

describe('LruMap: a bounded map that forgets the least recently used first', () => {
  it('forgets the oldest entry past its bound', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);

    expect([map.peek('a'), map.peek('b'), map.peek('c'), map.size]).toEqual([undefined, 2, 3, 2]);
  });

  it('counts a get as a use, and a peek not', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.get('a');
    map.set('c', 3); // forgets b, used less recently than a

    map.peek('a');
    map.set('d', 4); // forgets a: the peek did not count

    expect([map.peek('a'), map.peek('b'), map.peek('c'), map.peek('d')]).toEqual([
      undefined,
      undefined,
      3,
      4,
    ]);
  });

  it('refuses a bound under 1', () => {
    expect(() => new LruMap(0)).toThrow(RangeError);
  });
});

/** A cache of `{ n }` values, fresh for 100 ms and usable for 200 ms after their load, on a clock the test moves. */
function cacheOnClock(max = 10) {
  const clock = { now: 1_000 };
  const loads: { key: string; resolve: (n: number) => void; reject: (error: Error) => void }[] = [];
  const cache = new RefreshingCache<{ n: number; at: number }, string>({
    max,
    clock: () => clock.now,
    load: (key) =>
      new Promise((resolve, reject) =>
        loads.push({ key, resolve: (n) => resolve({ n, at: clock.now }), reject }),
      ),
    freshUntil: (value) => value.at + 100,
    usableUntil: (value) => value.at + 200,
  });
  return { clock, loads, cache };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('RefreshingCache: single flight and refresh ahead on a bounded map', () => {
  it('loads a missing key once for concurrent callers, then serves it fresh', async () => {
    const { loads, cache } = cacheOnClock();
    const first = cache.get('k', 'a');
    const second = cache.get('k', 'b');
    loads[0]?.resolve(1);

    expect(await first).toEqual({ value: { n: 1, at: 1_000 }, outcome: 'miss' });
    expect(await second).toEqual({ value: { n: 1, at: 1_000 }, outcome: 'miss' });
    expect(await cache.get('k', 'c')).toEqual({ value: { n: 1, at: 1_000 }, outcome: 'hit' });
    expect(cache.peekFresh('k')).toEqual({ n: 1, at: 1_000 });
    expect(loads.map((load) => load.key)).toEqual(['k']);
  });

  it('serves a stale but usable value at once while one load refreshes it', async () => {
    const { clock, loads, cache } = cacheOnClock();
    const first = cache.get('k', 'a');
    loads[0]?.resolve(1);
    await first;
    clock.now += 150;

    expect(cache.peekFresh('k')).toBeUndefined();
    expect(await cache.get('k', 'a')).toEqual({ value: { n: 1, at: 1_000 }, outcome: 'stale' });
    // While the refresh runs, a caller gets the usable value at once (as a miss: it found a load).
    expect(await cache.get('k', 'b')).toEqual({ value: { n: 1, at: 1_000 }, outcome: 'miss' });
    loads[1]?.resolve(2);
    await settle();

    expect(await cache.get('k', 'c')).toEqual({ value: { n: 2, at: 1_150 }, outcome: 'hit' });
  });

  it('keeps the stale value when its refresh fails, and makes callers wait once it is no longer usable', async () => {
    const { clock, loads, cache } = cacheOnClock();
    const first = cache.get('k', 'a');
    loads[0]?.resolve(1);
    await first;
    clock.now += 150;
    await cache.get('k', 'a');
    loads[1]?.reject(new Error('outage'));
    await settle();

    expect(await cache.get('k', 'b')).toMatchObject({ value: { n: 1 }, outcome: 'stale' });
    loads[2]?.reject(new Error('outage'));
    await settle();
    clock.now += 100;
    const waiting = cache.get('k', 'c');
    loads[3]?.reject(new Error('still out'));

    await expect(waiting).rejects.toThrow('still out');
  });

  it('forgets a key whose first load fails, so the next caller loads again', async () => {
    const { loads, cache } = cacheOnClock();
    const first = cache.get('k', 'a');
    loads[0]?.reject(new Error('refused'));
    await expect(first).rejects.toThrow('refused');

    const second = cache.get('k', 'b');
    loads[1]?.resolve(2);

    expect(await second).toMatchObject({ value: { n: 2 }, outcome: 'miss' });
  });

  it('answers the waiters of a load whose key was deleted meanwhile, without caching its value', async () => {
    const { loads, cache } = cacheOnClock();
    const waiting = cache.get('k', 'a');
    cache.delete('k');
    loads[0]?.resolve(1);

    expect(await waiting).toMatchObject({ value: { n: 1 }, outcome: 'miss' });
    expect(cache.peekFresh('k')).toBeUndefined();
  });

  it('keeps at most max keys, forgetting the least recently used', async () => {
    const { loads, cache } = cacheOnClock(2);
    for (const key of ['a', 'b']) {
      const got = cache.get(key, key);
      loads.at(-1)?.resolve(1);
      await got;
    }
    cache.peekFresh('a'); // a use: b is now the least recently used
    const c = cache.get('c', 'c');
    loads.at(-1)?.resolve(1);
    await c;

    expect(['a', 'b', 'c'].map((key) => cache.peekFresh(key) !== undefined)).toEqual([true, false, true]);
  });
});
