import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRelayCertificate, ensureLocalCa } from './certificate';
import { freePort, hasIpv6Loopback, IPV6_HOST, listensOn } from './probes';

/** How to start the local TURN relay. */
export interface CoturnOptions {
  /** coturn `static-auth-secret`: credentials are TURN REST API ones (`use-auth-secret`). */
  secret: string;
  /** Directory of the local CA that signs the TLS certificate; default the machine's (`localCaDir()`). */
  caDir?: string;
  /**
   * Called once if coturn exits after it started listening, other than by `stop()` (it crashed or
   * was killed), with how it ended (`exit code 1`, `signal SIGKILL`) and the relay it was.
   */
  onExit?: (status: string, coturn: Coturn) => void;
}

/** A running coturn (`turnserver`) on loopback, as {@link startCoturn} started it. */
export interface Coturn {
  readonly host: '127.0.0.1';
  /**
   * `::1` when coturn listens on IPv6 loopback too, at the same ports (and relays from there as
   * well: `relay-ip`), which it does wherever the machine has IPv6 loopback; otherwise undefined.
   */
  readonly ipv6Host: typeof IPV6_HOST | undefined;
  /** The `turnserver` process id. */
  readonly pid: number;
  /** UDP and TCP listener (`turn:` URIs). */
  readonly port: number;
  /** TLS and DTLS listener (`turns:` URIs). */
  readonly tlsPort: number;
  /** coturn's own log (`simple-log`), in {@link workDir}. */
  readonly logFile: string;
  /** Temporary directory with the config, certificate, key, log, pid file and user DB; removed by `stop()`. */
  readonly workDir: string;
  /** PEM of the certificate served on tlsPort (CN and SAN `localhost`, SAN IPs 127.0.0.1 and ::1), signed by the local CA. */
  readonly certFile: string;
  /** PEM of the machine's local CA, which TLS clients (browsers) must trust for `turns:`. */
  readonly caFile: string;
  /** Kills the process, waits for its exit and removes the work dir. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const REALM = 'kvs-ice-broker.local';
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
/** Relay ports come from a random window above Linux's default ephemeral range (32768-60999). */
const RELAY_WINDOW = { lowest: 61_000, highest: 65_535, size: 200 };
const PRINTABLE = /^[\x21-\x7e]+$/;

/** Live coturn processes and the work dir to remove if this process ends without `stop()`. */
const running = new Map<ChildProcess, string>();
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

/** On exit, SIGINT and SIGTERM: SIGKILL every live coturn and remove its work dir, then keep the default exit. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const [child, workDir] of running) {
      child.kill('SIGKILL');
      rmSync(workDir, { recursive: true, force: true });
    }
    running.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      killAll();
      if (process.listenerCount(signal) > 1) return; // another listener owns the shutdown
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** The secret goes into the config file as is: one printable token, no spaces or line breaks. */
function checkSecret(secret: string): void {
  if (!PRINTABLE.test(secret)) {
    throw new Error('CoturnOptions.secret must be non-empty printable ASCII without spaces');
  }
}

interface ConfigInput {
  secret: string;
  /** Listen and relay on ::1 too. */
  ipv6: boolean;
  port: number;
  tlsPort: number;
  workDir: string;
  certFile: string;
  keyFile: string;
}

function configText(input: ConfigInput): string {
  const minPort = randomInt(RELAY_WINDOW.lowest, RELAY_WINDOW.highest - RELAY_WINDOW.size);
  const hosts = input.ipv6 ? [HOST, IPV6_HOST] : [HOST];
  const lines = [
    // A client reaches coturn on either family; its relayed address is IPv4 unless it asks for
    // IPv6 (REQUESTED-ADDRESS-FAMILY), coturn's default as RFC 6156 wants it.
    ...hosts.map((host) => `listening-ip=${host}`),
    ...hosts.map((host) => `relay-ip=${host}`),
    `listening-port=${input.port}`,
    `tls-listening-port=${input.tlsPort}`,
    `min-port=${minPort}`,
    `max-port=${minPort + RELAY_WINDOW.size - 1}`,
    'use-auth-secret',
    `static-auth-secret=${input.secret}`,
    `realm=${REALM}`,
    'fingerprint',
    'allow-loopback-peers',
    'no-multicast-peers',
    'no-cli',
    // Without RFC 5780 coturn opens no "alternative" ports (port+1): only the two checked ports are used.
    'no-rfc5780',
    'no-software-attribute',
    `cert=${input.certFile}`,
    `pkey=${input.keyFile}`,
    `log-file=${join(input.workDir, 'turnserver.log')}`,
    'simple-log',
    'no-stdout-log',
    `pidfile=${join(input.workDir, 'turnserver.pid')}`,
    `userdb=${join(input.workDir, 'turndb')}`,
  ];
  return `${lines.join('\n')}\n`;
}

async function logTail(files: readonly string[], secret: string, lines = 30): Promise<string> {
  const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => '')));
  const tail = texts
    .join('\n')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-lines);
  return tail.join('\n').replaceAll(secret, '<redacted>');
}

/** How a process ended (`exit code 1`, `signal SIGKILL`), or undefined while it runs. */
function exitStatus(child: ChildProcess): string | undefined {
  if (child.signalCode !== null) return `signal ${child.signalCode}`;
  return child.exitCode === null ? undefined : `exit code ${child.exitCode}`;
}

interface Launched {
  readonly child: ChildProcess;
  /** Resolves when the process has exited (or could not be spawned). */
  readonly exited: Promise<void>;
  /** Why the process is gone, or undefined while it runs. */
  failure(): string | undefined;
}

/** Spawns coturn with stdout discarded and stderr in a file; the kernel kills it if this process dies. */
async function launch(binary: string, configFile: string, workDir: string): Promise<Launched> {
  const stderr = await open(join(workDir, 'turnserver.stderr'), 'w', 0o600);
  const args = ['-c', configFile];
  // setpriv --pdeathsig: coturn gets SIGKILL when this process dies, even when it is SIGKILLed itself.
  const [command, argv] = isExecutable('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', binary, ...args]]
    : [binary, args];
  installExitHooks();
  let child: ChildProcess;
  try {
    child = spawn(command, argv, { cwd: workDir, stdio: ['ignore', 'ignore', stderr.fd] });
  } finally {
    await stderr.close();
  }
  running.set(child, workDir);
  child.unref(); // a forgotten relay must not keep this process alive; the exit hook kills it
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  }).then(() => {
    running.delete(child);
  });
  const failure = () => {
    if (spawnError) return `could not run ${command}: ${spawnError.message}`;
    const status = exitStatus(child);
    return status === undefined ? undefined : `coturn exited (${status}) while starting`;
  };
  return { child, exited, failure };
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
async function terminate({ child, exited, failure }: Launched): Promise<void> {
  if (failure() !== undefined) return;
  child.ref(); // keep the event loop alive until the exit is seen
  child.kill('SIGTERM');
  const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(escalation);
}

async function waitUntilListening(
  relay: Launched,
  port: number,
  tlsPort: number,
  ipv6: boolean,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await listensOn(port, tlsPort, ipv6))) {
    const failure = relay.failure();
    if (failure) throw new Error(failure);
    if (Date.now() > deadline) {
      const where = ipv6 ? `${HOST} and [${IPV6_HOST}]` : HOST;
      throw new Error(`coturn did not listen on ports ${port} and ${tlsPort} of ${where} within 10 s`);
    }
    await sleep(100);
  }
}

/** Launches coturn this many times at most: a port found free can be taken before coturn binds it. */
const START_ATTEMPTS = 2;

/**
 * Starts coturn on 127.0.0.1 (and ::1 where the machine has IPv6 loopback) with its own config, certificate (signed by the local CA), log, pid file and user DB in a
 * work dir. Resolves once the UDP, TCP, TLS and DTLS listeners answer; rejects with the log tail if coturn
 * exits or does not come up within 10 s, twice (each time on ports found free again: another process
 * can take a port between the check and coturn's bind).
 */
export async function startCoturn(options: CoturnOptions): Promise<Coturn> {
  checkSecret(options.secret);
  const binary = findTurnserver();
  if (!binary) throw new Error('turnserver not found: install coturn (apt-get install coturn)');
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (error) {
      if (attempt >= START_ATTEMPTS) throw error;
    }
  }
}

async function startOnce(binary: string, options: CoturnOptions): Promise<Coturn> {
  const workDir = await mkdtemp(join(tmpdir(), 'kvs-coturn-'));
  const removeWorkDir = () => rm(workDir, { recursive: true, force: true });
  const logFile = join(workDir, 'turnserver.log');
  let launched: Launched | undefined;
  try {
    const ipv6 = await hasIpv6Loopback();
    const port = await freePort(undefined, ipv6);
    const tlsPort = await freePort(port, ipv6);
    const ca = await ensureLocalCa(options.caDir);
    const certificate = await createRelayCertificate(workDir, ca);
    const configFile = join(workDir, 'turnserver.conf');
    const config = configText({ secret: options.secret, ipv6, port, tlsPort, workDir, ...certificate });
    await writeFile(configFile, config, { mode: 0o600 });
    const relay = await launch(binary, configFile, workDir);
    launched = relay;
    await waitUntilListening(relay, port, tlsPort, ipv6);

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= terminate(relay).then(removeWorkDir);
      return stopping;
    };
    const { certFile } = certificate;
    const pid = relay.child.pid ?? 0;
    const coturn: Coturn = {
      host: HOST,
      ipv6Host: ipv6 ? IPV6_HOST : undefined,
      pid,
      port,
      tlsPort,
      logFile,
      workDir,
      certFile,
      caFile: ca.certFile,
      stop,
    };
    relay.exited.then(() => {
      if (stopping === undefined) options.onExit?.(exitStatus(relay.child) ?? 'exited', coturn);
    });
    return coturn;
  } catch (error) {
    const tail = await logTail([logFile, join(workDir, 'turnserver.stderr')], options.secret);
    if (launched) await terminate(launched);
    await removeWorkDir();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n--- coturn log tail ---\n${tail || '(empty)'}`);
  }
}
