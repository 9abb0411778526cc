import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv } from '../support/packed';
import { TOOLS } from '../support/requirements';

// `npm start` stopped the way process managers and CI stop it: SIGTERM to the npm process. npm
// passes the signal to the shell that runs the script; everything under it must stop too.

const ROOT = join(__dirname, '..', '..');
/** npm, tsx and the runner starting the emulator, coturn and two instances on a busy machine. */
const START_TIMEOUT_MS = 120_000;
/** Only stops a test whose processes never go; a clean stop takes a second or two. */
const STOP_TIMEOUT_MS = 30_000;

interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** The command name (`/proc/<pid>/stat`), such as `node` or `turnserver`. */
  readonly name: string;
  /** `Z` for a zombie: it has exited, its parent has not yet collected it. */
  readonly state: string;
}

/** Every process on the machine (Linux `/proc`). */
function processes(): ProcessInfo[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "<pid> (<name>) <state> <ppid> …": the name may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const [state = '', ppid = '0'] = stat.slice(close + 2).split(' ');
      return [
        { pid: Number(entry), ppid: Number(ppid), name: stat.slice(stat.indexOf('(') + 1, close), state },
      ];
    } catch {
      return []; // it exited while we looked
    }
  });
}

/** The processes below `root`, children first. */
function descendants(root: number): ProcessInfo[] {
  const all = processes();
  const found: ProcessInfo[] = [];
  const parents = [root];
  for (let parent = parents.shift(); parent !== undefined; parent = parents.shift()) {
    for (const child of all.filter((p) => p.ppid === parent)) {
      found.push(child);
      parents.push(child.pid);
    }
  }
  return found;
}

/** Those of `watched` still running (a zombie has exited). */
function stillRunning(watched: readonly ProcessInfo[]): ProcessInfo[] {
  const running = new Map(processes().map((p) => [p.pid, p]));
  return watched.filter((p) => {
    const now = running.get(p.pid);
    return now !== undefined && now.name === p.name && now.state !== 'Z';
  });
}

/** Whether a server can listen on the port now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Resolves with the API port once `npm start` printed its banner. */
function serving(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`not serving in time:\n${stdout}\n${stderr}`)),
      START_TIMEOUT_MS,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const port = /API +http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout)?.[1];
      if (port !== undefined && stdout.includes('Ctrl-C stops everything.')) {
        clearTimeout(timer);
        resolve(Number(port));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${signal ?? code}) before serving:\n${stdout}\n${stderr}`));
    });
  });
}

let leftovers: ProcessInfo[] = [];
afterEach(() => {
  // Whatever a failed test left running.
  for (const { pid } of stillRunning(leftovers)) process.kill(pid, 'SIGKILL');
  leftovers = [];
});

/** `npm start -- --instances 2` serving; its processes stop within the limit after `stop(npm)`. */
async function expectEverythingStops(stop: (npm: ChildProcess) => void): Promise<void> {
  const npm = spawn('npm', ['start', '--', '--instances', '2'], {
    cwd: ROOT,
    env: cleanEnv({ PORT: '0', EMULATOR_PORT: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  const port = await serving(npm);
  const tree = descendants(npm.pid ?? 0);
  leftovers = [...processes().filter((p) => p.pid === npm.pid), ...tree];
  const names = tree.map((p) => p.name);

  stop(npm);

  let running = stillRunning(tree);
  for (const giveUpAt = Date.now() + STOP_TIMEOUT_MS; running.length > 0 && Date.now() < giveUpAt; ) {
    await sleep(100);
    running = stillRunning(tree);
  }
  await exited;
  expect(running.map((p) => `${p.name} (pid ${p.pid})`)).toEqual([]);
  expect(await portIsFree(port)).toBe(true);
  if (TOOLS.turnserver.found()) expect(names).toContain('turnserver');
}

describe('npm start', { timeout: START_TIMEOUT_MS + STOP_TIMEOUT_MS + 30_000 }, () => {
  it('stops the runner, coturn, the emulator and every instance when its npm process gets SIGTERM', async () => {
    await expectEverythingStops((npm) => npm.kill('SIGTERM'));
  });

  it('stops them all when its npm process is killed outright (SIGKILL), passing nothing on', async () => {
    await expectEverythingStops((npm) => npm.kill('SIGKILL'));
  });
});
