import { relative } from 'node:path';
import { type Benchmark, failedInvariants, summarize, writeResult } from './report';
import { round } from './stats';

const log = (line: string) => console.log(`  · ${line}`);

/** Runs benchmarks one after the other, prints each summary, writes each JSON; true if no invariant failed. */
export async function runBenchmarks(benchmarks: readonly Benchmark[]): Promise<boolean> {
  let ok = true;
  for (const benchmark of benchmarks) {
    console.log(`\n>> ${benchmark.title}`);
    const started = performance.now();
    const result = await benchmark.run(log);
    const wallSeconds = round((performance.now() - started) / 1000);
    const file = await writeResult(benchmark, result, wallSeconds);
    for (const line of summarize(benchmark, result)) console.log(line);
    console.log(`  (${wallSeconds} s, written to ${relative(process.cwd(), file)})`);
    if (failedInvariants(result).length > 0) ok = false;
  }
  return ok;
}

/** Exit code 1 when a benchmark throws or an invariant fails; children are killed on exit. */
export function exitAfter(work: Promise<boolean>): void {
  work.then(
    (ok) => process.exit(ok ? 0 : 1),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}

/** Lets `npx tsx bench/<name>.ts` run one benchmark on its own. */
export function runIfMain(module: NodeModule, benchmark: Benchmark): void {
  if (require.main === module) exitAfter(runBenchmarks([benchmark]));
}

process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));
