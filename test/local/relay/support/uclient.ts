import { spawn } from 'node:child_process';

export type UclientTransport = 'udp' | 'tcp' | 'tls' | 'dtls';

export interface UclientOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Client-to-server leg: udp, tcp, tls (TLS over TCP) or dtls (DTLS over UDP). */
  transport: UclientTransport;
  /** Messages each of the two clients sends (default 5). */
  messages?: number;
  /** Kill turnutils_uclient after this long (default 20 s); the run then counts as failed. */
  timeoutMs?: number;
  /** Runs, at most, when a run relays traffic but loses some (default 3); see {@link runUclient}. */
  attempts?: number;
  /** Ask for IPv6 relayed addresses (`-x`: REQUESTED-ADDRESS-FAMILY IPv6, RFC 6156); default IPv4. */
  ipv6Relay?: boolean;
}

export interface UclientResult {
  /** Exit code 0, something sent, everything received, nothing lost, no timeout. */
  ok: boolean;
  sent: number;
  received: number;
  lost: number;
  /** stdout + stderr of the run, password redacted, at most 64 KiB. */
  output: string;
}

const TRANSPORT_FLAGS: Record<UclientTransport, readonly string[]> = {
  udp: [],
  tcp: ['-t'],
  tls: ['-t', '-S'],
  dtls: ['-S'],
};
const MAX_OUTPUT = 64 * 1024;

function uclientArgs(options: UclientOptions): string[] {
  return [
    '-y', // client-to-client: two allocations relay to each other through the server
    '-c', // no extra RTCP allocation
    '-z', // 50 ms between packets: at the default 20 ms, TLS runs against coturn 4.6.1 here lost
    '50', // each client's first packet and then waited ~10 s for it; at 50 ms all runs were clean
    '-n',
    String(options.messages ?? 5),
    '-u',
    options.username,
    '-w',
    options.password,
    '-p',
    String(options.port),
    ...TRANSPORT_FLAGS[options.transport],
    ...(options.ipv6Relay ? ['-x'] : []),
    options.host,
  ];
}

function lastNumber(output: string, pattern: RegExp): number | undefined {
  const matches = [...output.matchAll(pattern)];
  const value = matches.at(-1)?.[1];
  return value === undefined ? undefined : Number(value);
}

/** Reads uclient's closing totals; a run that never allocated prints none, so all three are 0. */
function summarize(output: string): Pick<UclientResult, 'sent' | 'received' | 'lost'> {
  const sent = lastNumber(output, /tot_send_msgs=(\d+), tot_recv_msgs=\d+\s*$/gm) ?? 0;
  const received = lastNumber(output, /tot_send_msgs=\d+, tot_recv_msgs=(\d+)\s*$/gm) ?? 0;
  const lost = lastNumber(output, /Total lost packets (\d+)/g) ?? 0;
  return { sent, received, lost };
}

/**
 * Runs `turnutils_uclient` in client-to-client mode: two clients allocate relays with the given
 * credentials and send each other `messages` packets through them. Resolves (never rejects on a
 * failed relay) with the packet counts; rejects only when the tool cannot be run.
 *
 * uclient counts a packet lost when it has not come back by the time its run ends, so a machine
 * busy enough to starve coturn for a moment shows a loss where nothing was refused: a run that
 * allocated and relayed traffic but lost some is run again, up to `attempts` runs (default 3),
 * and the first clean run (or else the last run) is the result. A refused allocation sends
 * nothing and is not run again.
 */
export async function runUclient(options: UclientOptions): Promise<UclientResult> {
  const attempts = options.attempts ?? 3;
  let result = await runUclientOnce(options);
  for (let run = 1; run < attempts && !result.ok && result.sent > 0; run++) {
    result = await runUclientOnce(options);
  }
  return result;
}

async function runUclientOnce(options: UclientOptions): Promise<UclientResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const child = spawn('turnutils_uclient', uclientArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
  let raw = '';
  const collect = (chunk: Buffer) => {
    if (raw.length < MAX_OUTPUT) raw += chunk.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`cannot run turnutils_uclient (install coturn): ${error.message}`)),
    );
    child.once('close', (code) => resolve(code));
  }).finally(() => clearTimeout(timer));

  const redacted = options.password === '' ? raw : raw.replaceAll(options.password, '<redacted>');
  const output = `${redacted.slice(0, MAX_OUTPUT)}${timedOut ? `\n(killed after ${timeoutMs} ms)` : ''}`;
  const counts = summarize(output);
  const ok =
    exitCode === 0 && !timedOut && counts.sent > 0 && counts.received === counts.sent && counts.lost === 0;
  return { ok, ...counts, output };
}
