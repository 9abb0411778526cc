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

/** Writes `text` to `file` once, at once, and waits until `check` passes: an edit made right after watching starts counts too. */
async function editOnce(file: string, text: string, check: () => void): Promise<void> {
  writeFileSync(file, text);
  await vi.waitFor(check, { timeout: 10_000, interval: 100 });
}

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
    await editOnce(file, huge, () => expect(warnings.join('\n')).toMatch(/4096/));

    expect(warnings.join('\n')).toContain('the API keeps its last good list');
    expect(store.get(LOCAL_BLOCKED_CALLERS_PARAMETER)?.value).toBe(published);
  });

  it('warns, naming the entry, when an edit pads a subject with whitespace', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvs-blocked-file-'));
    const file = join(dir, 'blocked.json');
    writeFileSync(file, JSON.stringify({ subjects: ['mallory'] }));
    const warnings: string[] = [];
    stop = publishBlockedCallers({ file }, { setParameter: () => undefined, warn: (m) => warnings.push(m) });

    const edit = JSON.stringify({ subjects: ['mallory', ' alice '] });
    await editOnce(file, edit, () => expect(warnings.length).toBeGreaterThan(0));

    expect(warnings[0]).toBe(
      `blockedCallersFile: ${file}: subjects[1] " alice " has surrounding whitespace: subjects are matched exactly; ` +
        'expected {"callerIds":[],"subjects":[]} with ids and subjects; the API keeps its last good list',
    );
  });
});

describe('-c blockedCallersFile at start', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file with padded entries, naming each with its value', () => {
    dir = mkdtempSync(join(tmpdir(), 'kvs-blocked-file-'));
    const file = join(dir, 'blocked.json');
    writeFileSync(file, JSON.stringify({ callerIds: ['u-abc '], subjects: [' alice '] }));

    expect(() => readLocalBlockedCallers({ blockedCallersFile: file })).toThrow(
      `Invalid context "blockedCallersFile": ${file}: ` +
        'callerIds[0] "u-abc " has surrounding whitespace: caller ids are matched exactly; ' +
        'subjects[0] " alice " has surrounding whitespace: subjects are matched exactly; ' +
        'expected {"callerIds":[],"subjects":[]} with ids and subjects',
    );
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
    [
      'an entry with surrounding whitespace, which would block another caller than it names',
      ['u-abc', ' sub:alice', 'u-def '],
      'Invalid context "blockedCallers": " sub:alice" has surrounding whitespace: caller ids and subjects are matched exactly; ' +
        '"u-def " has surrounding whitespace: caller ids and subjects are matched exactly',
    ],
    [
      'a subject with surrounding whitespace',
      ['sub: alice'],
      'Invalid context "blockedCallers": "sub: alice" names the subject " alice", which has surrounding whitespace: subjects are matched exactly',
    ],
  ])('refuses %s, naming the entry', (_, list, message) => {
    expect(() => readLocalBlockedCallers({ blockedCallers: list })).toThrow(message);
  });

  it('takes caller ids as the function logs them and JWT subjects', () => {
    const list = ['u-3q2Ry_-x', 'c-abc', 'iam-xyz', 'sub:mallory'];

    expect(readLocalBlockedCallers({ blockedCallers: list })).toEqual({ list });
  });
});
