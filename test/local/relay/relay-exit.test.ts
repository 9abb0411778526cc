import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../../../local/runner';
import { requirements, TOOLS } from '../../support/requirements';
import { startAuthStack } from '../gateway/support/stack';

const { missing, options } = requirements(TOOLS.turnserver);
const suiteName = `a TURN relay (coturn) that dies while npm start runs${missing ? ` (${missing})` : ''}`;

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  vi.restoreAllMocks();
});

describe(suiteName, options, () => {
  it('is reported in the runner log, with how it ended and where its log is', async () => {
    stack = await startAuthStack({ relay: true });
    const coturn = stack.coturn;
    if (!coturn) throw new Error('coturn should run: turnserver is installed');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);

    process.kill(coturn.pid, 'SIGKILL');

    await vi.waitFor(() => expect(errors).toHaveBeenCalled(), { timeout: 30_000, interval: 50 });
    expect(errors.mock.calls.map((args) => args.join(' '))).toEqual([
      `kvs-ice-broker: the TURN relay (coturn, pid ${coturn.pid}) exited (signal SIGKILL) while serving: ` +
        `the TURN URIs the API vends point at ports where nothing listens until npm start is restarted; coturn's log: ${coturn.logFile}`,
    ]);
  });

  it('says nothing when the runner stops it', async () => {
    const running = await startAuthStack({ relay: true });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);

    await running.close();

    expect(errors).not.toHaveBeenCalled();
  });
});
