import { browser } from './browser';
import { bundle } from './bundle';
import { burst } from './burst';
import { firstFrame } from './first-frame';
import { firstRequest } from './first-request';
import { fleetStorm } from './fleet-storm';
import { handlerCost } from './handler-cost';
import { chooseBenchmarks, exitAfter, parseBenchArgs, runBenchmarks } from './lib/main';
import { OUTPUT_DIRS } from './lib/report';
import { throughput } from './throughput';

const ALL = [throughput, handlerCost, firstRequest, burst, fleetStorm, bundle, browser, firstFrame];

/**
 * `npm run bench` runs every benchmark; `npm run bench -- burst bundle` runs the named ones.
 * Results go to the untracked `bench/out/`; `--record` writes the tracked `bench/results/`.
 * A benchmark this machine cannot run (browser: no Chromium or coturn) is SKIPPED with what to
 * install; that fails the run only when it was named.
 */
async function main(): Promise<boolean> {
  const args = parseBenchArgs(process.argv.slice(2));
  const chosen = chooseBenchmarks(args.names, ALL);
  const started = performance.now();
  const dir = args.record ? OUTPUT_DIRS.recorded : OUTPUT_DIRS.scratch;
  const { ok, failed, skipped } = await runBenchmarks(chosen, dir, args.names.length === 0);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const notes = [
    ...(failed.length > 0 ? [`FAILED invariants in ${failed.join(', ')}`] : []),
    ...(skipped.length > 0 ? [`SKIPPED ${skipped.join(', ')} (requirements missing, see above)`] : []),
  ];
  console.log(`\nbench finished in ${seconds} s${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`);
  return ok;
}

exitAfter(main());
