import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { type AddressInfo, connect, createServer } from 'node:net';

/** Socket probes for the local relay: free-port picking and readiness checks (TCP + UDP on loopback). */
const HOST = '127.0.0.1';
/** IPv6 loopback, where the relay listens too when the machine has it. */
export const IPV6_HOST = '::1';
const PROBE_TIMEOUT_MS = 300;

/** Whether `port` is free for both TCP and UDP on `host`. */
async function isFreeOn(port: number, host: string): Promise<boolean> {
  const server = createServer();
  const tcp = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (tcp) await new Promise<void>((resolve) => server.close(() => resolve()));
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const udp = await new Promise<boolean>((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => resolve(true));
  });
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return tcp && udp;
}

/**
 * Whether this machine has IPv6 loopback (`::1`): a TCP socket can listen there. Containers
 * started with IPv6 turned off have none; the relay then listens on 127.0.0.1 only.
 */
export async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, IPV6_HOST, () => resolve(true));
  });
  if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  return listening;
}

/**
 * A port free for both TCP and UDP on 127.0.0.1 (and on ::1 with `ipv6`) and other than `taken`.
 * Both protocols are checked because coturn would share a busy port via SO_REUSEPORT rather than fail.
 */
export async function freePort(taken?: number, ipv6 = false): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, resolve);
    });
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (port !== taken && (await isFreeOn(port, HOST)) && (!ipv6 || (await isFreeOn(port, IPV6_HOST))))
      return port;
  }
  throw new Error(`no port is free for both TCP and UDP on 127.0.0.1${ipv6 ? ' and ::1' : ''}`);
}

/** Sends a STUN Binding request over UDP to `host`; true when a response with its transaction id arrives. */
async function stunAnswers(port: number, host: string): Promise<boolean> {
  const transactionId = randomBytes(12);
  const header = Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const answered = new Promise<boolean>((resolve) => {
    socket.on('message', (message) => resolve(message.subarray(8, 20).equals(transactionId)));
    socket.once('error', () => resolve(false));
    setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  socket.send(Buffer.concat([header, transactionId]), port, host);
  const result = await answered;
  socket.close();
  return result;
}

async function tcpAccepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: PROBE_TIMEOUT_MS });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.once('timeout', () => finish(false));
  });
}

/**
 * True when coturn answers on both ports of 127.0.0.1 (and of ::1 with `ipv6`): a STUN Binding
 * response over UDP and an accepted TCP connection on each, every probe within 300 ms.
 */
export async function listensOn(port: number, tlsPort: number, ipv6 = false): Promise<boolean> {
  const hosts = ipv6 ? [HOST, IPV6_HOST] : [HOST];
  const probes = hosts.flatMap((host) => [
    stunAnswers(port, host),
    stunAnswers(tlsPort, host),
    tcpAccepts(port, host),
    tcpAccepts(tlsPort, host),
  ]);
  return (await Promise.all(probes)).every(Boolean);
}
