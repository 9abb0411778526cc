import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * What `npm test` prints: the default reporter's listing, then what was skipped for want of a
 * program and what to install; console output (`silent`) and what tests write straight to stdout
 * and stderr (the function's JSON logs: test/support/quiet-output.ts) only for failing tests; and
 * no AWS SDK Node.js version notice, by the SDK's own switch, in the workers and the processes
 * tests start (other warnings still print). test/support/output.test.ts runs fixtures with these.
 */
export const TEST_OUTPUT = {
  reporters: ['default', './test/support/skip-summary.ts'],
  silent: 'passed-only',
  setupFiles: ['./test/support/quiet-output.ts'],
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
} satisfies ViteUserConfig['test'];

/**
 * Files that leave no state behind in their process: they share one per worker (no isolation), so
 * aws-cdk-lib, the SDK and JIT-warm code load once per worker instead of once per file.
 */
const SHARED_PROCESS = [
  'test/lib/**/*.test.ts',
  'test/docs/**/*.test.ts',
  'test/bin/**/*.test.ts',
  'test/lambda/*.test.ts',
  'test/lambda/{aws,core,http}/**/*.test.ts',
  'test/contract/{document,lint}.test.ts',
  'bench/test/**/*.test.ts',
  'packages/client/test/{ice-server-client,peer-connection,signaling}.test.ts',
];

/**
 * Real SDK clients against the in-process wire emulator, sharing a process too, but not with the
 * SDK mocks of the files above (aws-sdk-client-mock patches the client classes process-wide): the
 * emulator's and the vendor's tests, and every file that runs the local stack, whose function is
 * built from that stack's own configuration (createHandler), so that any number share a process.
 */
const REAL_SDK = [
  'test/lambda/ice-vendor/**/*.test.ts',
  'test/lambda/storage/**/*.test.ts',
  'test/local/emulator/**/*.test.ts',
  'test/integration/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/client/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/contract/{gateway,gateway-routing,openapi,signaling-routes-answer-as-documented,storage-session-route-answers-as-documented}.test.ts',
  'test/local/gateway/{auth-*,cors*,signaling-routes}.test.ts',
  'test/local/relay/{coturn,relay-exit}.test.ts',
  'test/local/demo-pages.test.ts',
  'test/packages/cli.test.ts',
];

const SHARED_PROCESS_OPTIONS = {
  isolate: false,
  // A file's stubbed environment variables do not leak into the next file of the process.
  unstubEnvs: true,
  // The first CDK file in a worker loads aws-cdk-lib and cdk-nag (seconds of CPU): on a busy
  // machine that takes many times longer, and these limits only catch a hang.
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

/**
 * Files known to spend most of their time waiting on real relays and timers, and what a file
 * costs when the timing cache (node_modules/.vite) has no figure for it yet, as in a fresh clone.
 */
const LONG_WAITS = ['test/local/relay/', 'test/integration/upstream-stalls', 'test/browser/'];
const LONG_WAIT_GUESS_MS = 10_000;
const FILE_GUESS_MS = 500;

/**
 * Longest job first, so short files fill in around the long ones instead of a long one starting
 * last. A job is one isolated file, or all files of a shared-process project back to back: a
 * worker keeps its process only while the next file in the queue is of the same project, and
 * Vitest's own order would run one project after another. Every free worker takes from a
 * project's run of files, so that job lasts its total over the workers.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root.length + 1;
    const workers = Math.max(1, this.ctx.config.maxWorkers);
    const duration = (file: TestSpecification) => {
      const path = file.moduleId.slice(root);
      const cached = this.ctx.cache.getFileTestResults(`${file.project.name}:${path}`)?.duration;
      if (cached !== undefined) return cached;
      return LONG_WAITS.some((prefix) => path.startsWith(prefix)) ? LONG_WAIT_GUESS_MS : FILE_GUESS_MS;
    };
    const jobs = new Map<string, { files: TestSpecification[]; duration: number }>();
    for (const file of await super.sort(files)) {
      const shared = !file.project.config.isolate;
      const key = shared ? `project:${file.project.name}` : file.moduleId;
      const job = jobs.get(key) ?? { files: [], duration: 0 };
      job.files.push(file);
      job.duration += shared ? duration(file) / workers : duration(file);
      jobs.set(key, job);
    }
    return [...jobs.values()]
      .sort((a, b) => b.duration - a.duration)
      .flatMap((job) => job.files.sort((a, b) => duration(b) - duration(a)));
  }
}

export default defineConfig({
  // `@kvs-ice-broker/client` resolves to the workspace's source, as for tsc, tsx and esbuild (tsconfig.base.json).
  resolve: { tsconfigPaths: true },
  test: {
    ...TEST_OUTPUT,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two workers for two cores. A third was about 10% faster on a quiet machine (the relay and
    // stall files mostly wait) but adds CPU contention when the machine is busy.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    projects: [
      { extends: true, test: { name: 'shared', include: SHARED_PROCESS, ...SHARED_PROCESS_OPTIONS } },
      { extends: true, test: { name: 'real-sdk', include: REAL_SDK, ...SHARED_PROCESS_OPTIONS } },
      {
        extends: true,
        // Everything else: a file of its own process.
        test: {
          name: 'isolated',
          include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: [...SHARED_PROCESS, ...REAL_SDK],
        },
      },
    ],
  },
});
