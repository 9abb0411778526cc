import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSelfSignedCertificate } from './certificate';

export interface CoturnOptions {
  /** coturn `static-auth-secret`: credentials are TURN REST API ones (`use-auth-secret`). */
  secret: string;
  /** Default `kvs-ice-broker.local`. */
  realm?: string;
  /** UDP+TCP listening port; default: a free one. */
  port?: number;
  /** TLS+DTLS listening port; default: a free one. */
  tlsPort?: number;
  /** Default: a fresh directory under the OS temp dir. A directory passed here is kept by `stop()`. */
  workDir?: string;
}

export interface Coturn {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly tlsPort: number;
  readonly logFile: string;
  readonly workDir: string;
  /** Kills the process, waits for its exit and removes the work dir (if this module created it). */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const PROBE_TIMEOUT_MS = 300;
/** Relay ports come from a random window above Linux's default ephemeral range (32768-60999). */
const RELAY_WINDOW = { lowest: 61_000, highest: 65_535, size: 200 };
const PRINTABLE = /^[\x21-\x7e]+$/;

const running = new Set<ChildProcess>();
let exitHooksInstalled = false;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Path of the `turnserver` binary (PATH, then /usr/bin), or undefined when coturn is not installed. */
export function findTurnserver(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  return [...dirs.map((dir) => join(dir, 'turnserver')), '/usr/bin/turnserver'].find(isExecutable);
}

/** SIGKILLs every running coturn on process exit, and on SIGINT/SIGTERM (then keeps the default exit). */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const child of running) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      killAll();
      if (process.listenerCount(signal) > 1) return; // someone else handles the shutdown
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

async function udpPortIsFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  const free = await new Promise<boolean>((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, HOST, () => resolve(true));
  });
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return free;
}

/** A port that is free for both TCP and UDP on 127.0.0.1 and not in `taken`. */
async function freePort(taken: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, resolve);
    });
    const { port } = server.address() as AddressInfo;
    const udpFree = await udpPortIsFree(port);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (udpFree && !taken.includes(port)) return port;
  }
  throw new Error('Could not find a port free for both TCP and UDP on 127.0.0.1');
}

function checkOptions(options: CoturnOptions): void {
  if (!PRINTABLE.test(options.secret)) {
    throw new Error('CoturnOptions.secret must be non-empty printable ASCII without spaces');
  }
  if (options.realm !== undefined && !PRINTABLE.test(options.realm)) {
    throw new Error('CoturnOptions.realm must be non-empty printable ASCII without spaces');
  }
  for (const [name, port] of [
    ['port', options.port],
    ['tlsPort', options.tlsPort],
  ] as const) {
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65_536)) {
      throw new Error(`CoturnOptions.${name} must be an integer from 1 to 65535`);
    }
  }
  if (options.port !== undefined && options.port === options.tlsPort) {
    throw new Error('CoturnOptions.port and tlsPort must differ');
  }
}

interface ConfigInput {
  secret: string;
  realm: string;
  port: number;
  tlsPort: number;
  workDir: string;
  certFile: string;
  keyFile: string;
}

function configText(input: ConfigInput): string {
  const minPort = randomInt(RELAY_WINDOW.lowest, RELAY_WINDOW.highest - RELAY_WINDOW.size);
  return `${[
    `listening-ip=${HOST}`,
    `relay-ip=${HOST}`,
    `listening-port=${input.port}`,
    `tls-listening-port=${input.tlsPort}`,
    `min-port=${minPort}`,
    `max-port=${minPort + RELAY_WINDOW.size - 1}`,
    'use-auth-secret',
    `static-auth-secret=${input.secret}`,
    `realm=${input.realm}`,
    'fingerprint',
    'allow-loopback-peers',
    'no-multicast-peers',
    'no-cli',
    // Without RFC 5780 coturn opens no "alternative" ports (port+1), so only the two checked ports are used.
    'no-rfc5780',
    'no-software-attribute',
    `cert=${input.certFile}`,
    `pkey=${input.keyFile}`,
    `log-file=${join(input.workDir, 'turnserver.log')}`,
    'simple-log',
    'no-stdout-log',
    `pidfile=${join(input.workDir, 'turnserver.pid')}`,
    `userdb=${join(input.workDir, 'turndb')}`,
  ].join('\n')}\n`;
}

/** Sends a STUN Binding request over UDP and resolves true when a response with its transaction id arrives. */
async function stunAnswers(port: number): Promise<boolean> {
  const transactionId = randomBytes(12);
  const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), transactionId]);
  const socket = createSocket('udp4');
  const answered = new Promise<boolean>((resolve) => {
    socket.on('message', (message) => {
      if (message.subarray(8, 20).equals(transactionId)) resolve(true);
    });
    socket.once('error', () => resolve(false));
    setTimeout(() => resolve(false), PROBE_TIMEOUT_MS).unref();
  });
  socket.send(request, port, HOST);
  const result = await answered;
  socket.close();
  return result;
}

async function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port, timeout: PROBE_TIMEOUT_MS });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.once('timeout', () => finish(false));
  });
}

async function listensOn(port: number, tlsPort: number): Promise<boolean> {
  const probes = await Promise.all([stunAnswers(port), stunAnswers(tlsPort), tcpAccepts(port), tcpAccepts(tlsPort)]);
  return probes.every(Boolean);
}

async function logTail(files: readonly string[], secret: string, lines = 30): Promise<string> {
  const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => '')));
  return texts
    .join('\n')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-lines)
    .join('\n')
    .replaceAll(secret, '<redacted>');
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const killed = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killed);
  }
  running.delete(child);
}

/**
 * Starts coturn on 127.0.0.1 with its own config, self-signed certificate, log and pid file in a work dir.
 * Resolves once UDP, TCP, TLS and DTLS listeners answer; rejects with the log tail if coturn exits or
 * does not come up within 10 s.
 */
export async function startCoturn(options: CoturnOptions): Promise<Coturn> {
  checkOptions(options);
  const binary = findTurnserver();
  if (!binary) throw new Error('turnserver not found: install coturn (apt-get install coturn)');
  const ownsWorkDir = options.workDir === undefined || !existsSync(options.workDir);
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'kvs-coturn-')));
  const removeWorkDir = () => (ownsWorkDir ? rm(workDir, { recursive: true, force: true }) : Promise.resolve());
  const logFile = join(workDir, 'turnserver.log');
  const stderrFile = join(workDir, 'turnserver.stderr');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  try {
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    const port = options.port ?? (await freePort([options.tlsPort ?? 0]));
    const tlsPort = options.tlsPort ?? (await freePort([port]));
    const certificate = await createSelfSignedCertificate(workDir);
    const configFile = join(workDir, 'turnserver.conf');
    const config = configText({
      secret: options.secret,
      realm: options.realm ?? 'kvs-ice-broker.local',
      port,
      tlsPort,
      workDir,
      ...certificate,
    });
    await writeFile(configFile, config, { mode: 0o600 });

    const stderr = await open(stderrFile, 'w', 0o600);
    // setpriv makes the kernel SIGKILL coturn when this process dies, even by SIGKILL.
    const args = ['-c', configFile];
    const [command, argv] = isExecutable('/usr/bin/setpriv')
      ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', binary, ...args]]
      : [binary, args];
    installExitHooks();
    const started = spawn(command, argv, { cwd: workDir, stdio: ['ignore', 'ignore', stderr.fd] });
    child = started;
    running.add(started);
    let spawnError: Error | undefined;
    exited = new Promise((resolve) => {
      started.once('exit', () => resolve());
      started.once('error', (error) => {
        spawnError = error;
        resolve();
      });
    });
    void exited.then(() => running.delete(started));
    await stderr.close();

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await listensOn(port, tlsPort))) {
      if (spawnError) throw new Error(`could not run ${command}: ${spawnError.message}`);
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`coturn exited (code ${started.exitCode ?? started.signalCode}) while starting`);
      }
      if (Date.now() > deadline) throw new Error(`coturn did not listen on ${HOST}:${port}/${tlsPort} within 10 s`);
      await sleep(100);
    }

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= terminate(started, exited).then(removeWorkDir);
      return stopping;
    };
    return { host: HOST, port, tlsPort, logFile, workDir, stop };
  } catch (error) {
    const tail = await logTail([logFile, stderrFile], options.secret);
    if (child) await terminate(child, exited);
    await removeWorkDir();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n--- coturn log tail ---\n${tail || '(empty)'}`);
  }
}
