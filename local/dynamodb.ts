import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Worker } from 'node:worker_threads';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { SHARED_TABLE } from '../lambda/contract';
import { ENV } from '../lambda/settings';
import { addressedToThisMachine, closeServer, listen } from './http-server';

/** The table name the local runner gives the shared table (a deployment's is CloudFormation's). */
export const LOCAL_SHARED_TABLE = 'kvs-ice-broker-shared';

/** `SHARED_TABLE_TIMEOUT_MS` for functions using the local store. */
const LOCAL_TABLE_TIMEOUT_MS = 3000;

/** DynamoDB on loopback (dynalite in memory, or another store behind a counting proxy) with the shared table, as the function instances reach it. */
export interface LocalDynamoDb {
  /** `http://127.0.0.1:PORT`: the DynamoDB endpoint of the functions' clients. */
  readonly url: string;
  readonly tableName: string;
  /** DynamoDB requests served since start (or the last reset), by operation (`UpdateItem`, `GetItem` …). */
  requests(): Promise<Record<string, number>>;
  resetRequests(): Promise<void>;
  /** The variables a function using this store needs besides its table's name (a longer table timeout). */
  functionEnvironment(): Record<string, string>;
  /** Stops the store and drops its connections: the functions see DynamoDB down. Never rejects. */
  close(): Promise<void>;
}

/**
 * dynalite in a worker thread of its own: its event loop does not queue behind the emulator's and
 * the local API's (SigV4 checks and all), as DynamoDB does not queue behind the function in AWS.
 * Plain JavaScript, so that it runs the same under tsx and in bundled benchmark servers; it finds
 * dynalite from the working directory, or `NODE_PATH`.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require('dynalite');
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
// dynalite answers every origin (Access-Control-Allow-Origin: *): a web page that found the port
// could read the shared cache's TURN credentials. Only this machine's tools get through: a Host of
// a loopback name, and no Origin (the SDK sends none; a browser always does).
let counts = {};
const [serve] = server.listeners('request');
server.removeAllListeners('request');
const LOOPBACK_HOST = /^(localhost|127(\\.\\d{1,3}){3}|\\[::1\\])(:\\d+)?$/;
server.on('request', (req, res) => {
  if (req.headers.origin !== undefined || !LOOPBACK_HOST.test(String(req.headers.host || ''))) {
    res.writeHead(403, { 'content-type': 'application/json' });
    return res.end('{"message":"the local DynamoDB answers tools on this machine only"}');
  }
  const target = String(req.headers['x-amz-target'] || '');
  const operation = target.slice(target.indexOf('.') + 1) || 'unknown';
  counts[operation] = (counts[operation] || 0) + 1;
  return serve.call(server, req, res);
});
server.on('error', (error) => parentPort.postMessage({ type: 'error', message: error.message }));
parentPort.on('message', (message) => {
  if (message === 'counts') parentPort.postMessage({ type: 'counts', counts });
  if (message === 'reset') {
    counts = {};
    parentPort.postMessage({ type: 'reset' });
  }
  if (message === 'close') {
    server.close(() => parentPort.postMessage({ type: 'closed' }));
    server.closeAllConnections();
  }
});
server.listen(workerData.port, '127.0.0.1', () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
`;

type WorkerMessage =
  | { type: 'listening'; port: number }
  | { type: 'error'; message: string }
  | { type: 'counts'; counts: Record<string, number> }
  | { type: 'reset' }
  | { type: 'closed' };

/** The worker's next message of `type` (or its error). */
function next<T extends WorkerMessage['type']>(
  worker: Worker,
  type: T,
): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'error') reject(new Error(`local DynamoDB: ${message.message}`));
      else if (message.type === type) resolve(message as Extract<WorkerMessage, { type: T }>);
      else return;
      worker.off('message', onMessage).off('error', reject);
    };
    worker.on('message', onMessage).once('error', reject);
  });
}

/**
 * Starts dynalite (DynamoDB's API on LevelDB, in memory) on 127.0.0.1 in a worker thread and
 * creates the shared table with the key the stack gives it (lambda/contract.ts `SHARED_TABLE`).
 * dynalite does not expire items (no TTL) and does not return the item of a failed condition
 * (the function then reads it): neither changes what the broker does, only how many requests it
 * makes. Rejects when the port is taken or the table cannot be created.
 */
export async function startLocalDynamoDb(port = 0): Promise<LocalDynamoDb> {
  const worker = new Worker(WORKER, { eval: true, workerData: { port } });
  worker.unref();
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= next(worker, 'closed')
      .catch(() => undefined)
      .then(() => worker.terminate())
      .then(
        () => undefined,
        () => undefined,
      );
    worker.postMessage('close');
    return closing;
  };
  try {
    const { port: bound } = await next(worker, 'listening');
    const url = `http://127.0.0.1:${bound}`;
    await createSharedTable(url);
    return {
      url,
      tableName: LOCAL_SHARED_TABLE,
      requests: async () => {
        const reply = next(worker, 'counts');
        worker.postMessage('counts');
        return (await reply).counts;
      },
      resetRequests: async () => {
        const reply = next(worker, 'reset');
        worker.postMessage('reset');
        await reply;
      },
      functionEnvironment: () => localTableEnvironment(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What points a function at a local store's shared table. */
function localTableEnvironment(): Record<string, string> {
  return {
    // A local store shares this machine's cores with the emulator, the API and every instance:
    // under load it answers in hundreds of milliseconds where DynamoDB answers in a few, so the
    // deployed 250 ms would send a busy local fleet to its per-instance budgets.
    [ENV.sharedTableTimeoutMs]: String(LOCAL_TABLE_TIMEOUT_MS),
  };
}

/**
 * Another DynamoDB on this machine (moto's server, DynamoDB Local, LocalStack: a store that speaks
 * DynamoDB's API and accepts any signature), used instead of dynalite: the shared table is created
 * in it unless it exists, and the functions reach it through a loopback proxy that counts requests
 * by operation (`requests()`) and, as the dynalite wrapper does, refuses web pages. Such a store can
 * do what dynalite does not: moto returns the item of a failed condition
 * (`ReturnValuesOnConditionCheckFailure`), so the shared budget's AWS path runs locally. `close`
 * stops the proxy; the store is its owner's. Rejects when the store cannot be reached.
 */
export async function connectDynamoDb(endpoint: string): Promise<LocalDynamoDb> {
  const target = new URL(endpoint);
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new Error(`DynamoDB endpoint ${endpoint} is not an http:// or https:// URL`);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  let counts: Record<string, number> = {};
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.origin !== undefined || !addressedToThisMachine(req)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      return res.end('{"message":"the local DynamoDB answers tools on this machine only"}');
    }
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] || 'unknown';
    counts[operation] = (counts[operation] ?? 0) + 1;
    const upstream = send(target, { method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"message":"the DynamoDB endpoint did not answer"}');
    });
    req.pipe(upstream);
  };
  const proxy = createServer(forward);
  const url = `http://127.0.0.1:${await listen(proxy, 0)}`;
  try {
    await createSharedTable(url);
  } catch (error) {
    await closeServer(proxy);
    throw new Error(
      `DynamoDB endpoint ${endpoint}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  counts = {};
  return {
    url,
    tableName: LOCAL_SHARED_TABLE,
    requests: async () => ({ ...counts }),
    resetRequests: async () => {
      counts = {};
    },
    functionEnvironment: () => localTableEnvironment(),
    close: () => closeServer(proxy).catch(() => undefined),
  };
}

/** Creates the shared table as the stack declares it (key schema; on demand), unless it exists. */
async function createSharedTable(url: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: url,
    region: 'us-west-2',
    // dynalite checks that requests are signed, not by whom.
    credentials: { accessKeyId: 'LOCAL', secretAccessKey: 'local-dynalite' },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: LOCAL_SHARED_TABLE,
        KeySchema: [{ AttributeName: SHARED_TABLE.partitionKey, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: SHARED_TABLE.partitionKey, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    // A store that outlives the runner (DynamoDB Local, LocalStack) keeps the table of a last run.
    if (!(error instanceof ResourceInUseException)) throw error;
  } finally {
    client.destroy();
  }
}
