import { bundle } from './bundle';
import { burst } from './burst';
import { firstRequest } from './first-request';
import { exitAfter, runBenchmarks } from './lib/main';
import { throughput } from './throughput';

const ALL = [throughput, firstRequest, burst, bundle];

/** `npm run bench` runs every benchmark; `npm run bench -- burst bundle` runs the named ones. */
async function main(): Promise<boolean> {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !ALL.some((benchmark) => benchmark.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark ${unknown.join(', ')}; choose from ${ALL.map((b) => b.name).join(', ')}`,
    );
  }
  const chosen = names.length === 0 ? ALL : ALL.filter((benchmark) => names.includes(benchmark.name));
  const started = performance.now();
  const ok = await runBenchmarks(chosen);
  console.log(
    `\nbench finished in ${((performance.now() - started) / 1000).toFixed(1)} s${ok ? '' : ' with FAILED invariants'}`,
  );
  return ok;
}

exitAfter(main());
