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

/**
 * One endpoint on 127.0.0.1 (`port` 0: a free one). With a certificate it speaks TLS (`https:`,
 * `wss:`) and, on the same port, plain HTTP for tools that cannot trust the certificate: the
 * first byte of a connection tells them apart. Without one, plain HTTP only.
 */
export async function startEndpoint(
  handlers: EndpointHandlers,
  port: number,
  tls?: { readonly cert: string; readonly key: string },
): Promise<EndpointServer> {
  const plain = createHttpServer({ keepAliveTimeout: KEEP_ALIVE_MS });
  plain.on('request', handlers.request).on('upgrade', handlers.upgrade).on('clientError', onClientError);
  if (!tls) return { port: await listen(plain, port), close: () => closeServer(plain) };

  const secure = createHttpsServer({ cert: tls.cert, key: tls.key, keepAliveTimeout: KEEP_ALIVE_MS });
  secure.on('request', handlers.request).on('upgrade', handlers.upgrade).on('clientError', onClientError);
  const sockets = new Set<Socket>();
  const front: Server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? secure : plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  const bound = await listen(front, port);
  return {
    port: bound,
    close: async () => {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      plain.closeAllConnections();
      secure.closeAllConnections();
      await closed;
    },
  };
}
