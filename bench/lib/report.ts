import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ratio, round } from './stats';

/** One measured figure next to the baseline measured in the same run. */
export interface Comparison {
  readonly label: string;
  readonly figure: number;
  readonly baseline: number;
  readonly unit: string;
  /** What the baseline is, in a few words. */
  readonly baselineLabel: string;
  /** `figure / baseline`; null when the baseline is zero at the measurement's resolution. */
  readonly ratio: number | null;
}

/**
 * A pass/fail statement about the run. `invariant`s are the product's promises (a failing one
 * fails the run); `target`s are goals whose miss is reported but depends on the machine.
 */
export interface Check {
  readonly kind: 'invariant' | 'target';
  readonly statement: string;
  readonly passed: boolean;
}

/**
 * A figure printed for context, with no baseline: what the run measured that is not the project
 * against a baseline (other packages' sizes, a derived cost), so no ratio could mean anything.
 */
export interface ContextFigure {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
}

export interface BenchmarkResult {
  readonly comparisons: readonly Comparison[];
  readonly checks: readonly Check[];
  /** Printed after the comparisons as `[context]` lines, without a baseline or a ratio. */
  readonly context?: readonly ContextFigure[];
  /** Everything else worth keeping in the JSON (parameters, raw samples, breakdowns). */
  readonly details: Record<string, unknown>;
}

export interface Benchmark {
  /** File name of the result (`<name>.json`), and the name on the command line. */
  readonly name: string;
  readonly title: string;
  run(log: (line: string) => void): Promise<BenchmarkResult>;
}

/** Where results go: `bench/out/` (untracked) by default, `bench/results/` (tracked) with `--record`. */
export const OUTPUT_DIRS = {
  scratch: join(__dirname, '..', 'out'),
  recorded: join(__dirname, '..', 'results'),
} as const;

const format = (value: number) => String(round(value, 2));

/** The printed summary of a result: one line per comparison, per context figure and per check. */
export function summarize(benchmark: Benchmark, result: BenchmarkResult): string[] {
  const lines = [`== ${benchmark.name}: results ==`];
  for (const c of result.comparisons) {
    lines.push(
      `  ${c.label}: ${format(c.figure)} ${c.unit} | baseline (${c.baselineLabel}): ${format(c.baseline)} ${c.unit} | ratio ${c.ratio === null ? 'n/a' : `${format(c.ratio)}x`}`,
    );
  }
  for (const figure of result.context ?? []) {
    lines.push(`  [context] ${figure.label}: ${format(figure.value)} ${figure.unit} (no baseline)`);
  }
  for (const check of result.checks) {
    const verdict = check.passed ? 'ok' : check.kind === 'invariant' ? 'FAILED' : 'MISSED';
    lines.push(`  [${verdict}] ${check.kind}: ${check.statement}`);
  }
  return lines;
}

/** Writes `<dir>/<name>.json` with the machine it ran on; returns the file's path. */
export async function writeResult(
  benchmark: Benchmark,
  result: BenchmarkResult,
  wallSeconds: number,
  dir: string = OUTPUT_DIRS.scratch,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${benchmark.name}.json`);
  const document = {
    name: benchmark.name,
    title: benchmark.title,
    measuredAt: new Date().toISOString(),
    wallSeconds,
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryMb: Math.round(totalmem() / 2 ** 20),
    },
    ...result,
  };
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}

/** A failed invariant fails the run; a missed target does not. */
export const failedInvariants = (result: BenchmarkResult) =>
  result.checks.filter((check) => check.kind === 'invariant' && !check.passed);

/** A comparison with its ratio computed. */
export function compare(
  label: string,
  figure: number,
  baseline: number,
  unit: string,
  baselineLabel: string,
): Comparison {
  return { label, figure, baseline, unit, baselineLabel, ratio: ratio(figure, baseline) };
}
