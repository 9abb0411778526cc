import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { MissingRequirement, runBenchmarks } from '../lib/main';
import { type Benchmark, type BenchmarkResult, compare, summarize } from '../lib/report';

const result: BenchmarkResult = {
  comparisons: [compare('time', 12, 10, 'ms', 'baseline')],
  context: [{ label: 'size of a package', value: 6.15, unit: 'KB' }],
  checks: [{ kind: 'invariant', statement: 'it holds', passed: true }],
  details: {},
};

describe('the printed summary', () => {
  it('prints context figures after the comparisons, labelled and without a baseline or a ratio', () => {
    const lines = summarize({ name: 'demo', title: 'Demo', run: async () => result }, result);

    expect(lines).toEqual([
      '== demo: results ==',
      '  time: 12 ms | baseline (baseline): 10 ms | ratio 1.2x',
      '  [context] size of a package: 6.15 KB (no baseline)',
      '  [ok] invariant: it holds',
    ]);
  });
});

describe('a benchmark whose requirements are missing', () => {
  const missing: Benchmark = {
    name: 'browser',
    title: 'Needs a browser',
    run: async () => {
      throw new MissingRequirement(
        'needs Chromium at /usr/bin/chromium (apt-get install chromium), not found',
      );
    },
  };
  let dir: string;
  let print: MockInstance<typeof console.log>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-report-test-'));
    print = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    print.mockRestore();
    await rm(dir, { recursive: true, force: true });
  });

  it('is reported as SKIPPED in one line with what to install, and writes no result', async () => {
    const outcome = await runBenchmarks([missing], dir, true);

    expect(outcome).toEqual({ ok: true, failed: [], skipped: ['browser'] });
    expect(print).toHaveBeenCalledWith(
      '== browser: SKIPPED: needs Chromium at /usr/bin/chromium (apt-get install chromium), not found ==',
    );
    expect(existsSync(join(dir, 'browser.json'))).toBe(false);
  });

  it('fails the run when skips are not allowed (the benchmark was named)', async () => {
    const outcome = await runBenchmarks([missing], dir);

    expect(outcome.ok).toBe(false);
  });

  it('does not stop the benchmarks after it', async () => {
    const next: Benchmark = { name: 'next', title: 'Next', run: async () => result };

    const outcome = await runBenchmarks([missing, next], dir, true);

    expect(outcome.ok).toBe(true);
    expect(existsSync(join(dir, 'next.json'))).toBe(true);
  });

  it('lets any other error through', async () => {
    const broken: Benchmark = {
      name: 'broken',
      title: 'Broken',
      run: async () => {
        throw new Error('boom');
      },
    };

    await expect(runBenchmarks([broken], dir, true)).rejects.toThrow('boom');
  });
});
