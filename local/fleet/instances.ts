import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiHandler } from '../../lambda/http/adapter';
import { applyEnvironment } from '../env';
import type { InstanceReply, InvokeMessage } from './protocol';

/** The script each instance process runs, and the Node options it needs. */
export interface InstanceScript {
  readonly path: string;
  readonly execArgv: readonly string[];
}

/** The TypeScript instance script, run through tsx (as `npm start` runs the runner). */
export const TYPESCRIPT_INSTANCE: InstanceScript = {
  path: join(__dirname, 'instance.ts'),
  execArgv: ['--import', 'tsx'],
};

/** How `npm start` runs the function: how many instances, and what they share. */
export interface LocalFleet {
  /**
   * Function instances (`npm start -- --instances N`): 1 (the default) runs the handler in the
   * runner's process; more run it in as many processes behind the local API (round robin),
   * sharing the emulator and a local DynamoDB (dynalite) with the shared table, as deployed
   * instances share theirs.
   */
  readonly instances?: number;
  /**
   * Give the function the shared table (call budget, per-caller limit, `sharedCache`).
   * @default - with more than one instance
   */
  readonly sharedTable?: boolean;
  /** The instances' script; default {@link TYPESCRIPT_INSTANCE} (benchmarks give a bundled one). */
  readonly script?: InstanceScript;
  /** Where the instances' log lines go; default the runner's stdout. */
  readonly stdout?: 'inherit' | 'ignore';
}

export interface FunctionInstancesOptions {
  /** How many instances (processes); at least 2 (one instance runs in the runner's own process). */
  readonly count: number;
  /** The function's environment, over the runner's (an `undefined` value removes the variable). */
  readonly env: Record<string, string | undefined>;
  /** Default {@link TYPESCRIPT_INSTANCE}; benchmarks give a bundled one. */
  readonly script?: InstanceScript;
  /** Where the instances' log lines go: the runner's stdout (default) or nowhere. */
  readonly stdout?: 'inherit' | 'ignore';
}

/** Function instances running as separate processes, like Lambda's instances of one function. */
export interface FunctionInstances {
  /** Invokes the instances in turn (round robin), as the gateway's handler. */
  readonly handler: ApiHandler;
  /** The instances' process ids, in round-robin order. */
  readonly pids: readonly number[];
  /** Stops every instance; never rejects. */
  close(): Promise<void>;
}

/** An instance's cold start: loading the SDK and the handler (under tsx, transpiling it too). */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

/** What a crashed or vanished instance answers: the deployed API's answer to a failed invocation. */
const FAILED_INVOCATION: APIGatewayProxyStructuredResultV2 = {
  statusCode: 500,
  headers: { 'content-type': 'application/json' },
  body: '{"message":"Internal Server Error"}',
};

/** One running instance: its process and the invocations it has not answered yet. */
class Instance {
  private readonly pending = new Map<number, (result: APIGatewayProxyStructuredResultV2) => void>();
  private nextId = 1;
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        for (const answer of this.pending.values()) answer(FAILED_INVOCATION);
        this.pending.clear();
        resolve();
      }),
    );
    child.on('message', (reply: InstanceReply) => {
      if (reply.type !== 'result') return;
      const answer = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      answer?.(reply.result ?? FAILED_INVOCATION);
    });
  }

  invoke(event: unknown, requestId: string, remainingMs: number): Promise<APIGatewayProxyStructuredResultV2> {
    if (!this.child.connected) return Promise.resolve(FAILED_INVOCATION);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      const message: InvokeMessage = { type: 'invoke', id, event, requestId, remainingMs };
      this.child.send(message);
    });
  }

  /** Resolves once the instance's cold start is done; rejects with its init error. */
  ready(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      this.exited.then(() => reject(new Error('exited during its cold start')));
      this.child.on('message', (reply: InstanceReply) => {
        if (reply.type === 'ready') resolve();
        if (reply.type === 'failed') reject(new Error(reply.message));
      });
    }).finally(() => clearTimeout(timer));
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    return this.exited.finally(() => clearTimeout(timer));
  }
}

/**
 * Starts `count` instances of the deployed handler module, each in its own process with the
 * function's environment (so each has its own caches and per-instance budget, and reads its
 * configuration once, as in Lambda), and resolves once all finished their cold start. Rejects
 * with the first instance's init error (the others are stopped).
 */
export async function startFunctionInstances(options: FunctionInstancesOptions): Promise<FunctionInstances> {
  const script = options.script ?? TYPESCRIPT_INSTANCE;
  const env = applyEnvironment({ ...process.env }, options.env);
  const instances = Array.from(
    { length: options.count },
    () =>
      new Instance(
        fork(script.path, [], {
          execArgv: [...script.execArgv],
          env,
          stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
        }),
      ),
  );
  const close = () => Promise.all(instances.map((instance) => instance.stop())).then(() => undefined);
  try {
    await Promise.all(instances.map((instance) => instance.ready()));
  } catch (error) {
    await close();
    throw new Error(`a function instance failed its cold start: ${(error as Error).message}`);
  }
  let next = 0;
  return {
    pids: instances.map((instance) => instance.child.pid ?? 0),
    handler: (event, context) => {
      const instance = instances[next++ % instances.length] as Instance;
      return instance.invoke(
        event,
        context?.awsRequestId ?? randomUUID(),
        context?.getRemainingTimeInMillis() ?? 10_000,
      );
    },
    close,
  };
}
