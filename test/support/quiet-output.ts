import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

/**
 * Setup file of every test file: what a test writes straight to stdout or stderr (the function's
 * JSON log lines and EMF metrics, which Powertools writes through a console of its own, not the
 * one Vitest intercepts) is kept back while the test runs, dropped when it passes and written
 * out, under the test's name, when it fails; what the file's hooks write (a stack started in
 * `beforeAll`), when any of it fails. The counterpart of `silent: 'passed-only'` for the
 * console. Node.js's own warnings (`(node:<pid>) …Warning: …`) always go through, as do writes
 * of tests that run concurrently (their output cannot be told apart).
 */

type Write = typeof process.stdout.write;

interface Held {
  readonly stream: NodeJS.WriteStream;
  readonly chunk: string | Uint8Array;
}

interface State {
  /** The current test's output, or undefined when writes go straight to the streams. */
  held: Held[] | undefined;
  /** The streams' own `write`. */
  readonly writes: ReadonlyMap<NodeJS.WriteStream, Write>;
}

const KEY = Symbol.for('kvs-ice-broker.test.quiet-output');

/** How Node.js starts the line of a warning it prints (`process.emitWarning`). */
const NODE_WARNING = `(${process.release.name}:${process.pid}) `;
const isNodeWarning = (chunk: string | Uint8Array) =>
  (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')).startsWith(NODE_WARNING);

/** Replaces `write` of stdout and stderr once per process (a setup file runs again for every test file). */
function install(): State {
  const writes = new Map<NodeJS.WriteStream, Write>();
  const state: State = { held: undefined, writes };
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as Write;
    writes.set(stream, write);
    const holding = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      if (state.held === undefined || isNodeWarning(chunk))
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      state.held.push({ stream, chunk });
      const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (done) process.nextTick(done);
      return true;
    };
    stream.write = holding as Write;
  }
  return state;
}

const registry = globalThis as typeof globalThis & { [KEY]?: State };
registry[KEY] ??= install();
const state = registry[KEY];

/** Writes `held` to the streams it was meant for, under `title`; empties it. */
function release(title: string, held: Held[]): void {
  if (held.length === 0) return;
  state.writes.get(process.stderr)?.(`\n--- what ${title} wrote to stdout and stderr ---\n`);
  for (const { stream, chunk } of held.splice(0)) state.writes.get(stream)?.(chunk);
}

/** What the file wrote outside its tests (its hooks, such as a stack started in `beforeAll`). */
let outside: Held[] = [];

beforeAll(() => {
  outside = [];
  state.held = outside;
});

beforeEach(({ task }) => {
  state.held = task.concurrent ? undefined : [];
});

afterEach(({ task }) => {
  const held = state.held ?? [];
  state.held = outside;
  if (task.result?.state !== 'fail') return;
  release(`the test file's hooks before "${task.fullTestName}" failed`, outside);
  release(`the failed test "${task.fullTestName}"`, held);
});

// biome-ignore lint/correctness/noEmptyPattern: Vitest reads the fixtures a hook uses from this pattern; it uses none.
afterAll(({}, file) => {
  state.held = undefined;
  const failed = file.result?.state === 'fail' || file.tasks.some((task) => task.result?.state === 'fail');
  if (failed) release(`${file.name} outside its tests`, outside);
  outside = [];
});
