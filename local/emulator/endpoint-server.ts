import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { closeServer, listen } from '../http-server';

/** Keep-alive longer than typical SDK agent reuse so idle sockets are not cut mid-request. */
const KEEP_ALIVE_MS = 65_000;
/** The first byte of a TLS connection: a handshake record. */
const TLS_HANDSHAKE = 0x16;

/** What one endpoint of the emulator answers: requests, and WebSocket upgrades. */
export interface EndpointHandlers {
  readonly request: (req: IncomingMessage, res: ServerResponse) => void;
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** A listening endpoint. */
export interface EndpointServer {
  readonly port: number;
  /** Stops accepting and drops every connection. */
  close(): Promise<void>;
}

/** Answers a request that is not HTTP (or a broken one) with 400 and closes the socket. */
function onClientError(_error: Error, socket: Duplex): void {
  if (socket.writable)
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  else socket.destroy();
}

/** Where an endpoint listens besides 127.0.0.1. */
export interface EndpointListenOptions {
  /** Also on IPv6 loopback, `[::1]`, at the same port (the emulator's dual-stack mode). */
  readonly ipv6?: boolean;
}

/** Attempts at a port free on both 127.0.0.1 and ::1, when the port is left to the system. */
const DUAL_PORT_ATTEMPTS = 5;

/**
 * One endpoint on 127.0.0.1 (`port` 0: a free one), and with `ipv6` on `[::1]` at the same port.
 * With a certificate it speaks TLS (`https:`, `wss:`) and, on the same port, plain HTTP for tools
 * that cannot trust the certificate: the first byte of a connection tells them apart. Without
 * one, plain HTTP only.
 */
export async function startEndpoint(
  handlers: EndpointHandlers,
  port: number,
  tls?: { readonly cert: string; readonly key: string },
  options: EndpointListenOptions = {},
): Promise<EndpointServer> {
  const plain = createHttpServer({ keepAliveTimeout: KEEP_ALIVE_MS });
  plain.on('request', handlers.request).on('upgrade', handlers.upgrade).on('clientError', onClientError);
  if (!tls && !options.ipv6) return { port: await listen(plain, port), close: () => closeServer(plain) };

  const secure = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key, keepAliveTimeout: KEEP_ALIVE_MS })
    : undefined;
  secure?.on('request', handlers.request).on('upgrade', handlers.upgrade).on('clientError', onClientError);
  const sockets = new Set<Socket>();
  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (!secure) return void plain.emit('connection', socket);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? secure : plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  };
  const fronts = await listenFronts(accept, port, options.ipv6 === true);
  return {
    port: fronts.port,
    close: async () => {
      const closed = Promise.all(
        fronts.servers.map((front) => new Promise<void>((resolve) => front.close(() => resolve()))),
      );
      for (const socket of sockets) socket.destroy();
      plain.closeAllConnections();
      secure?.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Listening sockets that hand each connection to `accept`: on 127.0.0.1 and, with `ipv6`, on ::1
 * at the same port. A port left to the system (0) that is taken on ::1 is given up for another.
 */
async function listenFronts(
  accept: (socket: Socket) => void,
  port: number,
  ipv6: boolean,
): Promise<{ port: number; servers: Server[] }> {
  for (let attempt = 1; ; attempt++) {
    const v4 = createNetServer(accept);
    const bound = await listen(v4, port);
    if (!ipv6) return { port: bound, servers: [v4] };
    const v6 = createNetServer(accept);
    try {
      await listen(v6, bound, '::1');
      return { port: bound, servers: [v4, v6] };
    } catch (error) {
      await new Promise<void>((resolve) => v4.close(() => resolve()));
      const taken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!taken || port !== 0 || attempt >= DUAL_PORT_ATTEMPTS) throw ipv6Problem(error);
    }
  }
}

/** Why an endpoint could not listen on ::1, saying that dual-stack mode needs IPv6 loopback. */
function ipv6Problem(error: unknown): Error {
  const cause = error instanceof Error ? error.message : String(error);
  return new Error(`dual-stack mode serves on IPv6 loopback too, and [::1] refused: ${cause}`);
}
