import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import { growingBound } from '../../../lambda/core/refreshing-cache';

describe('caches bounded by growingBound', () => {
  it('keep at most the bound, forgetting the least recently used entry first', () => {
    const cache = new LRUCache<string, number>(growingBound(2));

    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);

    expect([...cache.keys()].sort()).toEqual(['a', 'c']);
  });

  it('are bounded by size, not by max, so lru-cache allocates no slots ahead of their entries', () => {
    const cache = new LRUCache<string, number>(growingBound(3));

    for (const key of ['a', 'b', 'c', 'd', 'e']) cache.set(key, 0);

    expect(cache.max).toBe(0);
    expect(cache.size).toBe(3);
    expect(cache.calculatedSize).toBe(3);
  });
});
