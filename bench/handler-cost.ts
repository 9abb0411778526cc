import { fork } from 'node:child_process';
import { join } from 'node:path';
import { runIfMain } from './lib/main';
import { type Benchmark, compare } from './lib/report';
import { serverBundle } from './lib/server-bundle';
import { median, percentile, round } from './lib/stats';
import type { HandlerCostConfig, HandlerCostResult } from './servers/handler-cost';

const CONFIG: HandlerCostConfig = { rounds: 10, perRound: 2000, warmup: 2000 };
/** Lambda bills by the millisecond: a cache hit should cost less than one at the 99th percentile. */
const P99_TARGET_US = 1000;
/** Issue 19: a cache hit at most this many times the constant handler's median. */
const RATIO_TARGET = 1.7;
const CHILD_TIMEOUT_MS = 300_000;
const NODE_MODULES = join(__dirname, '..', 'node_modules');

/** Runs the bundled handler-cost child (its stdout, the handlers' log lines, discarded) and returns its samples. */
async function measure(config: HandlerCostConfig): Promise<HandlerCostResult> {
  const child = fork(await serverBundle('handler-cost'), [JSON.stringify(config)], {
    execArgv: [],
    env: { ...process.env, NODE_PATH: NODE_MODULES },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  try {
    return await new Promise<HandlerCostResult>((resolve, reject) => {
      child.on('message', (message: HandlerCostResult) => {
        if (message.type === 'handler-cost') resolve(message);
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`handler-cost child exited (${signal ?? code})`)),
      );
    });
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
}

/**
 * The benchmark with `config` invocations: {@link CONFIG} as `npm run bench` runs it, a few to
 * check that it runs at all (bench/test/start.test.ts).
 */
export function handlerCostBenchmark(config: HandlerCostConfig = CONFIG): Benchmark {
  return {
    name: 'handler-cost',
    title: `Handler cost on a cache hit, in process: ${config.rounds * config.perRound} invocations each of the handler and of a constant handler with the same logger`,
    async run(log) {
      const { broker, constant } = await measure(config);
      const figures = (samples: number[]) => ({
        medianUs: round(median(samples), 1),
        p99Us: round(percentile(samples, 99), 1),
        maxUs: round(Math.max(...samples), 1),
      });
      const [b, c] = [figures(broker), figures(constant)];
      log(`handler ${JSON.stringify(b)}; constant handler ${JSON.stringify(c)}`);
      const medianRatio = b.medianUs / c.medianUs;
      return {
        comparisons: [
          compare('median per invocation', b.medianUs, c.medianUs, 'µs', 'constant handler, same logger'),
          compare('p99 per invocation', b.p99Us, c.p99Us, 'µs', 'constant handler, same logger'),
        ],
        checks: [
          {
            kind: 'target',
            statement: `median at most ${RATIO_TARGET}x the constant handler's (${round(medianRatio, 2)}x)`,
            passed: medianRatio <= RATIO_TARGET,
          },
          {
            kind: 'target',
            statement: `p99 under ${P99_TARGET_US} µs, Lambda's billing unit (${b.p99Us} µs)`,
            passed: b.p99Us < P99_TARGET_US,
          },
        ],
        details: { ...config, handler: b, constant: c },
      };
    },
  };
}

export const handlerCost = handlerCostBenchmark();

runIfMain(module, handlerCost);
