import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '../../local/emulator';
import type { LocalStack } from '../../local/runner';
import { bearer, mintToken, postIceServers, startAuthStack } from '../local/gateway/support/stack';
import { captureOutput } from './support/output';

/**
 * Function instances in processes of their own (npm start -- --instances N) behind the local API,
 * sharing the emulator (which enforces KVS's quotas as AWS does) and, with the shared budget, a
 * local DynamoDB. Small numbers: one hot channel, more new callers at once than KVS allows per
 * second, spread over two instances by the round robin.
 */
const CALLERS = 12;
/** Cold starts of two instance processes under tsx, and the storm's waits and retries, on a busy machine. */
const FLEET_TIMEOUT_MS = 180_000;

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Most GetIceServerConfig calls that reached the channel within any one second, throttled ones included. */
function peakPerSecond(calls: readonly CallRecord[], channel: string): number {
  const times = calls
    .filter((call) => call.op === 'GetIceServerConfig' && call.channel === channel)
    .map((call) => call.at)
    .sort((a, b) => a - b);
  let peak = 0;
  for (let end = 0, start = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= 1000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/** `CALLERS` new callers asking at once for the hot channel; their statuses, and what KVS saw. */
async function storm(sharedTable: boolean) {
  stack = await startAuthStack({
    channels: ['hot'],
    auth: { mode: 'jwt' },
    fleet: { instances: 2, sharedTable, stdout: 'ignore' },
  });
  const running = stack;
  const tokens = await Promise.all(
    Array.from({ length: CALLERS }, (_, i) => mintToken(running, { sub: `camera-${i}` })),
  );
  running.emulator.resetStats();
  const responses = await Promise.all(tokens.map((token) => postIceServers(running, 'hot', bearer(token))));
  const stats = running.emulator.stats();
  return {
    statuses: responses.map((response) => response.status),
    throttledAtKvs: stats.throttled.GetIceServerConfig,
    peakPerSecond: peakPerSecond(stats.recentCalls, 'hot'),
  };
}

describe('a reconnect storm across function instances', { timeout: FLEET_TIMEOUT_MS }, () => {
  it('with the shared budget, KVS throttles nothing and sees at most 5 calls per second on the channel', async () => {
    const result = await storm(true);

    expect(result.throttledAtKvs).toBe(0);
    expect(result.peakPerSecond).toBeLessThanOrEqual(5);
    expect(result.statuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(result.statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(5);
  });

  it('with per-instance budgets, the same storm is throttled by KVS', async () => {
    const result = await storm(false);

    expect(result.throttledAtKvs).toBeGreaterThan(0);
    expect(result.peakPerSecond).toBeGreaterThan(5);
  });
});

describe('storage-session joins across function instances', { timeout: FLEET_TIMEOUT_MS }, () => {
  it("with the shared budget, KVS throttles no join: the instances keep the channel's join quota together", async () => {
    stack = await startAuthStack({
      channels: ['rec'],
      storageSessions: true,
      signalingRoles: ['viewer', 'master'],
      auth: { mode: 'jwt', masterChannelsClaim: 'master_channels' },
      fleet: { instances: 3, sharedTable: true, stdout: 'ignore' },
    });
    const running = stack;
    const tokens = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        mintToken(running, { sub: `camera-${i}`, masterChannels: ['rec'] }),
      ),
    );
    running.emulator.resetStats();

    const responses = await Promise.all(
      tokens.map((token) =>
        fetch(`${running.api.url}/v1/channels/rec/storage-session/master`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer(token) },
          body: '{}',
        }),
      ),
    );

    const stats = running.emulator.stats();
    const statuses = responses.map((response) => response.status);
    expect(stats.throttled.JoinStorageSession).toBe(0);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
  });
});

describe('a DynamoDB outage', { timeout: FLEET_TIMEOUT_MS }, () => {
  it('keeps serving within the per-instance budget and publishes SharedBudgetFallback', async () => {
    stack = await startAuthStack({
      channels: ['demo'],
      auth: { mode: 'jwt' },
      fleet: { sharedTable: true },
      env: {
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'false',
        // 7 callers at once on one instance's 5 per second: 2 wait for slots that free a second after
        // the first calls answer, which a busy machine can push past the default 1.5 s wait.
        ICE_BUDGET_WAIT_MS: '5000',
      },
    });
    const running = stack;
    const tokens = await Promise.all(
      Array.from({ length: 8 }, (_, i) => mintToken(running, { sub: `viewer-${i}` })),
    );
    const [first, ...others] = tokens;
    expect((await postIceServers(running, 'demo', bearer(first ?? ''))).status).toBe(200);
    await running.dynamodb?.close();
    running.emulator.resetStats();

    const { result: statuses, lines } = await captureOutput(async () => {
      const responses = await Promise.all(
        others.map((token) => postIceServers(running, 'demo', bearer(token))),
      );
      return responses.map((response) => response.status);
    });

    const stats = running.emulator.stats();
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(stats.throttled.GetIceServerConfig).toBe(0);
    expect(peakPerSecond(stats.recentCalls, 'demo')).toBeLessThanOrEqual(5);
    expect(lines.some((line) => line.includes('"SharedBudgetFallback"'))).toBe(true);
  });
});

/** The process ids of this process's children that are function instances (live ones: not zombies). */
const instancePids = (): number[] =>
  execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('fleet/instance'))
    .map((line) => Number.parseInt(line, 10));

describe('a fleet whose local API cannot start', { timeout: FLEET_TIMEOUT_MS }, () => {
  it('stops the instance processes it started and rejects (the port is taken)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const start = startAuthStack({ port, fleet: { instances: 2, stdout: 'ignore' } });

      await expect(start).rejects.toThrow(/in use/);
      expect(instancePids()).toEqual([]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe('a function instance process that is killed', { timeout: FLEET_TIMEOUT_MS }, () => {
  it('is replaced by a new process, named in the log, and every later request is answered', async () => {
    stack = await startAuthStack({ fleet: { instances: 2, stdout: 'ignore' } });
    const running = stack;
    const [victim = 0, survivor = 0] = instancePids();

    const { result: replacement, lines } = await captureOutput(async () => {
      process.kill(victim, 'SIGKILL');
      return vi.waitFor(
        () => {
          const pids = instancePids();
          expect(pids).toHaveLength(2);
          expect(pids).not.toContain(victim);
          return pids.find((pid) => pid !== survivor) ?? 0;
        },
        { timeout: 30_000, interval: 100 },
      );
    });
    // More requests than instances: the round robin would have handed some to the dead one.
    const responses = await Promise.all(Array.from({ length: 6 }, () => postIceServers(running, 'demo')));

    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(replacement).not.toBe(victim);
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^kvs-ice-broker: function instance \\d \\(pid ${victim}\\) died \\(signal SIGKILL\\); replaced by pid ${replacement}$`,
        ),
      ),
    );
  });
});
