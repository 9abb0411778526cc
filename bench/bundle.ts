import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
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

/** A valid cold-start environment; two channels, so init opens no connection (no pre-warm). */
const FUNCTION_ENV = {
  AWS_REGION: 'us-west-2',
  AWS_ACCESS_KEY_ID: 'AKIABENCHMARKFAKEKEY',
  AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-benchmark-only',
  SCOPED_ROLE_ARN: 'arn:aws:iam::123456789012:role/kvs-ice-broker-scoped',
  CHANNELS: JSON.stringify({
    demo: 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000',
    lobby: 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/lobby/1700000000001',
  }),
  AUTH_MODE: 'iam',
  POWERTOOLS_SERVICE_NAME: 'kvs-ice-broker',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

const kb = (bytes: number) => round(bytes / 1024);
const outputOf = (built: Bundle) => relative(process.cwd(), built.file);

/** Require times of both bundles in fresh processes, alternating so drift hits both alike. */
async function initTimes(
  handler: string,
  baseline: string,
): Promise<{ handler: number[]; baseline: number[] }> {
  const times = { handler: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < SAMPLES; i++) {
    times.handler.push(await requireTime(handler, FUNCTION_ENV));
    times.baseline.push(await requireTime(baseline, FUNCTION_ENV));
  }
  return times;
}

export const bundle: Benchmark = {
  name: 'bundle',
  title: `Bundle size and module init time (esbuild as the CDK bundles, ${LAMBDA_BUILD_OPTIONS.target})`,
  async run(log) {
    const handler = await build(join(ROOT, 'lambda', 'handler.ts'), 'handler');
    const baseline = await build(join(ROOT, 'bench', 'fixtures', 'bare-sdk-clients.ts'), 'bare-sdk-clients');
    const sizes = { handler: statSync(handler.file).size, baseline: statSync(baseline.file).size };
    const mapBytes = statSync(`${handler.file}.map`).size;
    const packages = bytesPerPackage(handler.metafile, outputOf(handler));
    log(`handler.js ${kb(sizes.handler)} KB (+ ${kb(mapBytes)} KB source map); largest contributors:`);
    for (const { name, bytes } of packages.slice(0, SHOWN_PACKAGES))
      log(`  ${kb(bytes).toFixed(1).padStart(7)} KB  ${name}`);
    const times = await initTimes(handler.file, baseline.file);
    const init = { handler: round(median(times.handler)), baseline: round(median(times.baseline)) };
    log(`require() median of ${SAMPLES}: handler ${init.handler} ms, bare SDK clients ${init.baseline} ms`);
    return {
      comparisons: [
        compare('bundle size (minified)', kb(sizes.handler), kb(sizes.baseline), 'KB', BASELINE),
        compare('module init, require() median', init.handler, init.baseline, 'ms', BASELINE),
      ],
      checks: [],
      details: {
        esbuild: LAMBDA_BUILD_OPTIONS,
        sizeBytes: sizes,
        sourceMapBytes: mapBytes,
        bytesPerPackage: packages,
        initMs: { samples: SAMPLES, handler: times.handler.map(round), baseline: times.baseline.map(round) },
      },
    };
  },
};

runIfMain(module, bundle);
