import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type BrokerConfig,
  type ConstantConfig,
  isChildMessage,
  type MintReply,
  type ReadyMessage,
  type RelayInfo,
} from '../servers/protocol';
import { serverBundle } from './server-bundle';

const NODE_MODULES = join(__dirname, '..', '..', 'node_modules');
const SERVERS_DIR = join(__dirname, '..', 'servers');
/** A bundle's start; a child run from source also transpiles its modules under tsx, and gets twice this. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
/** Kept from a child's stderr, to explain a child that fails to start. */
const STDERR_TAIL_CHARS = 4096;

/** Every live child, so that nothing outlives the benchmark process. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface ServerChild {
  readonly url: string;
  readonly emulatorUrl: string | undefined;
  readonly pid: number;
  /** The broker's coturn (started with `relay: true` only). */
  readonly relay: RelayInfo | undefined;
  /** What the broker's emulator has: its Region, its channels, the sample viewer user's keys (if asked for). */
  readonly emulator: Pick<ReadyMessage, 'region' | 'channelArns' | 'sampleViewerCredentials'>;
  /**
   * Bearer tokens for these JWT subjects, in order (broker started with `auth: 'jwt'` only), each
   * allowed to master `masterChannels` when given.
   */
  mintTokens(subjects: readonly string[], masterChannels?: readonly string[]): Promise<string[]>;
  /** Requests the broker's local DynamoDB served since the last reset, by operation; `reset` starts again. */
  dynamodbRequests(reset: boolean): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** SIGTERM, then SIGKILL if the child has not exited after STOP_TIMEOUT_MS. */
function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  return exited.then(() => clearTimeout(timer));
}

function awaitReady(child: ChildProcess, exited: Promise<string>, timeoutMs: number): Promise<ReadyMessage> {
  let timer: NodeJS.Timeout | undefined;
  return new Promise<ReadyMessage>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
    exited.then((how) => reject(new Error(`exited (${how}) before it was ready`)));
    child.on('message', (message: unknown) => {
      if (isChildMessage(message) && message.type === 'ready') resolve(message);
    });
  }).finally(() => clearTimeout(timer));
}

/**
 * `bundle`: `bench/servers/<script>.ts` bundled (see `serverBundle`), run as plain JavaScript.
 * `source`: the TypeScript file itself under tsx's loader, for code that needs its files where
 * the source tree has them.
 */
type RunFrom = 'bundle' | 'source';

async function forkServer(
  script: 'broker' | 'constant',
  from: RunFrom,
  config: string,
): Promise<ChildProcess> {
  // stdout to /dev/null: the broker's handler writes one JSON log line per request there.
  const stdio = ['ignore', 'ignore', 'pipe', 'ipc'] as const;
  if (from === 'source') {
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    return fork(join(SERVERS_DIR, `${script}.ts`), [config], {
      execArgv: ['--import', tsx],
      stdio: [...stdio],
    });
  }
  return fork(await serverBundle(script), [config], {
    execArgv: [],
    // The bundle lives in a temporary directory; its external packages come from the project.
    env: { ...process.env, NODE_PATH: NODE_MODULES },
    stdio: [...stdio],
  });
}

async function startChild(
  script: 'broker' | 'constant',
  config: BrokerConfig | ConstantConfig,
  from: RunFrom = 'bundle',
): Promise<ServerChild> {
  const child = await forkServer(script, from, JSON.stringify(config));
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  const minting = new Map<number, (reply: MintReply) => void>();
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      for (const answer of minting.values()) answer({ type: 'minted', id: 0, error: `${script} exited` });
      resolve(String(signal ?? code));
    }),
  );
  const stop = () => stopChild(child, exited);
  let nextId = 1;

  const counting = new Map<number, (requests: Record<string, number>) => void>();
  child.on('message', (message: unknown) => {
    if (isChildMessage(message) && message.type === 'minted') minting.get(message.id)?.(message);
    if (isChildMessage(message) && message.type === 'dynamodb-requests') {
      counting.get(message.id)?.(message.requests);
      counting.delete(message.id);
    }
  });
  const timeoutMs = from === 'source' ? 2 * START_TIMEOUT_MS : START_TIMEOUT_MS;
  const ready = await awaitReady(child, exited, timeoutMs).catch(async (error: Error) => {
    await stop();
    throw new Error(`${script}: ${error.message}\n${stderr.trim()}`);
  });

  return {
    url: ready.url,
    emulatorUrl: ready.emulatorUrl,
    pid: ready.pid,
    relay: ready.relay,
    emulator: {
      region: ready.region,
      channelArns: ready.channelArns,
      sampleViewerCredentials: ready.sampleViewerCredentials,
    },
    stop,
    dynamodbRequests: (reset) =>
      new Promise((resolve) => {
        const id = nextId++;
        counting.set(id, resolve);
        child.send({ type: 'dynamodb', id, reset });
      }),
    mintTokens: (subjects, masterChannels) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        minting.set(id, (reply) => {
          minting.delete(id);
          if (reply.tokens) resolve([...reply.tokens]);
          else reject(new Error(reply.error ?? 'minting failed'));
        });
        child.send({ type: 'mint', id, subjects, ...(masterChannels ? { masterChannels } : {}) });
      }),
  };
}

/** The broker (`startLocalStack`) in a fresh process: fresh caches, its own emulator. */
export const startBroker = (config: BrokerConfig) => startChild('broker', config);

/**
 * The broker run from its TypeScript source under tsx, as `npm start` runs it, for benchmarks
 * that load the /demo page: local/demo/server.ts reads the page next to itself and bundles its
 * script with esbuild on first request, which a bundle in a temporary directory cannot. Its
 * memory and start include tsx; no benchmark measures them.
 */
export const startDemoBroker = (config: BrokerConfig) => startChild('broker', config, 'source');

/** The local API server with a constant handler in a fresh process, answering with `bodyBytes` of JSON. */
export const startConstantApi = (config: ConstantConfig) => startChild('constant', config);

/** Runs `use` against a server started by `start`, and stops the server whatever happens. */
export async function withServer<T>(
  start: Promise<ServerChild>,
  use: (server: ServerChild) => Promise<T>,
): Promise<T> {
  const server = await start;
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}
