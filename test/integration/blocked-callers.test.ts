import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_BLOCKED_CALLERS_PARAMETER } from '../../local/blocked-callers';
import { type LocalStack, startLocalStack } from '../../local/runner';

// Blocking a caller on the local runner, as an operator blocks one of a deployment: the list is
// an SSM parameter (here the emulator's) that the unmodified function reads through Powertools
// Parameters, cached BLOCKED_CALLERS_MAX_AGE_SECONDS (1 s here instead of 60).
const MAX_AGE_SECONDS = 1;
const EMPTY = '{"callerIds":[],"subjects":[]}';

let stack: LocalStack;
let dir: string;
let listFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvs-blocked-'));
  listFile = join(dir, 'blocked.json');
  writeFileSync(listFile, EMPTY);
  stack = await startLocalStack({
    port: 0,
    channels: ['demo'],
    relay: false,
    auth: { mode: 'jwt' },
    blockedCallers: { file: listFile },
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', BLOCKED_CALLERS_MAX_AGE_SECONDS: String(MAX_AGE_SECONDS) },
  });
});
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  code?: string;
  clientId?: string;
}

/** One ice-servers request as the user with this `sub`; the caller id is read from the emulator's stats. */
async function ask(sub: string): Promise<Answer> {
  const token = await stack.auth.mintToken?.({ sub });
  const response = await fetch(`${stack.api.url}/v1/channels/demo/ice-servers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: body.error?.code };
}

/** The caller id (`u-…`) the function gave `sub`: the one ClientId the emulator saw for its first request. */
async function callerIdOf(sub: string): Promise<string> {
  const before = new Set(Object.keys(stack.emulator.stats().clientIds));
  expect((await ask(sub)).status).toBe(200);
  const [id] = Object.keys(stack.emulator.stats().clientIds).filter((seen) => !before.has(seen));
  if (id === undefined) throw new Error(`no new ClientId reached the emulator for ${sub}`);
  return id;
}

/**
 * Asks until the answer's status is `status`, for at most `timeoutMs`; returns the last answer. A
 * change shows after the cache period, or later when a read of the list is slow (a busy machine).
 */
async function askUntil(sub: string, status: number, timeoutMs = 20_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let answer = await ask(sub);
  while (answer.status !== status && Date.now() < deadline) {
    await sleep(100);
    answer = await ask(sub);
  }
  return answer;
}

describe('blocking a caller on the local runner', () => {
  it('refuses a blocked caller id with 403 CallerBlocked once the cache period has passed, and serves others', async () => {
    const mallory = await callerIdOf('mallory');
    await callerIdOf('alice');

    stack.emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, JSON.stringify({ callerIds: [mallory] }));

    expect(await askUntil('mallory', 403)).toEqual({ status: 403, code: 'CallerBlocked' });
    expect((await ask('alice')).status).toBe(200);
  });

  it('blocks by JWT subject, and unblocks when the subject leaves the list', async () => {
    stack.emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, JSON.stringify({ subjects: ['eve'] }));
    expect(await askUntil('eve', 403)).toEqual({ status: 403, code: 'CallerBlocked' });

    stack.emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, EMPTY);

    expect((await askUntil('eve', 200)).status).toBe(200);
  });

  it('applies an edit of -c blockedCallersFile without a restart', async () => {
    expect((await ask('trudy')).status).toBe(200);

    writeFileSync(listFile, JSON.stringify({ subjects: ['trudy'] }));

    expect(await askUntil('trudy', 403)).toEqual({ status: 403, code: 'CallerBlocked' });
    expect((await ask('alice')).status).toBe(200);
  });

  it('refuses a list with a padded subject: its trimmed form is not blocked in its place, and the last good list stays', async () => {
    stack.emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, JSON.stringify({ subjects: ['victor'] }));
    expect((await askUntil('victor', 403)).status).toBe(403);

    stack.emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, JSON.stringify({ subjects: [' walter '] }));
    await sleep(MAX_AGE_SECONDS * 1000 + 250);

    expect((await ask('walter')).status).toBe(200);
    expect((await ask('victor')).code).toBe('CallerBlocked');
  });

  it('keeps the last good list in force when the parameter becomes invalid or disappears', async () => {
    stack.emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, JSON.stringify({ subjects: ['oscar'] }));
    expect((await askUntil('oscar', 403)).status).toBe(403);

    stack.emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, 'oscar');
    await sleep(MAX_AGE_SECONDS * 1000 + 250);
    expect((await ask('oscar')).code).toBe('CallerBlocked');
    stack.emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, null);
    await sleep(MAX_AGE_SECONDS * 1000 + 250);

    expect((await ask('oscar')).code).toBe('CallerBlocked');
    expect((await ask('alice')).status).toBe(200);
  });
});
