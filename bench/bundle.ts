import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { METRICS } from '../lambda/contract';
import { functionEnvironment } from '../lib/function-environment';
import { startEmulator } from '../local/emulator';
import { emulatorAws, emulatorResources } from '../local/runner';
import { type Bundle, bundle as build, LAMBDA_BUILD_OPTIONS } from './lib/build';
import { runIfMain } from './lib/main';
import { bytesPerPackage } from './lib/packages';
import { type Benchmark, compare } from './lib/report';
import { requireTime } from './lib/require-time';
import { median, round } from './lib/stats';

const ROOT = join(__dirname, '..');
const SAMPLES = 9;
const SHOWN_PACKAGES = 12;
const BASELINE = 'bundle of the 4 bare SDK clients';
/** Issue 19: module init at most this many times the bare SDK clients'. */
const INIT_RATIO_TARGET = 1.15;

/**
 * Runs `use` with the environment the function gets in a deployment (lib/function-environment.ts,
 * with the emulator's resources in place of the stack's: channels, scoped role, blocked-callers
 * parameter), and the variables Lambda's runtime gives every function (Region, credentials; here
 * also the SDK's endpoint variables, pointing at an emulator that runs meanwhile). The handler's
 * init starts its pre-warm and its blocked-callers read then; they reach the emulator, not AWS,
 * and are not waited for: the figure is the synchronous require().
 */
async function withFunctionEnvironment<T>(use: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const emulator = await startEmulator({
    channels: ['demo', 'lobby'],
    turn: { host: '127.0.0.1', port: 3478, tlsPort: 5349, secret: 'bench-secret' },
  });
  try {
    const aws = emulatorAws(emulator);
    return await use({
      ...functionEnvironment({ auth: { mode: 'iam' } }, emulatorResources(emulator)),
      AWS_REGION: aws.region ?? emulator.region,
      AWS_ACCESS_KEY_ID: emulator.executionCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.executionCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_STS: emulator.url,
      AWS_ENDPOINT_URL_KINESIS_VIDEO: emulator.url,
      AWS_ENDPOINT_URL_SSM: emulator.url,
      POWERTOOLS_SERVICE_NAME: METRICS.service,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  } finally {
    await emulator.close();
  }
}

const kb = (bytes: number) => round(bytes / 1024);
const outputOf = (built: Bundle) => relative(process.cwd(), built.file);

/** Require times of both bundles in fresh processes, alternating so drift hits both alike. */
async function initTimes(
  handler: string,
  baseline: string,
  samples: number,
): Promise<{ handler: number[]; baseline: number[] }> {
  return withFunctionEnvironment(async (env) => {
    const times = { handler: [] as number[], baseline: [] as number[] };
    for (let i = 0; i < samples; i++) {
      times.handler.push(await requireTime(handler, env));
      times.baseline.push(await requireTime(baseline, env));
    }
    return times;
  });
}

/**
 * The benchmark with `samples` require() timings of each bundle: {@link SAMPLES} as `npm run bench`
 * runs it, one to check that it runs at all (bench/test/start.test.ts).
 */
export function bundleBenchmark(samples = SAMPLES): Benchmark {
  return {
    name: 'bundle',
    title: `Bundle size and module init time (esbuild as the CDK bundles, ${LAMBDA_BUILD_OPTIONS.target})`,
    async run(log) {
      const handler = await build(join(ROOT, 'lambda', 'handler.ts'), 'handler');
      const baseline = await build(
        join(ROOT, 'bench', 'fixtures', 'bare-sdk-clients.ts'),
        'bare-sdk-clients',
      );
      const sizes = { handler: statSync(handler.file).size, baseline: statSync(baseline.file).size };
      const mapBytes = statSync(`${handler.file}.map`).size;
      const packages = bytesPerPackage(handler.metafile, outputOf(handler));
      log(`handler.js ${kb(sizes.handler)} KB (+ ${kb(mapBytes)} KB source map); largest contributors:`);
      for (const { name, bytes } of packages.slice(0, SHOWN_PACKAGES))
        log(`  ${kb(bytes).toFixed(1).padStart(7)} KB  ${name}`);
      const times = await initTimes(handler.file, baseline.file, samples);
      const init = { handler: round(median(times.handler)), baseline: round(median(times.baseline)) };
      log(
        `require() median of ${samples} on Node.js ${process.versions.node}: handler ${init.handler} ms, bare SDK clients ${init.baseline} ms`,
      );
      const initRatio = init.handler / init.baseline;
      return {
        comparisons: [
          compare('bundle size (minified)', kb(sizes.handler), kb(sizes.baseline), 'KB', BASELINE),
          compare('module init, require() median', init.handler, init.baseline, 'ms', BASELINE),
        ],
        checks: [
          {
            kind: 'target',
            statement: `module init at most ${INIT_RATIO_TARGET}x the bare SDK clients' (${round(initRatio, 2)}x)`,
            passed: initRatio <= INIT_RATIO_TARGET,
          },
        ],
        details: {
          node: process.versions.node,
          esbuild: LAMBDA_BUILD_OPTIONS,
          sizeBytes: sizes,
          sourceMapBytes: mapBytes,
          bytesPerPackage: packages,
          initMs: { samples, handler: times.handler.map(round), baseline: times.baseline.map(round) },
        },
      };
    },
  };
}

export const bundle = bundleBenchmark();

runIfMain(module, bundle);
