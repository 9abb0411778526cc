import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ENV } from '../../lambda/settings';
import { LOCAL_BLOCKED_CALLERS_PARAMETER, publishBlockedCallers } from '../../local/blocked-callers';
import { startEmulator } from '../../local/emulator';
import { createLocalHandler } from '../../local/function';
import { lambdaContext } from '../../local/gateway/event';
import { emulatorAws } from '../../local/runner';
import { childConfig } from './protocol';

/** What the handler-cost child is told: how many invocations to time, in how many alternating rounds. */
export interface HandlerCostConfig {
  readonly rounds: number;
  readonly perRound: number;
  readonly warmup: number;
}

/** The child's one answer: microseconds per invocation of each handler, in the order timed. */
export interface HandlerCostResult {
  readonly type: 'handler-cost';
  readonly broker: number[];
  readonly constant: number[];
}

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** A request of an anonymous caller for `demo`, as API Gateway (and the local gateway) hands it over. */
function event(): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /v1/channels/{channel}/ice-servers',
    rawPath: '/v1/channels/demo/ice-servers',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: '127.0.0.1' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: {
        method: 'POST',
        path: '/v1/channels/demo/ice-servers',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: 'bench-request',
      routeKey: 'POST /v1/channels/{channel}/ice-servers',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    pathParameters: { channel: 'demo' },
    body: '{"role":"VIEWER"}',
    isBase64Encoded: false,
  };
}

/**
 * The baseline: a handler that answers a constant result, with the same logger doing the same
 * per-request work as the broker's (context, keys, one INFO line with the same fields).
 */
function constantHandler(result: APIGatewayProxyStructuredResultV2): Handler {
  const logger = new Logger({ serviceName: 'kvs-ice-broker' });
  return async (request, context) => {
    const started = Date.now();
    logger.addContext(context);
    logger.appendKeys({
      apiRequestId: request.requestContext.requestId,
      channel: request.pathParameters?.channel,
    });
    logger.info('vended ICE servers', {
      outcome: 'ok',
      status: 200,
      latencyMs: Date.now() - started,
      ttl: 299,
      turnServerSets: 2,
    });
    logger.resetKeys();
    return result;
  };
}

/** Microseconds each of `n` invocations took, one after the other. */
async function time(handler: Handler, n: number): Promise<number[]> {
  const request = event();
  const context = lambdaContext(10_000);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    await handler(request, context);
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return samples;
}

/**
 * The deployed function in this process (no HTTP), against the emulator, after one
 * request filled its cache: every timed invocation is a cache hit. Rounds alternate with the
 * constant handler, so that both see the same machine. Logs go to stdout, which the benchmark
 * discards, as the other servers' do.
 */
async function main(): Promise<void> {
  const config = childConfig<HandlerCostConfig>();
  const emulator = await startEmulator({
    channels: ['demo'],
    turn: { host: '127.0.0.1', port: 3478, tlsPort: 5349, secret: 'bench-secret' },
  });
  // Nobody blocked, as the local runner publishes it: the function reads the list as deployed.
  publishBlockedCallers(undefined, {
    setParameter: (name, value) => emulator.setParameter(name, value),
    warn: (message) => console.error(message),
  });
  const handler: Handler = createLocalHandler({
    environment: {
      [ENV.logLevel]: 'INFO',
      [ENV.metricsDisabled]: 'true',
      [ENV.authMode]: 'none',
      [ENV.scopedRoleArn]: emulator.scopedRoleArn,
      [ENV.channels]: JSON.stringify(Object.fromEntries(emulator.channelArns)),
      [ENV.blockedCallersParameter]: LOCAL_BLOCKED_CALLERS_PARAMETER,
    },
    aws: emulatorAws(emulator),
  });
  const first = await handler(event(), lambdaContext(10_000));
  if (first.statusCode !== 200) throw new Error(`the broker answered ${first.statusCode}: ${first.body}`);
  const constant = constantHandler(first);
  await time(handler, config.warmup);
  await time(constant, config.warmup);
  const result: HandlerCostResult = { type: 'handler-cost', broker: [], constant: [] };
  for (let round = 0; round < config.rounds; round++) {
    result.broker.push(...(await time(handler, config.perRound)));
    result.constant.push(...(await time(constant, config.perRound)));
  }
  await emulator.close();
  process.send?.(result, () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(`bench handler-cost: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
