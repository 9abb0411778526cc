import { relative } from 'node:path';
import {
  type Benchmark,
  type BenchmarkResult,
  failedInvariants,
  OUTPUT_DIRS,
  summarize,
  writeResult,
} from './report';
import { round } from './stats';

const log = (line: string) => console.log(`  · ${line}`);

/**
 * Thrown by a benchmark before it measures anything, when the machine lacks what it needs (a
 * browser, a program): printed as one line saying what to install, without a stack trace.
 */
export class MissingRequirement extends Error {
  override name = 'MissingRequirement';
}

export interface RunOutcome {
  /** No invariant failed (and nothing was skipped, unless skipping was allowed). */
  readonly ok: boolean;
  /** The benchmarks with a failed invariant. */
  readonly failed: readonly string[];
  /** The benchmarks that could not run here ({@link MissingRequirement}). */
  readonly skipped: readonly string[];
}

/**
 * Runs benchmarks one after the other, prints each summary, writes each JSON into `dir`
 * (untracked `bench/out/` unless told otherwise). A benchmark that throws
 * {@link MissingRequirement} is reported as SKIPPED with what to install; it fails the run
 * unless `allowSkips` (every benchmark was asked for, not this one by name).
 */
export async function runBenchmarks(
  benchmarks: readonly Benchmark[],
  dir: string = OUTPUT_DIRS.scratch,
  allowSkips = false,
): Promise<RunOutcome> {
  const failed: string[] = [];
  const skipped: string[] = [];
  for (const benchmark of benchmarks) {
    console.log(`\n>> ${benchmark.title}`);
    const started = performance.now();
    let result: BenchmarkResult;
    try {
      result = await benchmark.run(log);
    } catch (error) {
      if (!(error instanceof MissingRequirement)) throw error;
      console.log(`== ${benchmark.name}: SKIPPED: ${error.message} ==`);
      skipped.push(benchmark.name);
      continue;
    }
    const wallSeconds = round((performance.now() - started) / 1000);
    const file = await writeResult(benchmark, result, wallSeconds, dir);
    for (const line of summarize(benchmark, result)) console.log(line);
    console.log(`  (${wallSeconds} s, written to ${relative(process.cwd(), file)})`);
    if (failedInvariants(result).length > 0) failed.push(benchmark.name);
  }
  return { ok: failed.length === 0 && (allowSkips || skipped.length === 0), failed, skipped };
}

/** A wrong command line: printed as one line, without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command line of `npm run bench`: benchmark names, and `--record` to write into the tracked results. */
export interface BenchArgs {
  readonly names: readonly string[];
  /** Write into `bench/results/` (tracked, the figures the README quotes) instead of `bench/out/`. */
  readonly record: boolean;
}

/** Parses `npm run bench -- [--record] [name ...]`; an unknown flag is a {@link UsageError}. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const flags = argv.filter((arg) => arg.startsWith('-'));
  const unknown = flags.find((flag) => flag !== '--record');
  if (unknown !== undefined) throw new UsageError(`unknown option "${unknown}"; the only option is --record`);
  return { names: argv.filter((arg) => !arg.startsWith('-')), record: flags.includes('--record') };
}

/** The benchmarks named on the command line, in their usual order; every one when none is named. */
export function chooseBenchmarks<T extends { readonly name: string }>(
  names: readonly string[],
  all: readonly T[],
): T[] {
  const unknown = names.filter((name) => !all.some((benchmark) => benchmark.name === name));
  if (unknown.length > 0) {
    const choices = all.map((benchmark) => benchmark.name).join(', ');
    const named = unknown.map((name) => `"${name}"`).join(', ');
    throw new UsageError(`unknown benchmark ${named}; choose from: ${choices}`);
  }
  return names.length === 0 ? [...all] : all.filter((benchmark) => names.includes(benchmark.name));
}

/**
 * Exit code 1 when a benchmark throws or an invariant fails, 2 for a wrong command line;
 * children are killed on exit (also on Ctrl-C).
 */
export function exitAfter(work: Promise<boolean>): void {
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  work.then(
    (ok) => process.exit(ok ? 0 : 1),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`bench: ${error.message}`);
        process.exit(2);
      }
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}

/** Lets `npx tsx bench/<name>.ts` run one benchmark on its own. */
export function runIfMain(module: NodeModule, benchmark: Benchmark): void {
  if (require.main === module) exitAfter(runBenchmarks([benchmark]).then((outcome) => outcome.ok));
}
