import { browser } from './browser';
import { bundle } from './bundle';
import { burst } from './burst';
import { firstRequest } from './first-request';
import { fleetStorm } from './fleet-storm';
import { handlerCost } from './handler-cost';
import { chooseBenchmarks, exitAfter, parseBenchArgs, runBenchmarks } from './lib/main';
import { OUTPUT_DIRS } from './lib/report';
import { throughput } from './throughput';

const ALL = [throughput, handlerCost, firstRequest, burst, fleetStorm, bundle, browser];

/**
 * `npm run bench` runs every benchmark; `npm run bench -- burst bundle` runs the named ones.
 * Results go to the untracked `bench/out/`; `--record` writes the tracked `bench/results/`.
 */
async function main(): Promise<boolean> {
  const args = parseBenchArgs(process.argv.slice(2));
  const chosen = chooseBenchmarks(args.names, ALL);
  const started = performance.now();
  const ok = await runBenchmarks(chosen, args.record ? OUTPUT_DIRS.recorded : OUTPUT_DIRS.scratch);
  console.log(
    `\nbench finished in ${((performance.now() - started) / 1000).toFixed(1)} s${ok ? '' : ' with FAILED invariants'}`,
  );
  return ok;
}

exitAfter(main());
