import { describe, expect, it } from 'vitest';
import {
  BlockedCallersCheck,
  InvalidBlockedCallersError,
  parseBlockedCallers,
} from '../../../lambda/core/blocked-callers';
import type { MetricName, Metrics } from '../../../lambda/core/metrics';
import { rejectionOf } from '../support/rejection';

const BLOCKED = JSON.stringify({ callerIds: ['u-blocked'], subjects: ['mallory'] });
const EMPTY = '{"callerIds":[],"subjects":[]}';

/** A blocked-callers check over a source whose answers the test sets, with a clock it moves and the metrics it records. */
function checkOver(first: string | Error) {
  let answer: string | Error = first;
  let reads = 0;
  let now = 1_000_000;
  const recorded: MetricName[] = [];
  const warnings: Record<string, unknown>[] = [];
  const metrics: Metrics = {
    add: (name) => recorded.push(name),
    warn: (_message, fields) => warnings.push(fields),
  };
  const blockedCallers = new BlockedCallersCheck({
    source: async () => {
      reads++;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    metrics,
    retryAfterFailureMs: 5000,
    clock: () => now,
  });
  return {
    blockedCallers,
    answer: (next: string | Error) => {
      answer = next;
    },
    advance: (ms: number) => {
      now += ms;
    },
    reads: () => reads,
    recorded,
    warnings,
  };
}

/** The parser's refusal of `raw`. */
function refusalOf(raw: string): InvalidBlockedCallersError {
  try {
    parseBlockedCallers(raw);
  } catch (error) {
    if (error instanceof InvalidBlockedCallersError) return error;
    throw error;
  }
  throw new Error('the list was accepted');
}

describe('parseBlockedCallers', () => {
  it('reads caller ids and subjects exactly as written', () => {
    const list = parseBlockedCallers(
      '{"callerIds":["u-a","iam-b"],"subjects":["alice","Alice","a l i c e"]}',
    );

    expect([...list.callerIds]).toEqual(['u-a', 'iam-b']);
    expect([...list.subjects]).toEqual(['alice', 'Alice', 'a l i c e']);
  });

  it('refuses entries with surrounding whitespace, naming each by index and never by value', () => {
    const raw = JSON.stringify({ callerIds: ['u-a', 'u-b\n'], subjects: ['bob', 'carol', ' alice '] });

    expect(refusalOf(raw).message).toBe(
      'callerIds[1] has surrounding whitespace: caller ids are matched exactly; ' +
        'subjects[2] has surrounding whitespace: subjects are matched exactly',
    );
  });

  it('names the refused entries with their values for the operator who wrote them', () => {
    const raw = JSON.stringify({ subjects: ['bob', 'carol', ' alice ', '\t'] });

    expect(refusalOf(raw).describeWithEntries()).toBe(
      'subjects[2] " alice " has surrounding whitespace: subjects are matched exactly; ' +
        'subjects[3] "\\t" has surrounding whitespace: subjects are matched exactly',
    );
  });

  it('takes a missing key as an empty list', () => {
    const list = parseBlockedCallers('{"subjects":["alice"]}');

    expect(list.callerIds.size).toBe(0);
  });

  it.each([
    ['text that is not JSON', 'u-a,u-b', /not JSON/],
    ['a JSON array', '["u-a"]', /not a JSON object/],
    ['an unknown key', '{"callers":["u-a"]}', /unknown key "callers"/],
    ['a list that is not an array of strings', '{"callerIds":"u-a"}', /callerIds must be an array/],
    ['an empty entry', '{"subjects":[""]}', /subjects must be an array of non-empty strings/],
  ])('refuses %s, saying what is wrong', (_, raw, message) => {
    expect(() => parseBlockedCallers(raw)).toThrow(InvalidBlockedCallersError);
    expect(() => parseBlockedCallers(raw)).toThrow(message);
  });
});

describe('BlockedCallersCheck', () => {
  it('refuses a listed caller id with 403 CallerBlocked', async () => {
    const { blockedCallers } = checkOver(BLOCKED);

    const error = await rejectionOf(blockedCallers.check({ clientId: 'u-blocked' }));

    expect(error.code).toBe('CallerBlocked');
  });

  it('refuses a caller whose token subject is listed, whatever its id', async () => {
    const { blockedCallers } = checkOver(BLOCKED);

    const error = await rejectionOf(blockedCallers.check({ clientId: 'u-other', subject: 'mallory' }));

    expect(error.code).toBe('CallerBlocked');
  });

  it('lets callers that are not listed through', async () => {
    const { blockedCallers } = checkOver(BLOCKED);

    await expect(blockedCallers.check({ clientId: 'u-fine', subject: 'alice' })).resolves.toBeUndefined();
  });

  it('never reads the list for anonymous callers (auth none), whom it cannot name', async () => {
    const { blockedCallers, reads } = checkOver(new Error('SSM is down'));

    await expect(blockedCallers.check({})).resolves.toBeUndefined();
    expect(reads()).toBe(0);
  });

  it('keeps the last good list in force when a read fails: a blocked caller stays blocked', async () => {
    const sut = checkOver(BLOCKED);
    await sut.blockedCallers.check({ clientId: 'u-fine' });
    sut.answer(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));

    const error = await rejectionOf(sut.blockedCallers.check({ clientId: 'u-blocked' }));

    expect(error.code).toBe('CallerBlocked');
    expect(sut.recorded).toEqual(['BlockedCallersUnreadable']);
    expect(sut.warnings).toEqual([{ errorName: 'ServiceUnavailable' }]);
  });

  it('keeps the last good list in force when the value becomes invalid, and logs the problem', async () => {
    const sut = checkOver(BLOCKED);
    await sut.blockedCallers.check({ clientId: 'u-fine' });
    sut.answer('u-blocked,u-other');

    const error = await rejectionOf(sut.blockedCallers.check({ clientId: 'u-blocked' }));

    expect(error.code).toBe('CallerBlocked');
    expect(sut.warnings).toEqual([
      { errorName: 'InvalidBlockedCallersError', problem: 'the value is not JSON' },
    ]);
  });

  it('refuses a list with a padded subject without blocking its trimmed form, logging the index, not the value', async () => {
    const sut = checkOver(BLOCKED);
    await sut.blockedCallers.check({ clientId: 'u-fine' });
    sut.answer(JSON.stringify({ subjects: ['mallory', ' alice '] }));

    await expect(
      sut.blockedCallers.check({ clientId: 'u-alice', subject: 'alice' }),
    ).resolves.toBeUndefined();
    const error = await rejectionOf(sut.blockedCallers.check({ clientId: 'u-other', subject: 'mallory' }));

    expect(error.code).toBe('CallerBlocked');
    expect(sut.warnings).toEqual([
      {
        errorName: 'InvalidBlockedCallersError',
        problem: 'subjects[1] has surrounding whitespace: subjects are matched exactly',
      },
    ]);
    expect(JSON.stringify(sut.warnings)).not.toContain('alice');
  });

  it('matches the token subject exactly: a listed subject blocks neither another case nor a padded form', async () => {
    const { blockedCallers } = checkOver(JSON.stringify({ subjects: ['alice'] }));

    await expect(blockedCallers.check({ clientId: 'u-1', subject: 'Alice' })).resolves.toBeUndefined();
    await expect(blockedCallers.check({ clientId: 'u-2', subject: ' alice ' })).resolves.toBeUndefined();
    expect((await rejectionOf(blockedCallers.check({ clientId: 'u-3', subject: 'alice' }))).code).toBe(
      'CallerBlocked',
    );
  });

  it('answers 503 Unavailable with Retry-After while no list was ever read, and serves nobody unchecked', async () => {
    const { blockedCallers, warnings } = checkOver(new Error('SSM is down'));

    const error = await rejectionOf(blockedCallers.check({ clientId: 'u-fine' }));

    expect(error.code).toBe('Unavailable');
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(warnings[0]).toMatchObject({ neverLoaded: true });
  });

  it('asks again only after the retry delay once a read failed', async () => {
    const sut = checkOver(new Error('SSM is down'));
    await rejectionOf(sut.blockedCallers.check({ clientId: 'u-fine' }));
    await rejectionOf(sut.blockedCallers.check({ clientId: 'u-fine' }));
    expect(sut.reads()).toBe(1);
    sut.answer(EMPTY);

    sut.advance(5000);
    await sut.blockedCallers.check({ clientId: 'u-fine' });

    expect(sut.reads()).toBe(2);
  });

  it('applies a new list as soon as the source returns it', async () => {
    const sut = checkOver(EMPTY);
    await sut.blockedCallers.check({ clientId: 'u-blocked' });
    sut.answer(BLOCKED);

    const error = await rejectionOf(sut.blockedCallers.check({ clientId: 'u-blocked' }));

    expect(error.code).toBe('CallerBlocked');
  });
});
