import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseBenchmarks, parseBenchArgs, UsageError } from '../lib/main';

const REPO = join(__dirname, '..', '..');
const benchmarks = [{ name: 'throughput' }, { name: 'burst' }, { name: 'bundle' }];

describe('choosing benchmarks on the command line', () => {
  it('runs every benchmark when none is named', () => {
    expect(chooseBenchmarks([], benchmarks)).toEqual(benchmarks);
  });

  it('runs the named benchmarks in their usual order', () => {
    expect(chooseBenchmarks(['bundle', 'throughput'], benchmarks)).toEqual([
      { name: 'throughput' },
      { name: 'bundle' },
    ]);
  });

  it('refuses an unknown name with a message that lists the benchmark names', () => {
    expect(() => chooseBenchmarks(['burst', 'nosuch'], benchmarks)).toThrow(
      new UsageError('unknown benchmark "nosuch"; choose from: throughput, burst, bundle'),
    );
  });
});

/** tsx starting bench/run.ts takes about a second; the limit only stops a hung child, not a busy machine. */
const CHILD_TIMEOUT_MS = 120_000;

describe('npm run bench -- <unknown name>', { timeout: CHILD_TIMEOUT_MS + 30_000 }, () => {
  it('prints the benchmark names in one line and exits non-zero, without a stack trace', () => {
    const tsx = require.resolve('tsx/cli');

    const result = spawnSync(process.execPath, [tsx, 'bench/run.ts', 'nosuch'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: CHILD_TIMEOUT_MS,
    });

    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'bench: unknown benchmark "nosuch"; choose from: throughput, handler-cost, first-request, burst, fleet-storm, bundle, browser, first-frame',
    ]);
  });
});

describe('where results are written', () => {
  it('writes to the untracked bench/out by default, leaving the work tree clean', () => {
    expect(parseBenchArgs(['burst'])).toEqual({ names: ['burst'], record: false });
  });

  it('writes the tracked bench/results only with --record', () => {
    expect(parseBenchArgs(['--record', 'bundle'])).toEqual({ names: ['bundle'], record: true });
  });

  it('refuses an unknown option', () => {
    expect(() => parseBenchArgs(['--recrod'])).toThrow(UsageError);
  });

  it('keeps bench/out out of git', () => {
    const ignored = execFileSync('git', ['check-ignore', 'bench/out/bundle.json'], {
      cwd: REPO,
      encoding: 'utf8',
    });

    expect(ignored.trim()).toBe('bench/out/bundle.json');
  });
});
