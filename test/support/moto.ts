import { type ChildProcess, spawn } from 'node:child_process';

// moto (a widely used AWS mock, https://github.com/getmoto/moto) in server mode: its DynamoDB is
// another implementation than dynalite's, closer to AWS where it matters here (it returns the item
// of a failed condition). Tests that start it need `requirements(TOOLS.moto)`.

/** A running moto server on 127.0.0.1. */
export interface MotoServer {
  readonly url: string;
  close(): Promise<void>;
}

/** moto prints where it listens once it is ready (Werkzeug's "Running on http://…"). */
const READY = /Running on (http:\/\/127\.0\.0\.1:\d+)/;
/** Importing moto takes seconds, many on a busy machine: this only stops a start that hangs. */
const START_TIMEOUT_MS = 120_000;

/** Starts `python3 -m moto.server` on a free port of 127.0.0.1; resolves once it listens. */
export function startMoto(): Promise<MotoServer> {
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`moto did not start in ${START_TIMEOUT_MS} ms: ${output}`)),
      START_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = READY.exec(output)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      // Keep reading its log, so that a full pipe never blocks it.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve({ url, close: () => stop(child) });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`moto exited (${code}) before it listened: ${output}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
