import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type FunctionInstances,
  type InstanceScript,
  startFunctionInstances,
  TYPESCRIPT_INSTANCE,
} from '../../local/fleet/instances';
import { lambdaContext } from '../../local/gateway/event';

/**
 * `npm start -- --instances N`: instance processes that die are replaced, as Lambda replaces a
 * failed execution environment. The instances here are scripted (test/local/support/scripted-instance.ts)
 * so that a test decides when one holds a request, fails its cold start or answers.
 */
const SCRIPTED: InstanceScript = {
  path: join(__dirname, 'support', 'scripted-instance.ts'),
  execArgv: TYPESCRIPT_INSTANCE.execArgv,
};
/** Cold starts of instance processes under tsx, and a few back-offs, on a busy machine. */
const TIMEOUT_MS = 120_000;
const WAIT = { timeout: 60_000, interval: 50 };
const INTERNAL_SERVER_ERROR = { statusCode: 500, body: '{"message":"Internal Server Error"}' };

let dir: string;
let fleet: FunctionInstances | undefined;
let errorLines: () => string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kvs-fleet-test-'));
  const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  errorLines = () => spy.mock.calls.map((args) => args.join(' '));
});
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function startFleet(): Promise<FunctionInstances> {
  fleet = await startFunctionInstances({
    count: 2,
    // The scripted instances build no function: they ignore it.
    init: { environment: {}, aws: {} },
    env: { SCRIPTED_INSTANCE_DIR: dir },
    script: SCRIPTED,
    stdout: 'ignore',
  });
  return fleet;
}

/** Invokes the fleet as the local API does; `hold` asks the scripted instance to hold the request. */
function invoke(
  instances: FunctionInstances,
  event: { hold?: boolean } = {},
  timeoutMs = 10_000,
): Promise<APIGatewayProxyStructuredResultV2> {
  return instances.handler(event as unknown as APIGatewayProxyEventV2, lambdaContext(timeoutMs));
}

const answeredBy = (result: APIGatewayProxyStructuredResultV2): number =>
  (JSON.parse(result.body ?? '{}') as { pid?: number }).pid ?? 0;

/** The pids of the scripted instances holding a request. */
const holders = () =>
  readdirSync(dir)
    .filter((name) => name.startsWith('held-'))
    .map((name) => Number(name.slice('held-'.length)))
    .sort((a, b) => a - b);

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits until the fleet has launched replacements for all of `dead`; returns its pids then. */
async function replacedAll(
  instances: FunctionInstances,
  dead: readonly number[],
): Promise<readonly number[]> {
  await vi.waitFor(() => expect(instances.pids.filter((pid) => dead.includes(pid))).toEqual([]), WAIT);
  return instances.pids;
}

describe('a function instance whose process dies', { timeout: TIMEOUT_MS }, () => {
  it('is replaced by a new process; only the request it held answers 500, the others keep being answered', async () => {
    const instances = await startFleet();
    const [victim = 0, survivor = 0] = instances.pids;
    const held = [invoke(instances, { hold: true }), invoke(instances, { hold: true })];
    await vi.waitFor(() => expect(holders()).toEqual([victim, survivor].sort((a, b) => a - b)), WAIT);

    process.kill(victim, 'SIGKILL');
    process.kill(survivor, 'SIGUSR2');
    const answers = await Promise.all(held);

    expect(answers).toContainEqual(expect.objectContaining(INTERNAL_SERVER_ERROR));
    expect(answers.filter((answer) => answer.statusCode === 200).map(answeredBy)).toEqual([survivor]);
    const pids = await replacedAll(instances, [victim]);
    const replacement = pids.find((pid) => pid !== survivor) ?? 0;
    expect(pids).toContain(survivor);
    expect(replacement).not.toBe(victim);
    expect(errorLines()).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `function instance \\d \\(pid ${victim}\\) died \\(signal SIGKILL\\); replaced by pid ${replacement}$`,
        ),
      ),
    );

    const later = await Promise.all(Array.from({ length: 6 }, () => invoke(instances)));
    expect(later.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    // Once its cold start is done, the replacement takes its turn in the round robin.
    await vi.waitFor(async () => expect(answeredBy(await invoke(instances))).toBe(replacement), WAIT);
  });

  it('when every instance died, a request waits for a replacement and is answered by it', async () => {
    const instances = await startFleet();
    const dead = instances.pids;
    for (const pid of dead) process.kill(pid, 'SIGKILL');
    const pids = await replacedAll(instances, dead);

    const answer = await invoke(instances);

    expect(answer.statusCode).toBe(200);
    expect(pids).toContain(answeredBy(answer));
  });
});

describe('a replacement that fails its cold start', { timeout: TIMEOUT_MS }, () => {
  /** The delays (ms) the fleet logged before its next replacements. */
  const backOffs = () =>
    errorLines().flatMap((line) => {
      const match = /failed its cold start \(scripted init error\); next replacement in (\d+) ms$/.exec(line);
      return match ? [Number(match[1])] : [];
    });

  it('is retried after growing delays of at most 5 s, while the live instance keeps answering', async () => {
    const instances = await startFleet();
    const [victim = 0, survivor = 0] = instances.pids;
    writeFileSync(join(dir, 'fail'), '');

    process.kill(victim, 'SIGKILL');
    await vi.waitFor(() => expect(backOffs().length).toBeGreaterThanOrEqual(3), WAIT);

    const [first = 0, second = 0, third = 0] = backOffs();
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(third).toBeGreaterThan(second);
    expect(backOffs().every((delay) => delay <= 5_000)).toBe(true);
    expect(answeredBy(await invoke(instances))).toBe(survivor);

    rmSync(join(dir, 'fail'));
    const replaced = await vi.waitFor(async () => {
      const answer = await invoke(instances);
      expect(answeredBy(answer)).not.toBe(survivor);
      return answeredBy(answer);
    }, WAIT);
    expect(instances.pids).toEqual(expect.arrayContaining([replaced, survivor]));
  });

  it('with no instance left, a request gets 500 once its time is up; close() stops every process it started', async () => {
    const instances = await startFleet();
    const first = instances.pids;
    writeFileSync(join(dir, 'fail'), '');
    for (const pid of first) process.kill(pid, 'SIGKILL');
    await vi.waitFor(() => expect(backOffs().length).toBeGreaterThanOrEqual(2), WAIT);

    expect(await invoke(instances, {}, 200)).toMatchObject(INTERNAL_SERVER_ERROR);

    await instances.close();
    const launched = errorLines().flatMap((line) =>
      [...line.matchAll(/pid (\d+)/g)].map((match) => Number(match[1])),
    );
    expect(launched.length).toBeGreaterThan(2);
    expect(launched.filter(isRunning)).toEqual([]);
    expect(instances.pids.filter(isRunning)).toEqual([]);
  });
});
