import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  LOCAL_BLOCKED_CALLERS_PARAMETER,
  publishBlockedCallers,
  readLocalBlockedCallers,
} from '../../local/blocked-callers';
import { ParameterStore } from '../../local/emulator/ssm';

describe('-c blockedCallersFile, edited while the local API runs', () => {
  let dir: string | undefined;
  let stop: (() => void) | undefined;
  afterEach(() => {
    stop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps running and warns when an edit is larger than an SSM parameter holds', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvs-blocked-file-'));
    const file = join(dir, 'blocked.json');
    writeFileSync(file, JSON.stringify({ subjects: ['mallory'] }));
    const store = new ParameterStore(Date.now);
    const warnings: string[] = [];
    stop = publishBlockedCallers(
      { file },
      { setParameter: (name, value) => store.set(name, value), warn: (message) => warnings.push(message) },
    );
    const published = store.get(LOCAL_BLOCKED_CALLERS_PARAMETER)?.value;

    const huge = JSON.stringify({ subjects: Array.from({ length: 600 }, (_, i) => `subject-${i}`) });
    writeFileSync(file, huge);
    await vi.waitFor(() => expect(warnings.join('\n')).toMatch(/4096/), { timeout: 10_000, interval: 100 });

    expect(warnings.join('\n')).toContain('the API keeps its last good list');
    expect(store.get(LOCAL_BLOCKED_CALLERS_PARAMETER)?.value).toBe(published);
  });
});

describe('-c blockedCallers', () => {
  it.each([
    [
      'a bare name, which blocks nobody',
      ['alice'],
      /"alice" is neither a caller id .* did you mean "sub:alice"\?/,
    ],
    [
      'a subject prefix with no subject, which would break the list',
      ['u-abc', 'sub:'],
      /"sub:" names no subject/,
    ],
  ])('refuses %s, naming the entry', (_, list, message) => {
    expect(() => readLocalBlockedCallers({ blockedCallers: list })).toThrow(message);
  });

  it('takes caller ids as the function logs them and JWT subjects', () => {
    const list = ['u-3q2Ry_-x', 'c-abc', 'iam-xyz', 'sub:mallory'];

    expect(readLocalBlockedCallers({ blockedCallers: list })).toEqual({ list });
  });
});
