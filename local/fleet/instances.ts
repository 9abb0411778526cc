import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiHandler } from '../../lambda/http/adapter';
import type { LocalFunctionInit } from '../function';
import type { InitMessage, InstanceReply, InvokeMessage } from './protocol';

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
  /** What each instance builds its function from: sent as its first message, read at its cold start. */
  readonly init: LocalFunctionInit;
  /** Variables of the instance processes over the runner's (a script's own settings; the function's are in `init`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Default {@link TYPESCRIPT_INSTANCE}; benchmarks give a bundled one. */
  readonly script?: InstanceScript;
  /** Where the instances' log lines go: the runner's stdout (default) or nowhere. */
  readonly stdout?: 'inherit' | 'ignore';
}

/** Function instances running as separate processes, like Lambda's instances of one function. */
export interface FunctionInstances {
  /**
   * Invokes the instances in turn (round robin), as the gateway's handler: only instances that
   * finished their cold start and have not exited; with none, waits for one as long as the
   * invocation has time left, then answers as API Gateway answers a failed invocation (500).
   */
  readonly handler: ApiHandler;
  /**
   * The current instance processes' ids, in round-robin order: a replacement's from its launch,
   * while it cold-starts. Read it again after a change: it is computed on each read.
   */
  readonly pids: readonly number[];
  /** Stops every instance, a replacement being started too, and stops replacing them; never rejects. */
  close(): Promise<void>;
}

/** An instance's cold start: loading the SDK and the handler (under tsx, transpiling it too). */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
/** How long an invocation may wait for an instance when its context does not say (Lambda's timeout here). */
const DEFAULT_INVOCATION_MS = 10_000;
/**
 * Milliseconds to wait before the next replacement after one failed its cold start: the first
 * delay doubles with each failure in a row, up to the cap. An instance that dies after its cold
 * start is replaced at once, as Lambda replaces a failed execution environment.
 */
const RESTART_BACKOFF_MS = { first: 250, cap: 5_000 };

/** What a crashed or vanished instance answers: the deployed API's answer to a failed invocation. */
const FAILED_INVOCATION: APIGatewayProxyStructuredResultV2 = {
  statusCode: 500,
  headers: { 'content-type': 'application/json' },
  body: '{"message":"Internal Server Error"}',
};

const log = (line: string) => console.error(`kvs-ice-broker: ${line}`);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** One running instance: its process and the invocations it has not answered yet. */
class Instance {
  private readonly pending = new Map<number, (result: APIGatewayProxyStructuredResultV2) => void>();
  private nextId = 1;
  /** Resolves once the process has ended, with how (`exit code 1`, `signal SIGKILL`). */
  readonly exited: Promise<string>;

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      const end = (how: string) => {
        for (const answer of this.pending.values()) answer(FAILED_INVOCATION);
        this.pending.clear();
        resolve(how);
      };
      child.once('exit', (code, signal) => end(signal ? `signal ${signal}` : `exit code ${code}`));
      // A process that could not be spawned may emit no 'exit'. (Sends carry their own callback.)
      child.on('error', (error) => {
        if (child.pid === undefined) end(`not started: ${error.message}`);
      });
    });
    child.on('message', (reply: InstanceReply) => {
      if (reply.type === 'result') this.answer(reply.id, reply.result ?? FAILED_INVOCATION);
    });
  }

  /** The process id, or 0 for a process that could not be spawned. */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Whether an invocation can reach it: its channel is open and it has not exited. */
  get reachable(): boolean {
    return this.child.connected && this.child.exitCode === null && this.child.signalCode === null;
  }

  private answer(id: number, result: APIGatewayProxyStructuredResultV2): void {
    const answer = this.pending.get(id);
    this.pending.delete(id);
    answer?.(result);
  }

  invoke(event: unknown, requestId: string, remainingMs: number): Promise<APIGatewayProxyStructuredResultV2> {
    if (!this.reachable) return Promise.resolve(FAILED_INVOCATION);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      const message: InvokeMessage = { type: 'invoke', id, event, requestId, remainingMs };
      this.child.send(message, (error) => {
        if (error) this.answer(id, FAILED_INVOCATION);
      });
    });
  }

  /** Resolves once the instance's cold start is done; rejects with its init error. */
  ready(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      this.exited.then((how) => reject(new Error(`exited during its cold start (${how})`)));
      this.child.on('message', (reply: InstanceReply) => {
        if (reply.type === 'ready') resolve();
        if (reply.type === 'failed') reject(new Error(reply.message));
      });
    }).finally(() => clearTimeout(timer));
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has ended. */
  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    return this.exited.then(() => clearTimeout(timer));
  }
}

/** One place in the round robin, and the process holding it: replaced when it dies. */
interface Slot {
  /** 1-based, as the log names it. */
  readonly number: number;
  instance: Instance;
  /** Whether `instance` finished its cold start (it takes invocations while reachable). */
  ready: boolean;
}

/** The instances behind the handler, each replaced when its process dies, until {@link close}. */
class Fleet {
  private readonly slots: Slot[];
  private readonly closing = new AbortController();
  private readonly supervisors: Promise<void>[] = [];
  /** Invocations waiting for an instance to finish its cold start (none was ready). */
  private readonly waiting = new Set<() => void>();
  private next = 0;

  constructor(
    count: number,
    private readonly launch: () => Instance,
  ) {
    this.slots = Array.from({ length: count }, (_, index) => ({
      number: index + 1,
      instance: launch(),
      ready: false,
    }));
  }

  /** Resolves once every instance finished its cold start, then replaces those that die; rejects with the first init error. */
  async start(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        await slot.instance.ready();
        slot.ready = true;
      }),
    );
    // An instance that died since its cold start is replaced at once: `exited` has settled.
    for (const slot of this.slots) this.supervisors.push(this.supervise(slot));
  }

  get pids(): number[] {
    return this.slots.map((slot) => slot.instance.pid);
  }

  readonly handler: ApiHandler = async (event, context) => {
    const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? DEFAULT_INVOCATION_MS);
    let instance = this.pick();
    while (instance === undefined) {
      if (!(await this.anInstanceReady(deadline - Date.now())) || this.closing.signal.aborted) {
        return FAILED_INVOCATION;
      }
      instance = this.pick();
    }
    return instance.invoke(event, context?.awsRequestId ?? randomUUID(), Math.max(0, deadline - Date.now()));
  };

  close(): Promise<void> {
    this.closing.abort();
    for (const wake of this.waiting) wake();
    const stops = this.slots.map((slot) => slot.instance.stop());
    return Promise.allSettled([...stops, ...this.supervisors]).then(() => undefined);
  }

  /** The next ready, reachable instance in the round robin, if there is one. */
  private pick(): Instance | undefined {
    for (let tried = 0; tried < this.slots.length; tried++) {
      const slot = this.slots[this.next++ % this.slots.length];
      if (slot?.ready && slot.instance.reachable) return slot.instance;
    }
    return undefined;
  }

  /** Resolves true when a replacement finished its cold start, false after `ms` ms or at close. */
  private anInstanceReady(ms: number): Promise<boolean> {
    if (ms <= 0 || this.closing.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve(!this.closing.signal.aborted);
      };
      const timer = setTimeout(() => {
        this.waiting.delete(wake);
        resolve(false);
      }, ms);
      this.waiting.add(wake);
    });
  }

  /**
   * Each time the slot's process dies, starts another in its place (and logs it), until one
   * finishes its cold start; after a failed cold start, waits {@link RESTART_BACKOFF_MS} first.
   * Ends when the fleet closes; never rejects.
   */
  private async supervise(slot: Slot): Promise<void> {
    let failures = 0;
    for (;;) {
      let died = `died (${await slot.instance.exited}); `;
      slot.ready = false;
      if (this.closing.signal.aborted) return;
      for (;;) {
        const failure = await this.replace(slot, died);
        if (failure === undefined) break;
        if (this.closing.signal.aborted) return;
        failures++;
        died = '';
        const delayMs = Math.min(RESTART_BACKOFF_MS.cap, RESTART_BACKOFF_MS.first * 2 ** (failures - 1));
        log(
          `function instance ${slot.number} (pid ${slot.instance.pid}) failed its cold start (${failure}); next replacement in ${delayMs} ms`,
        );
        if (!(await sleep(delayMs, true, { signal: this.closing.signal }).catch(() => false))) return;
      }
      failures = 0;
      slot.ready = true;
      for (const wake of this.waiting) wake();
    }
  }

  /**
   * Starts a process in the slot, logs it (with `died`, how its predecessor ended, if it was
   * serving) and waits for its cold start: undefined when done, else why it failed (it is stopped).
   */
  private async replace(slot: Slot, died: string): Promise<string | undefined> {
    const predecessor = `function instance ${slot.number} (pid ${slot.instance.pid})`;
    try {
      slot.instance = this.launch();
      log(`${predecessor} ${died}replaced by pid ${slot.instance.pid}`);
      await slot.instance.ready();
      return undefined;
    } catch (error) {
      await slot.instance.stop();
      return messageOf(error);
    }
  }
}

/**
 * Starts `count` instances of the deployed function, each in its own process built from `init`
 * (so each has its own caches and per-instance budget, and reads its configuration once, as in
 * Lambda), and resolves once all finished their cold start. Rejects
 * with the first instance's init error (the others are stopped). Afterwards, an instance whose
 * process dies (crash, exit, signal) is replaced by a new one with its own cold start, and the
 * runner logs it (stderr); the invocations it held answer 500.
 */
export async function startFunctionInstances(options: FunctionInstancesOptions): Promise<FunctionInstances> {
  const script = options.script ?? TYPESCRIPT_INSTANCE;
  const init: InitMessage = { type: 'init', ...options.init };
  const fleet = new Fleet(options.count, () => {
    const child = fork(script.path, [], {
      execArgv: [...script.execArgv],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
    });
    // A process that cannot take it ends, or never started: its cold start fails either way.
    child.send(init, () => undefined);
    return new Instance(child);
  });
  try {
    await fleet.start();
  } catch (error) {
    await fleet.close();
    throw new Error(`a function instance failed its cold start: ${messageOf(error)}`);
  }
  return {
    handler: fleet.handler,
    get pids() {
      return fleet.pids;
    },
    close: () => fleet.close(),
  };
}
