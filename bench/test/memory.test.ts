import { describe, expect, it } from 'vitest';
import { parseProcStatus, readMemory } from '../lib/memory';

describe('process memory from /proc', () => {
  it('reads the current and the peak resident set size in KB', () => {
    const status =
      'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  192600 kB\nVmRSS:\t  150400 kB\nThreads:\t11\n';

    expect(parseProcStatus(status)).toEqual({ rssKb: 150400, peakKb: 192600 });
  });

  it('names the line it cannot find', () => {
    expect(() => parseProcStatus('Name:\tnode\nVmRSS:\t 1 kB\n')).toThrow('no VmHWM line');
  });

  it('never reports a peak below the current size of a live process', () => {
    const memory = readMemory(process.pid);

    expect(memory.peakKb).toBeGreaterThanOrEqual(memory.rssKb);
  });
});
