import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// What `npm test` prints: the fixtures in test/support/fixtures/output run with the output
// settings of vitest.config.mts (its `TEST_OUTPUT`).

const ROOT = join(__dirname, '..', '..');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const CONFIG = 'test/support/fixtures/output/vitest.config.mjs';
/** A vitest run of one small file takes seconds; the limit only stops a hung child. */
const RUN_TIMEOUT_MS = 120_000;

interface Run {
  readonly code: number | null;
  /** stdout and stderr, colours off. */
  readonly output: string;
}

/** Runs `node <args>` in the project with this process's environment (the test run's). */
function run(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: RUN_TIMEOUT_MS,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const runFixture = (file: string) =>
  run([VITEST, 'run', '--config', CONFIG, `test/support/fixtures/output/${file}`]);

/** The run of mixed.fixture.ts (a passing, a failing and two skipped tests), made once for the tests that read it. */
let mixedRun: Promise<Run> | undefined;
const mixed = () => {
  mixedRun ??= runFixture('mixed.fixture.ts');
  return mixedRun;
};

describe('npm test output', { timeout: RUN_TIMEOUT_MS + 30_000 }, () => {
  it('hides what passing tests print and shows what a failing test printed', async () => {
    const { code, output } = await mixed();

    expect(code).toBe(1);
    expect(output).not.toContain('console output of the passing test');
    expect(output).not.toContain('raw output of the passing test');
    expect(output).toContain('console output of the failing test');
    // stdout and stderr reach this process through two pipes, so a Node.js warning written to
    // stderr may land between the header and what it introduces: the order is what matters.
    const header = output.indexOf(
      '--- what the failed test "output > of a failing test is shown" wrote to stdout and stderr ---',
    );
    expect(header).toBeGreaterThanOrEqual(0);
    expect(
      output.indexOf('{"level":"ERROR","message":"raw output of the failing test"}', header),
    ).toBeGreaterThan(header);
  });

  it("keeps Node.js's warnings of a passing test", async () => {
    const { output } = await mixed();

    expect(output).toMatch(/\(node:\d+\) Warning: a Node\.js warning during the passing test/);
  });

  it('ends with the programs that skipped tests and what to install', async () => {
    const { output } = await mixed();

    expect(output.trimEnd().split('\n').slice(-2)).toEqual([
      ' Skipped for want of a program (install it and run again):',
      '   kvs-fixture-tool not found (apt-get install kvs-fixture-tool): 2 tests in test/support/fixtures/output/mixed.fixture.ts',
    ]);
  });

  it('prints neither the output of passing tests and their hooks nor a skip summary when nothing was skipped', async () => {
    const { code, output } = await runFixture('clean.fixture.ts');

    expect(code).toBe(0);
    expect(output).not.toContain('raw output of a hook');
    expect(output).not.toContain('raw output of a passing test');
    expect(output).not.toContain('Skipped for want of a program');
  });
});

describe('a process a test starts', () => {
  const sdkClient = "new (require('@aws-sdk/client-sts').STSClient)({ region: 'us-west-2' });";

  it("prints no AWS SDK Node.js version notice (the SDK's own opt-out is in the environment)", async () => {
    const { code, output } = await run(['-e', sdkClient]);

    expect(code).toBe(0);
    expect(output).not.toContain('NodeVersionSupportWarning');
  });

  it('still prints every other warning', async () => {
    const { output } = await run(['-e', `${sdkClient} process.emitWarning('another warning');`]);

    expect(output).toMatch(/\(node:\d+\) Warning: another warning/);
  });
});
