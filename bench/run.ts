import { bundle } from './bundle';
import { burst } from './burst';
import { firstRequest } from './first-request';
import { chooseBenchmarks, exitAfter, runBenchmarks } from './lib/main';
import { throughput } from './throughput';

const ALL = [throughput, firstRequest, burst, bundle];

/** `npm run bench` runs every benchmark; `npm run bench -- burst bundle` runs the named ones. */
async function main(): Promise<boolean> {
  const chosen = chooseBenchmarks(process.argv.slice(2), ALL);
  const started = performance.now();
  const ok = await runBenchmarks(chosen);
  console.log(
    `\nbench finished in ${((performance.now() - started) / 1000).toFixed(1)} s${ok ? '' : ' with FAILED invariants'}`,
  );
  return ok;
}

exitAfter(main());
