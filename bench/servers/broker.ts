import { type LocalStack, startLocalStack } from '../../local/runner';
import {
  type BrokerConfig,
  childConfig,
  type DynamoDbRequestsQuery,
  type DynamoDbRequestsReply,
  exitWith,
  type MintReply,
  type MintRequest,
  type ReadyMessage,
} from './protocol';

/**
 * The broker under test: `startLocalStack` (emulator + the real handler behind the local API
 * server) in its own process, because the handler's caches and configuration are per process.
 * coturn only with `relay: true` (the browser benchmark, which opens a relay from the /demo
 * page; it runs this file from source, see `startDemoBroker`). The handler logs at INFO as
 * deployed; the parent sends this process's stdout to /dev/null, so the cost of building each
 * log line stays in the figures.
 */
async function main(): Promise<void> {
  const config = childConfig<BrokerConfig>();
  const stack = await startLocalStack({
    port: 0,
    channels: [...config.channels],
    relay: config.relay === true,
    // With the master route, tokens name the channels they may master in `master_channels`.
    auth:
      config.auth === 'jwt'
        ? {
            mode: 'jwt',
            ...(config.signalingRoles?.includes('master') ? { masterChannelsClaim: 'master_channels' } : {}),
          }
        : { mode: 'none' },
    ...(config.signalingRoles ? { signalingRoles: [...config.signalingRoles] } : {}),
    ...(config.corsAllowOrigins ? { corsAllowOrigins: [...config.corsAllowOrigins] } : {}),
    sampleViewerUser: config.sampleViewerUser === true,
    fleet: {
      instances: config.instances,
      sharedTable: config.sharedTable,
      stdout: 'ignore',
      ...(config.instanceScript ? { script: { path: config.instanceScript, execArgv: [] } } : {}),
    },
    ...(config.sharedCache ? { env: { SHARED_CACHE: 'true' } } : {}),
  });
  if (config.relay && !stack.coturn) {
    await stack.close();
    throw new Error('relay: true, but coturn (turnserver) is not installed: apt-get install coturn');
  }
  exitWith(() => stack.close());
  process.on('message', (message: MintRequest | DynamoDbRequestsQuery) => {
    if (message.type === 'mint') mint(stack, message).then((reply) => process.send?.(reply));
    if (message.type === 'dynamodb') dynamodbRequests(stack, message).then((reply) => process.send?.(reply));
  });
  const ready: ReadyMessage = {
    type: 'ready',
    url: stack.api.url,
    emulatorUrl: stack.emulator.url,
    pid: process.pid,
    region: stack.emulator.region,
    channelArns: Object.fromEntries(stack.channelArns),
    ...(stack.emulator.sampleViewerCredentials
      ? { sampleViewerCredentials: stack.emulator.sampleViewerCredentials }
      : {}),
    ...(stack.coturn
      ? { relay: { port: stack.coturn.port, tlsPort: stack.coturn.tlsPort, caFile: stack.coturn.caFile } }
      : {}),
  };
  process.send?.(ready);
}

/** What the stack's local DynamoDB served since the last reset (nothing without a shared table). */
async function dynamodbRequests(
  stack: LocalStack,
  query: DynamoDbRequestsQuery,
): Promise<DynamoDbRequestsReply> {
  const requests = (await stack.dynamodb?.requests()) ?? {};
  if (query.reset) await stack.dynamodb?.resetRequests();
  return { type: 'dynamodb-requests', id: query.id, requests };
}

/** Tokens of the stack's local JWT issuer, one per subject, in order. */
async function mint(stack: LocalStack, request: MintRequest): Promise<MintReply> {
  const mintToken = stack.auth.mintToken;
  if (!mintToken)
    return { type: 'minted', id: request.id, error: 'the broker was not started with auth: jwt' };
  try {
    const masterChannels = request.masterChannels ? { masterChannels: [...request.masterChannels] } : {};
    const tokens = await Promise.all(request.subjects.map((sub) => mintToken({ sub, ...masterChannels })));
    return { type: 'minted', id: request.id, tokens };
  } catch (error) {
    return { type: 'minted', id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
}

main().catch((error: unknown) => {
  console.error(`bench broker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
