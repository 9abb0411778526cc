import { readFileSync } from 'node:fs';

export interface Memory {
  /** Resident set size now, in KB (`VmRSS`). */
  readonly rssKb: number;
  /** Peak resident set size since the process started, in KB (`VmHWM`). */
  readonly peakKb: number;
}

/** Parses the `VmRSS` and `VmHWM` lines of a `/proc/<pid>/status` text. */
export function parseProcStatus(status: string): Memory {
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`/proc status has no ${field} line`);
    return Number(match[1]);
  };
  return { rssKb: kb('VmRSS'), peakKb: kb('VmHWM') };
}

export const readMemory = (pid: number): Memory =>
  parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));

export interface MemoryPeak {
  /** Largest `VmRSS` sampled, in KB. */
  readonly maxRssKb: number;
  /** `VmHWM` when sampling stopped, in KB. */
  readonly peakKb: number;
}

/** Samples a process's memory every `intervalMs` until stopped. */
export function sampleMemory(pid: number, intervalMs = 100): { stop(): MemoryPeak } {
  let maxRssKb = 0;
  const sample = () => {
    maxRssKb = Math.max(maxRssKb, readMemory(pid).rssKb);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const last = readMemory(pid);
      return { maxRssKb: Math.max(maxRssKb, last.rssKb), peakKb: last.peakKb };
    },
  };
}
